"""What a benchmark run does: backends, dataset size, load and durations."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.dataset import Sizes

BACKENDS = ("sqlite", "postgres", "mariadb", "mongo")


@dataclass(frozen=True)
class BenchConfig:
    """One run's settings; ``PROFILES`` holds the named presets."""

    backends: tuple[str, ...] = ("sqlite", "postgres", "mariadb")
    sizes: Sizes = field(default_factory=Sizes)
    seed: int = 7
    workers: int = 1
    concurrency: int = 32
    warmup_seconds: float = 5.0
    seconds: float = 15.0
    open_loop_fractions: tuple[float, ...] = (0.5, 0.7, 0.9)
    open_loop_scenarios: tuple[str, ...] = ("point_read", "list_posts")
    deep_page_rows: int = 100_000
    """How deep the deep-page scenario reads (``bench/pages.py``); needs that many users."""
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    mysql_url: str = "mysql://root@127.0.0.1:3306/test"
    mongo_url: str | None = None
    out: Path = Path("bench-results")

    @property
    def one_client_seconds(self) -> float:
        """How long each scenario also runs with a single client, for the store's share."""
        return max(1.0, self.seconds / 3)

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["out"] = str(self.out)
        values["mongo_url"] = "set" if self.mongo_url else None
        return values


PROFILES = {
    # 105k users: enough for a page 100,000 rows deep.
    "full": BenchConfig(sizes=Sizes(users=105_000)),
    # SQLite, PostgreSQL and MariaDB in about six minutes on a shared 2-core machine.
    "quick": BenchConfig(
        sizes=Sizes(users=2_000, posts=10_000, categories=200, products=4_000),
        warmup_seconds=1.0,
        seconds=3.0,
        open_loop_fractions=(0.7,),
        deep_page_rows=1_500,
    ),
    # The test suite's smoke run: proves the pipeline works, measures nothing useful
    # (so it warms nothing up either).
    "smoke": BenchConfig(
        backends=("sqlite",),
        sizes=Sizes(users=50, posts=200, categories=10, products=100),
        concurrency=4,
        warmup_seconds=0.0,
        seconds=1.0,
        open_loop_fractions=(0.7,),
        open_loop_scenarios=("point_read",),
        deep_page_rows=25,
    ),
}


def profile(name: str, **overrides: Any) -> BenchConfig:
    """The named profile with the given fields replaced (``None`` values are ignored)."""
    return replace(PROFILES[name], **{k: v for k, v in overrides.items() if v is not None})
