"""Running queries and the result objects they return.

Results are plain frozen dataclasses copied out of the searcher, so they stay valid
after it closes (Whoosh's own hits die with their searcher).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

from whoosh import query as wq
from whoosh.searching import Searcher
from whoosh.sorting import Count

from . import validation
from .assist import Acronyms
from .assistance import QueryAssistant
from .errors import InvalidQueryError
from .filters import FACET_FIELDS, Filters, facet_counts, facet_spec
from .query import Lexicon, build_query
from .query_builder import QueryPlan
from .query_syntax import parse_query, prepare_query_text
from .ranking import DEFAULT_RANKING, Ranking
from .snippets import MatchRun, Snippet, Span, find_highlights, make_snippet
from .storage import stored_document

if TYPE_CHECKING:
    from .scoring import ArrayScorer

#: How hits are ordered: by relevance, or by date (newest first).
Sort = Literal["relevance", "date"]


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

    def _metadata_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "source": self.source,
            "url": self.url,
            "author": self.author,
            "places": list(self.places),
            "cites": list(self.cites),
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

    def to_dict(self) -> dict[str, Any]:
        """The document as JSON-ready values (the date as an ISO string, lists for
        tuples); ``extra`` as it was given."""
        return {**self._metadata_dict(), "body": self.body, "extra": dict(self.extra),
                "raw": self.raw}

    def __repr__(self) -> str:
        return (f"StoredDocument(id={self.id!r}, title={_short(self.title)!r}, "
                f"date={_iso(self.date)}, body={_short(self.body)!r})")


@dataclass(frozen=True)
class Hit(DocumentMetadata):
    """One ranked result. ``highlights`` are character ranges in the original body;
    ``title_highlights`` in the original title. ``score`` is 0 when sorted by date."""

    rank: int = 0
    score: float = 0.0
    snippet: Snippet = field(default_factory=lambda: Snippet("", (), 0, 0, 0))
    highlights: tuple[Span, ...] = ()
    title_highlights: tuple[Span, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The hit as JSON-ready values: metadata (the date as an ISO string), the
        snippet's text and its highlights, highlights in the body and the title."""
        return {
            "rank": self.rank,
            "score": self.score,
            **self._metadata_dict(),
            "snippet": self.snippet.text,
            "snippet_highlights": [list(span) for span in self.snippet.highlights],
            "highlights": [list(span) for span in self.highlights],
            "title_highlights": [list(span) for span in self.title_highlights],
        }

    def __repr__(self) -> str:
        return (f"Hit(rank={self.rank}, id={self.id!r}, score={self.score:.3f}, "
                f"title={_short(self.title)!r}, date={_iso(self.date)})")


@dataclass(frozen=True)
class SearchResults:
    """Ranked hits of one query. Iterate it for :class:`Hit` objects; ``total`` counts
    every matching document, ``len()`` the hits returned, which start after the first
    ``offset`` (their ranks count from ``offset + 1``)."""

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
    #: How many ranked documents come before the first hit (paging).
    offset: int = 0

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    @overload
    def __getitem__(self, index: int) -> Hit: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Hit, ...]: ...
    def __getitem__(self, index: int | slice) -> Hit | tuple[Hit, ...]:
        return self.hits[index]

    def summary(self) -> str:
        """One line: "1 document matches; showing 1." or "12 documents match; showing
        11-12." (ranks), or "No documents match."."""
        if not self.total:
            return "No documents match."
        matches = "1 document matches" if self.total == 1 else f"{self.total} documents match"
        if not self.hits:
            return f"{matches}; none after {self.offset}."
        first, last = self.hits[0].rank, self.hits[-1].rank
        shown = str(last) if first == 1 else f"{first}-{last}" if first < last else str(first)
        return f"{matches}; showing {shown}."

    def to_dict(self) -> dict[str, Any]:
        """The results as JSON-ready values (``json.dumps(results.to_dict())``)."""
        return {
            "query": self.query,
            "suggestion": self.suggestion,
            "corrected_from": self.corrected_from,
            "total": self.total,
            "offset": self.offset,
            "facets": {name: [[value, count] for value, count in counts]
                       for name, counts in self.facets.items()},
            "hits": [hit.to_dict() for hit in self.hits],
        }

    def __repr__(self) -> str:
        if not self.hits:
            shown = "no hits"
        elif len(self.hits) == 1:
            shown = f"hit {self.hits[0].rank}"
        else:
            shown = f"hits {self.hits[0].rank}-{self.hits[-1].rank}"
        return f"<SearchResults {self.query!r}: {self.total} matching, {shown}>"

    def _repr_html_(self) -> str:
        """A table of the hits, for notebooks."""
        rows = "".join(
            "<tr>"
            f"<td>{hit.rank}</td>"
            f"<td><b>{html.escape(hit.title or hit.id)}</b><br>"
            f"<small>{html.escape(', '.join(str(x) for x in (hit.date, hit.source) if x))}"
            f" [{html.escape(hit.id)}]</small></td>"
            f"<td>{hit.snippet.html()}</td>"
            "</tr>"
            for hit in self.hits
        )
        note = ""
        if self.corrected_from:
            note = f"<p>Showing results for: {html.escape(self.query)}</p>"
        elif self.suggestion:
            note = f"<p>Did you mean: {html.escape(self.suggestion)}</p>"
        return (f"{note}<p>{html.escape(self.summary())}</p>"
                "<table><tr><th>#</th><th>document</th><th>snippet</th></tr>"
                f"{rows}</table>")


