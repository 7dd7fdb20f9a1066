"""Running queries and the result objects they return.

Results are plain frozen dataclasses copied out of the searcher, so they stay valid
after it closes (Whoosh's own hits die with their searcher).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from .query import build_query, parse_query
from .snippets import Snippet, Span, find_highlights, make_snippet

#: Whoosh's BM25F, with title length normalised less than body length (titles are short
#: and of similar length; a long body should not lose much for its length alone).
WEIGHTING = BM25F(B=0.75, K1=1.2, title_B=0.3, title_f_B=0.3)


@dataclass(frozen=True)
class StoredDocument:
    """A document as stored in the index, original text included."""

    id: str
    title: str | None
    body: str
    date: dt.date | None
    source: str | None
    url: str | None
    author: str | None
    places: tuple[str, ...]
    cites: tuple[str, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> StoredDocument:
        date = stored.get("date")
        return cls(
            id=stored["id"],
            title=stored.get("title"),
            body=stored.get("body") or "",
            date=dt.date.fromisoformat(date) if date else None,
            source=stored.get("source"),
            url=stored.get("url"),
            author=stored.get("author"),
            places=tuple(stored.get("places") or ()),
            cites=tuple(stored.get("cites") or ()),
            extra=dict(stored.get("extra") or {}),
        )


@dataclass(frozen=True)
class Hit:
    """One ranked result. ``highlights`` are character ranges in the original body;
    ``title_highlights`` in the original title."""

    id: str
    rank: int
    score: float
    title: str | None
    date: dt.date | None
    source: str | None
    url: str | None
    author: str | None
    places: tuple[str, ...]
    cites: tuple[str, ...]
    snippet: Snippet
    highlights: tuple[Span, ...]
    title_highlights: tuple[Span, ...]


@dataclass(frozen=True)
class SearchResults:
    """Ranked hits of one query. Iterate it for :class:`Hit` objects; ``total`` counts
    every matching document, ``len()`` the hits returned."""

    query: str
    hits: tuple[Hit, ...]
    total: int
    suggestion: str | None = None

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, index: int) -> Hit:
        return self.hits[index]


def run_search(searcher: Searcher, query: str, limit: int = 10) -> SearchResults:
    """Parse ``query``, run it and copy the top ``limit`` hits out of the searcher.

    Raises :class:`~danvan_search.errors.InvalidQueryError` for an empty query; any
    other text, however malformed, is searched as plain text.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    parsed = parse_query(query)
    plan = build_query(parsed, searcher.reader())
    if plan.query is None:
        return SearchResults(parsed.text, (), 0)
    results = searcher.search(plan.query, limit=limit)
    hits = []
    for rank, result in enumerate(results, start=1):
        stored = StoredDocument.from_stored(result["doc"])
        highlights = tuple(find_highlights(stored.body, plan.highlight))
        title_highlights = tuple(find_highlights(stored.title or "", plan.highlight))
        hits.append(
            Hit(
                id=stored.id,
                rank=rank,
                score=float(result.score or 0.0),
                title=stored.title,
                date=stored.date,
                source=stored.source,
                url=stored.url,
                author=stored.author,
                places=stored.places,
                cites=stored.cites,
                snippet=make_snippet(stored.body, highlights),
                highlights=highlights,
                title_highlights=title_highlights,
            )
        )
    return SearchResults(parsed.text, tuple(hits), len(results))
