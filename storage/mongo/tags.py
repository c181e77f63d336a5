"""Tags, counted from the ``tags`` arrays of posts (there is no tags collection)."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING

from storage.mongo.documents import POSTS, Document
from storage.mongo.posts import visible
from storage.mongo.runner import Runner
from storage.types import DraftScope, Page, TagCount, TagQuery


def _pipeline(query: TagQuery, drafts: DraftScope) -> list[Document]:
    key = query.sort_key
    direction = DESCENDING if key.descending else ASCENDING
    # The tag name is the group's _id; ties in post_count go by name ascending.
    sort: Document = {"_id": direction}
    if key.field == "post_count":
        sort = {"post_count": direction, "_id": ASCENDING}
    page: list[Document] = []
    position = query.position
    if position is not None:
        # After the last tag seen: the name (unique) breaks ties, as on SQL.
        beyond = "$lt" if key.descending else "$gt"
        if key.field == "post_count":
            page.append(
                {
                    "$match": {
                        "$or": [
                            {"post_count": {beyond: position.value}},
                            {"post_count": position.value, "_id": {"$gt": position.id}},
                        ]
                    }
                }
            )
        else:
            page.append({"$match": {"_id": {beyond: position.id}}})
    page.append({"$sort": sort})
    if query.skip and position is None:  # $skip 0 is a no-op some servers dislike
        page.append({"$skip": query.skip})
    page.append({"$limit": query.limit + 1})
    facets: Document = {"items": page}
    if query.count:
        facets["total"] = [{"$count": "n"}]
    shown = visible(drafts)
    # Only the posts the reader may see count.
    return [
        *([{"$match": shown}] if shown else []),
        {"$unwind": "$tags"},
        # Tags are de-duplicated per post, so counting elements counts posts.
        {"$group": {"_id": "$tags", "post_count": {"$sum": 1}}},
        # One round trip for the page and the number of distinct tags.
        {"$facet": facets},
    ]


class MongoTagStore:
    """``storage.protocol.TagStore`` on MongoDB."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner
        self._posts = runner.db[POSTS]

    async def list(self, query: TagQuery, drafts: DraftScope) -> Page[TagCount]:
        """Return a page of tags carried by a post ``drafts`` shows, with their post counts."""

        async def aggregate() -> list[dict[str, Any]]:
            cursor = await self._posts.aggregate(_pipeline(query, drafts))
            return await cursor.to_list()

        results = await self._run.run(aggregate)
        # $facet always yields exactly one document; $count yields none for no input.
        facet = results[0]
        total = None
        if query.count:
            total = facet["total"][0]["n"] if facet["total"] else 0
        items = [TagCount(name=row["_id"], post_count=row["post_count"]) for row in facet["items"]]
        return Page.of(items, query, total)