def _short(text: str | None, length: int = 40) -> str | None:
    if text is None or len(text) <= length:
        return text
    return text[: length - 1] + "…"


def _iso(date: dt.date | None) -> str:
    return date.isoformat() if date else "None"


def run_search(
    searcher: Searcher,
    query: str | None,
    limit: int = 10,
    *,
    offset: int = 0,
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    source: str | Sequence[str] | None = None,
    place: str | Sequence[str] | None = None,
    cites: str | Sequence[str] | None = None,
    sort: Sort = "relevance",
    facets: bool = False,
    exact: bool = False,
    acronyms: Acronyms | None = None,
    scorer: ArrayScorer | None = None,
    lexicon: Lexicon | None = None,
    ranking: Ranking = DEFAULT_RANKING,
) -> SearchResults:
    """Parse ``query``, run it and copy ``limit`` hits, after the first ``offset``, out
    of the searcher.

    ``scorer`` and ``lexicon`` (one each per searcher, kept between queries) keep the
    postings and term statistics of earlier queries. ``ranking`` weighs the query's
    features; the searcher's weighting must be ``ranking.weighting()``.

    ``since``/``until`` (dates, inclusive: see :meth:`Filters.build`), ``source``,
    ``place`` and ``cites`` (a value or a list of them) restrict the results;
    ``sort="date"`` orders them newest first; ``facets=True`` fills
    :attr:`SearchResults.facets` with counts by year, source, place and cited document
    over every matching document. A filter that matches nothing matches nothing: no
    hits, ``total`` 0, no facet counts.

    Unless ``exact``, the query is assisted (:mod:`danvan_search.assistance`): Telex/VNI
    keystrokes are decoded and misspelt words corrected, accents are restored on a query
    typed without them (used to rank), and ``acronyms`` expand both ways. The better form
    is offered as ``suggestion``; the results are for the correction only when the query
    as typed finds no document (with the same filters) and the correction finds some:
    then ``query`` is the correction and ``corrected_from`` the query as typed.

    Raises :class:`~danvan_search.errors.InvalidQueryError` for an empty query without
    any filter (with one, every matching document is listed, newest first) and for an
    option value it cannot take, :class:`~danvan_search.errors.ArgumentTypeError` for an
    argument of the wrong type (both name the argument); any other text, however
    malformed, is searched as plain text.
    """
    with validation.for_call("search()", InvalidQueryError):
        query = validation.optional_text("query", query)
        limit = validation.integer("limit", limit, minimum=1)
        offset = validation.integer("offset", offset, minimum=0)
        sort = validation.choice("sort", sort, ("relevance", "date"))  # type: ignore[assignment]
        facets, exact = validation.flag("facets", facets), validation.flag("exact", exact)
        if acronyms is not None:
            validation.instance("acronyms", acronyms, Acronyms, "an Acronyms table")
        validation.instance("ranking", ranking, Ranking, "a Ranking")
    restrict = Filters.build(since, until, source, place, cites)
    assistance = None
    corrected_from = None
    if restrict and (query is None or not query.strip()):
        text, highlight, main = "", (), wq.Every()
        sort = "date"
    else:
        text = prepare_query_text(query or "")
        reader = searcher.reader()
        if not exact:
            assistance = QueryAssistant(searcher, lexicon=lexicon, scorer=scorer).assist(text)

        def plan_for(text: str) -> QueryPlan[wq.Query]:
            return build_query(
                parse_query(text), lexicon or reader,
                acronyms=None if exact else acronyms,
                restored=assistance.restored if assistance else None,
                ranking=ranking,
            )

        plan = plan_for(text)
        if assistance and assistance.correction is not None:
            # A correction replaces what was typed only when that finds nothing: a query
            # that finds documents is never made worse by a guess.
            filter_query = restrict.query()
            if not _finds_any(searcher, scorer, plan.query, filter_query):
                corrected = plan_for(assistance.correction)
                if _finds_any(searcher, scorer, corrected.query, filter_query):
                    text, plan, corrected_from = assistance.correction, corrected, assistance.typed
        highlight, main = plan.highlight, plan.query
    page = _Page(
        text, offset, facets,
        suggestion=assistance.suggestion if assistance else None,
        corrected_from=corrected_from,
    )
    if main is None:
        return page.results((), 0)
    # Imported here: numpy takes a third of the package's import time, and only
    # searches need it (not --help, not indexing).
    from .scoring import ArrayScorer, Unsupported

    wanted = offset + limit
    filter_query = restrict.query()
    ranked = None
    try:
        scorer = scorer or ArrayScorer(searcher)
        if sort == "date":
            matched: frozenset[int] | None = scorer.matches(main, filter_query)
        else:
            ranked = scorer.top(main, wanted, filter_query, with_matches=facets)
            matched = ranked.matches
    except Unsupported:  # Whoosh alone, for queries the scorer does not handle
        # Whoosh reads an empty set of allowed documents as no filter at all.
        allowed = None if filter_query is None else set(searcher.docs_for_query(filter_query))
        if allowed is not None and not allowed:
            return page.results((), 0)
        results = searcher.search(main, **_whoosh_options(wanted, allowed, sort, facets))
        hits = _whoosh_hits(searcher, results, offset, limit, highlight, by_date=sort == "date")
        return page.results(hits, len(results), _facets(results) if facets else None)
    if matched is not None and not matched:
        return page.results((), 0)
    listed = None
    if matched is not None:
        # Whoosh sorts by date and counts facets, over the documents the scorer matched:
        # its own AndNot would let excluded documents through.
        # (a set: Whoosh takes no frozenset as a filter)
        listed = searcher.search(wq.Every(), **_whoosh_options(wanted, set(matched), sort,
                                                               facets))
    counts = _facets(listed) if facets else None
    if ranked is None:  # by date
        hits = _whoosh_hits(searcher, listed, offset, limit, highlight, by_date=True)
        return page.results(hits, len(matched or ()), counts)
    top = list(zip(ranked.docnums, ranked.scores, strict=True))[offset:]
    hits = tuple(
        _hit(rank, stored_document(searcher.reader(), docnum), highlight, score)
        for rank, (docnum, score) in enumerate(top, offset + 1)
    )
    return page.results(hits, ranked.total, counts)


