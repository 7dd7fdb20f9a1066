"""Queries for the embedded index: the clauses :mod:`danvan_search.query_builder` decides
on, said as Whoosh query objects (:class:`WhooshDialect`), and the term statistics they
are weighed with (:class:`Lexicon`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from whoosh import query as wq
from whoosh.reading import IndexReader

from .analysis import StreamKind
from .assist import Acronyms
from .query_builder import QueryBuilder, QueryPlan
from .query_syntax import ParsedQuery
from .ranking import DEFAULT_RANKING, Ranking
from .schema import (
    LEAD,
    LEAD_FIELDS,
    PAIR_FIELDS,
    PLAIN_FIELD,
    PLAIN_MARK,
    STREAM_FIELDS,
    TEXT_FIELDS,
)


class Lexicon:
    """The term statistics query construction asks the index for, remembered for as
    long as the searcher they come from: splitting a query into words looks up every run
    of up to four syllables in two fields, and in Whoosh each lookup is a file read."""

    MAX_REMEMBERED = 200_000

    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader
        self._known: dict[tuple[str, str, str], Any] = {}

    def _remember(self, kind: str, field: str, term: str, lookup: Callable[[], Any]) -> Any:
        key = (kind, field, term)
        if key not in self._known:
            if len(self._known) >= self.MAX_REMEMBERED:
                self._known.clear()
            self._known[key] = lookup()
        return self._known[key]

    def __contains__(self, key: tuple[str, str]) -> bool:
        field, term = key
        return self._remember("in", field, term, lambda: key in self.reader)

    def frequency(self, field: str, term: str) -> float:
        return self._remember("cf", field, term, lambda: self.reader.frequency(field, term))

    def doc_frequency(self, field: str, term: str) -> int:
        return self._remember("df", field, term, lambda: self.reader.doc_frequency(field, term))

    def field_length(self, field: str) -> int:
        return self._remember("len", field, "", lambda: self.reader.field_length(field))

    def doc_count_all(self) -> int:
        return self._remember("docs", "", "", self.reader.doc_count_all)


def build_query(
    parsed: ParsedQuery,
    reader: IndexReader | Lexicon,
    acronyms: Acronyms | None = None,
    restored: Mapping[str, str] | None = None,
    ranking: Ranking = DEFAULT_RANKING,
) -> QueryPlan[wq.Query]:
    """Turn a parsed query into a Whoosh query against the index behind ``reader``
    (a :class:`Lexicon` over it saves the lookups of queries built before), weighed as
    ``ranking`` says.

    With ``acronyms``, an acronym in the query also matches what it stands for and the
    other way round; ``restored`` (folded syllable → accented syllable) ranks documents
    with the restored accents first.
    """
    dialect = WhooshDialect(reader)
    return QueryBuilder(dialect, acronyms, restored or {}, ranking).plan(parsed)


#: The index of each stream in :data:`STREAM_FIELDS` and :data:`PAIR_FIELDS`.
_STREAM_INDEX: dict[StreamKind, int] = {"exact": 0, "folded": 1}
#: The Whoosh fields of each field the builder names, per stream.
_FIELDS = {**STREAM_FIELDS, LEAD: LEAD_FIELDS}
#: The documents written without diacritics (required, never scored: ``wq.Require``).
_PLAIN = wq.Term(PLAIN_FIELD, PLAIN_MARK)


class WhooshDialect:
    """The clauses of :class:`~danvan_search.query_builder.QueryBuilder` as Whoosh
    queries, and the statistics it asks for read from the index. A field holds both
    the syllables and the words of its stream (a word is one term, its syllables joined
    by spaces); pairs have a field of their own."""

    def __init__(self, reader: IndexReader | Lexicon) -> None:
        self.reader = reader
        # Documents written without diacritics, where a word typed with accents may only
        # match folded (none in most indexes: then no clause for them at all).
        self.plain_docs = (PLAIN_FIELD, PLAIN_MARK) in reader

    def holds(self, name: str, stream: StreamKind, terms: Sequence[str]) -> bool:
        return (_field(name, stream), " ".join(terms)) in self.reader

    def occurrences(self, terms: Sequence[str], stream: StreamKind) -> float:
        term = " ".join(terms)
        return sum(self.reader.frequency(_field(name, stream), term) for name in TEXT_FIELDS)

    def text_length(self, stream: StreamKind) -> int:
        return sum(self.reader.field_length(_field(name, stream)) for name in TEXT_FIELDS)

    def documents(self) -> int:
        return self.reader.doc_count_all()

    def documents_with(self, name: str, stream: StreamKind, terms: Sequence[str]) -> int:
        return self.reader.doc_frequency(_field(name, stream), " ".join(terms))

    def word(self, name: str, stream: StreamKind, terms: Sequence[str],
             boost: float) -> wq.Query:
        return wq.Term(_field(name, stream), " ".join(terms), boost=boost)

    def sequence(self, name: str, stream: StreamKind, terms: Sequence[str],
                 boost: float) -> wq.Query:
        if len(terms) == 1:
            return wq.Term(_field(name, stream), terms[0], boost=boost)
        return wq.Phrase(_field(name, stream), list(terms), boost=boost)

    def pair(self, name: str, stream: StreamKind, left: str, right: str,
             boost: float) -> wq.Query:
        return wq.Term(PAIR_FIELDS[name][_STREAM_INDEX[stream]], f"{left} {right}",
                       boost=boost)

    def pair_present(self, name: str, stream: StreamKind, left: str, right: str) -> wq.Query:
        return self.pair(name, stream, left, right, 1.0)  # only_where does not score it

    def plain_mark(self) -> wq.Query:
        return _PLAIN

    def any_of(self, queries: Sequence[wq.Query], boost: float = 1.0) -> wq.Query:
        return _or(queries, boost)

    def all_of(self, queries: Sequence[wq.Query], boost: float = 1.0) -> wq.Query:
        return wq.And(list(queries), boost=boost)

    def all_present(self, queries: Sequence[wq.Query]) -> wq.Query:
        return wq.And(list(queries), boost=0.0)

    def only_where(self, queries: Sequence[wq.Query], condition: wq.Query) -> wq.Query:
        # Require scores its first query only: the condition counts nothing.
        required = queries[0] if len(queries) == 1 else wq.And(list(queries))
        return wq.Require(required, condition)

    def with_optional(self, required: wq.Query, optional: Sequence[wq.Query]) -> wq.Query:
        return wq.AndMaybe(required, _or(optional))

    def excluding(self, query: wq.Query, excluded: Sequence[wq.Query]) -> wq.Query:
        return wq.AndNot(query, _or(excluded))

    def everything(self) -> wq.Query:
        return wq.Every()


def _field(name: str, stream: StreamKind) -> str:
    return _FIELDS[name][_STREAM_INDEX[stream]]


class UnionOr(wq.Or):
    """An OR evaluated as a tree of union matchers. Whoosh otherwise preloads every
    posting of small indexes into arrays, which costs more than it saves here."""

    matcher_type = wq.Or.DEFAULT_MATCHER


def _or(queries: Sequence[wq.Query], boost: float = 1.0) -> wq.Query:
    if len(queries) == 1:
        # Whoosh gives a compound of one query that query's own matcher, dropping the
        # compound's boost: the boost has to go on the query itself.
        only = queries[0]
        return only if boost == 1.0 else only.with_boost(only.boost * boost)
    return UnionOr(list(queries), boost=boost)
