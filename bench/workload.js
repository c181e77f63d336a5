// The benchmark's requests, run by k6. One file for every scenario:
// SCENARIO picks the function, K6_OPTIONS (JSON) sets the load model, and
// USERS / POSTS / PRODUCTS / SEED come from the dataset (see bench/load.py).
import http from 'k6/http';
import { check, randomSeed } from 'k6';
import { Trend } from 'k6/metrics';

const BASE = __ENV.BASE_URL;
const USERS = parseInt(__ENV.USERS, 10);
const PRODUCTS = parseInt(__ENV.PRODUCTS, 10);
// Writes need a token: the runner logs in as the dataset's admin (bench/accounts.py).
const JSON_HEADERS = {
  headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${__ENV.TOKEN}` },
};
const TAGS = ['async', 'index', 'query', 'shard', 'commit', 'cursor', 'schema', 'latency'];

randomSeed(parseInt(__ENV.SEED, 10));
export const options = JSON.parse(__ENV.K6_OPTIONS);

// What the service says each response cost it (api/observability/requests.py):
//   server-timing: db;dur=0.81;desc="1 round trip", total;dur=2.10
// db is the time spent waiting for the store, total the time until the response
// started. Responses without the header (the raw baseline) add nothing.
const storeMs = new Trend('store_ms', true);
const serverMs = new Trend('server_ms', true);
const STORE = /(?:^|,)\s*db;dur=([0-9.]+)/;
const TOTAL = /(?:^|,)\s*total;dur=([0-9.]+)/;

function recordTiming(response) {
  const timing = response.headers['Server-Timing'];
  if (!timing) return;
  const store = STORE.exec(timing);
  const total = TOTAL.exec(timing);
  if (store && total) {
    storeMs.add(parseFloat(store[1]));
    serverMs.add(parseFloat(total[1]));
  }
}

function between(low, high) { // inclusive
  return low + Math.floor(Math.random() * (high - low + 1));
}

const scenarios = {
  point_read: () => http.get(`${BASE}/users/${between(1, USERS)}`, { tags: { name: 'point_read' } }),
  list_posts: () => http.get(`${BASE}/posts?limit=50`, { tags: { name: 'list_posts' } }),
  product_search: () => {
    const low = between(1, 900);
    return http.get(
      `${BASE}/products?min_price=${low}&max_price=${low + 50}&in_stock=true&sort=price`,
      { tags: { name: 'product_search' } },
    );
  },
  create_post: () => http.post(`${BASE}/posts`, JSON.stringify({
    title: `Benchmark post ${between(1, 1e9)}`,
    content: 'Written by the benchmark to measure inserts.',
    author_id: between(1, USERS),
    tags: [TAGS[between(0, TAGS.length - 1)], TAGS[between(0, TAGS.length - 1)]],
  }), Object.assign({ tags: { name: 'create_post' } }, JSON_HEADERS)),
  update_product: () => http.patch(
    `${BASE}/products/${between(1, PRODUCTS)}`,
    JSON.stringify({ stock: between(0, 500), price: `${between(1, 999)}.${between(10, 99)}` }),
    Object.assign({ tags: { name: 'update_product' } }, JSON_HEADERS),
  ),
  // One fixed path (bench/pages.py): page 1, or a deep page by cursor or by skip.
  page: () => http.get(`${BASE}${__ENV.PAGE_PATH}`, { tags: { name: 'page' } }),
  // 90 % reads spread over the three read scenarios, 10 % writes.
  mixed: () => {
    const dice = Math.random();
    if (dice < 0.30) return scenarios.point_read();
    if (dice < 0.60) return scenarios.list_posts();
    if (dice < 0.90) return scenarios.product_search();
    if (dice < 0.95) return scenarios.create_post();
    return scenarios.update_product();
  },
};

const run = scenarios[__ENV.SCENARIO];

export default function () {
  const response = run();
  check(response, { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 });
  recordTiming(response);
}
