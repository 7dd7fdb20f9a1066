"""Running queries and the result objects they return.

Results are plain frozen dataclasses copied out of the searcher, so they stay valid
after it closes (Whoosh's own hits die with their searcher).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from whoosh import query as wq
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.sorting import Count

from .assist import Acronyms
from .assistance import QueryAssistant
from .errors import InvalidQueryError
from .filters import FACET_FIELDS, Filters, facet_counts, facet_spec
from .query import Lexicon, build_query, parse_query, prepare_query_text
from .snippets import MatchRun, Snippet, Span, find_highlights, make_snippet

if TYPE_CHECKING:
    from .scoring import ArrayScorer

#: Whoosh's BM25F, with title length normalised less than body length (titles are short
#: and of similar length; a long body should not lose much for its length alone).
WEIGHTING = BM25F(B=0.75, K1=1.2, title_B=0.3, title_f_B=0.3)


@dataclass(frozen=True)
class DocumentMetadata:
    """What both a stored document and a hit carry about a document."""

    id: str
    title: str | None
    date: dt.date | None
    source: str | None
    url: str | None
    author: str | None
    places: tuple[str, ...]
    cites: tuple[str, ...]

    @staticmethod
    def fields_from(stored: Mapping[str, Any]) -> dict[str, Any]:
        date = stored.get("date")
        return {
            "id": stored["id"],
            "title": stored.get("title"),
            "date": dt.date.fromisoformat(date) if date else None,
            "source": stored.get("source"),
            "url": stored.get("url"),
            "author": stored.get("author"),
            "places": tuple(stored.get("places") or ()),
            "cites": tuple(stored.get("cites") or ()),
        }


@dataclass(frozen=True)
class StoredDocument(DocumentMetadata):
    """A document as stored in the index, original text included."""

    body: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    raw: str | None = None  # the text as read, when the body is a cleaned version of it

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> StoredDocument:
        return cls(
            **cls.fields_from(stored),
            body=stored.get("body") or "",
            extra=dict(stored.get("extra") or {}),
            raw=stored.get("raw"),
        )


@dataclass(frozen=True)
class Hit(DocumentMetadata):
    """One ranked result. ``highlights`` are character ranges in the original body;
    ``title_highlights`` in the original title. ``score`` is 0 when sorted by date."""

    rank: int = 0
    score: float = 0.0
    snippet: Snippet = field(default_factory=lambda: Snippet("", (), 0, 0, 0))
    highlights: tuple[Span, ...] = ()
    title_highlights: tuple[Span, ...] = ()


@dataclass(frozen=True)
class SearchResults:
    """Ranked hits of one query. Iterate it for :class:`Hit` objects; ``total`` counts
    every matching document, ``len()`` the hits returned."""

    query: str  # as searched: the typed query, or its correction
    hits: tuple[Hit, ...]
    total: int
    #: A better form of the query to offer (accents restored, a word corrected).
    suggestion: str | None = None
    #: The query as typed, when the results are for its correction (``query``).
    corrected_from: str | None = None
    #: With ``facets=True``: ``{"year"|"source"|"place"|"cites": ((value, count), ...)}``,
    #: largest first, over every matching document.
    facets: Mapping[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, index: int) -> Hit:
        return self.hits[index]


def run_search(
    searcher: Searcher,
    query: str | None,
    limit: int = 10,
    *,
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    source: str | Sequence[str] | None = None,
    place: str | Sequence[str] | None = None,
    cites: str | Sequence[str] | None = None,
    sort: Literal["relevance", "date"] = "relevance",
    facets: bool = False,
    exact: bool = False,
    acronyms: Acronyms | None = None,
    scorer: ArrayScorer | None = None,
    lexicon: Lexicon | None = None,
) -> SearchResults:
    """Parse ``query``, run it and copy the top ``limit`` hits out of the searcher.

    ``scorer`` and ``lexicon`` (one each per searcher, kept between queries) keep the
    postings and term statistics of earlier queries.

    ``since``/``until`` (ISO dates, inclusive), ``source``, ``place`` and ``cites`` (a
    value or a list of them) restrict the results; ``sort="date"`` orders them newest
    first; ``facets=True`` fills :attr:`SearchResults.facets` with counts by year,
    source, place and cited document over every matching document.

    Unless ``exact``, the query is assisted: Telex/VNI keystrokes and words the index
    does not know are corrected (the results are for the correction, and
    ``corrected_from`` holds the query as typed), accents are restored on a query typed
    without them (offered as ``suggestion`` and used to rank), and ``acronyms`` expand
    both ways.

    Raises :class:`~danvan_search.errors.InvalidQueryError` for an empty query without
    any filter (with one, every matching document is listed, newest first); any other
    text, however malformed, is searched as plain text.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if sort not in ("relevance", "date"):
        raise InvalidQueryError(f'sort must be "relevance" or "date", not {sort!r}')
    restrict = Filters.build(since, until, source, place, cites)
    assistance = None
    if restrict and (query is None or not query.strip()):
        text, highlight, main = "", (), wq.Every()
        sort = "date"
    else:
        text = prepare_query_text(query or "")
        reader = searcher.reader()
        if not exact:
            assistance = QueryAssistant(reader).assist(text)
            text = assistance.query
        plan = build_query(
            parse_query(text), lexicon or reader,
            acronyms=None if exact else acronyms,
            restored=assistance.restored if assistance else None,
        )
        highlight, main = plan.highlight, plan.query
    suggestion = assistance.suggestion if assistance else None
    corrected_from = assistance.typed if assistance and assistance.corrected else None
    if main is None:
        return SearchResults(text, (), 0, suggestion, corrected_from)
    # Imported here: numpy takes a third of the package's import time, and only
    # searches need it (not --help, not indexing).
    from .scoring import ArrayScorer, Unsupported

    filter_query = restrict.query()
    ranked = None
    try:
        scorer = scorer or ArrayScorer(searcher)
        if sort == "date":
            matched: frozenset[int] | None = scorer.matches(main, filter_query)
        else:
            ranked = scorer.top(main, limit, filter_query, with_matches=facets)
            matched = ranked.matches
    except Unsupported:  # Whoosh alone, for queries the scorer does not handle
        results = searcher.search(main, **_whoosh_options(limit, filter_query, sort, facets))
        hits = _whoosh_hits(results, limit, highlight, by_date=sort == "date")
        counts = _facets(results) if facets else {}
        return SearchResults(text, hits, len(results), suggestion, corrected_from, facets=counts)
    listed = None
    if matched is not None:
        # Whoosh sorts by date and counts facets, over the documents the scorer matched:
        # its own AndNot would let excluded documents through.
        # (a set: Whoosh takes no frozenset as a filter)
        listed = searcher.search(wq.Every(), **_whoosh_options(limit, set(matched), sort, facets))
    counts = _facets(listed) if facets else {}
    if ranked is None:  # by date
        hits = _whoosh_hits(listed, limit, highlight, by_date=True)
        return SearchResults(text, hits, len(matched or ()), suggestion, corrected_from,
                             facets=counts)
    hits = tuple(
        _hit(rank, searcher.stored_fields(docnum)["doc"], highlight, score)
        for rank, (docnum, score) in enumerate(zip(ranked.docnums, ranked.scores, strict=True), 1)
    )
    return SearchResults(text, hits, ranked.total, suggestion, corrected_from, facets=counts)