def _finds_any(
    searcher: Searcher, scorer: ArrayScorer | None, query: wq.Query | None,
    filter_query: wq.Query | None,
) -> bool:
    """Whether ``query`` matches any document ``filter_query`` lets through."""
    if query is None:
        return False
    from .scoring import ArrayScorer, Unsupported

    try:
        return bool((scorer or ArrayScorer(searcher)).matches(query, filter_query))
    except Unsupported:
        return not searcher.search(query, filter=filter_query, limit=1).is_empty()


@dataclass(frozen=True)
class _Page:
    """What every result of one search shares, whatever path found its hits."""

    query: str
    offset: int
    facets: bool
    suggestion: str | None
    corrected_from: str | None

    def results(
        self, hits: tuple[Hit, ...], total: int,
        counts: Mapping[str, tuple[tuple[str, int], ...]] | None = None,
    ) -> SearchResults:
        if self.facets and counts is None:  # nothing matched: every facet is empty
            counts = facet_counts({})
        return SearchResults(self.query, hits, total, self.suggestion, self.corrected_from,
                             facets=counts or {}, offset=self.offset)


def _whoosh_options(limit: int, filter: Any, sort: str, facets: bool) -> dict[str, Any]:
    options: dict[str, Any] = {"limit": limit, "filter": filter}
    if sort == "date":
        options.update(sortedby="date", reverse=True)
    if facets:
        options.update(groupedby=facet_spec(), maptype=Count)
    return options


def _whoosh_hits(
    searcher: Searcher, results: Any, offset: int, limit: int, highlight: Sequence[MatchRun],
    by_date: bool,
) -> tuple[Hit, ...]:
    # Sorted by date, Whoosh puts the sort key where the score was: no score then.
    reader = searcher.reader()
    return tuple(
        _hit(rank, stored_document(reader, result.docnum), highlight,
             0.0 if by_date else float(result.score or 0.0))
        for rank, result in enumerate(results[offset : offset + limit], offset + 1)
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