def _whoosh_options(limit: int, filter: Any, sort: str, facets: bool) -> dict[str, Any]:
    options: dict[str, Any] = {"limit": limit, "filter": filter}
    if sort == "date":
        options.update(sortedby="date", reverse=True)
    if facets:
        options.update(groupedby=facet_spec(), maptype=Count)
    return options


def _whoosh_hits(
    results: Any, limit: int, highlight: Sequence[MatchRun], by_date: bool
) -> tuple[Hit, ...]:
    # Sorted by date, Whoosh puts the sort key where the score was: no score then.
    return tuple(
        _hit(rank, result["doc"], highlight, 0.0 if by_date else float(result.score or 0.0))
        for rank, result in enumerate(results[:limit], 1)
    )


def _facets(results: Any) -> Mapping[str, tuple[tuple[str, int], ...]]:
    return facet_counts({name: results.groups(name) for name in FACET_FIELDS})


def _hit(rank: int, stored: Mapping[str, Any], highlight: Sequence[MatchRun], score: float) -> Hit:
    body, title = stored.get("body") or "", stored.get("title") or ""
    highlights = tuple(find_highlights(body, highlight))
    return Hit(
        **DocumentMetadata.fields_from(stored),
        rank=rank,
        score=score,
        snippet=make_snippet(body, highlights),
        highlights=highlights,
        title_highlights=tuple(find_highlights(title, highlight)),
    )
