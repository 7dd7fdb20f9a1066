"""Queries for an OpenSearch index: the clauses :mod:`danvan_search.query_builder` decides
on, said in OpenSearch's query DSL (:class:`OpenSearchDialect`), as the embedded index says
them in Whoosh's.

The same parse, the same split of free words into the words the index holds, and the
same ranking features (:class:`~danvan_search.ranking.Ranking`), with each term weighed
so that it scores as in the embedded index (:meth:`Lexicon.idf_ratio`). What the embedded
index reads term by term from its files is asked of the cluster's term dictionaries at
once (:func:`lexicon_keys`, :class:`Lexicon`): the documents and occurrences of each run
of query syllables, as a word or as syllables, and of each pair of adjacent ones, which
is what the split, the choice between a word and a phrase, and the weight of each term
need.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from .analysis import StreamKind, exact_term, folded_term, split_syllables
from .assist import Acronyms
from .filters import Filters, filter_value
from .metadata import normalize_code
from .normalization import has_diacritics
from .opensearch_schema import (
    LENGTH_FIELD,
    join_pair,
    join_word,
    pair_field,
    stream_fields,
    syllable_field,
    word_field,
)
from .query_builder import MAX_WORD_SYLLABLES, QueryBuilder, QueryPlan
from .query_syntax import ParsedQuery
from .ranking import DEFAULT_RANKING, Ranking
from .schema import LEAD, PLAIN_FIELD, PLAIN_MARK, TEXT_FIELDS

Query = dict[str, Any]


def _stream(accented: bool) -> StreamKind:
    return "exact" if accented else "folded"


def _terms(text: str, accented: bool) -> tuple[list[str], list[str]]:
    """The syllables of ``text`` as typed, and as terms of the stream it is matched on."""
    analysis = split_syllables(text)
    syllables = [analysis.text[w.start : w.end] for w in analysis.words]
    to_term = exact_term if accented else folded_term
    return syllables, [to_term(s) for s in syllables]


# --- term statistics ----------------------------------------------------------------------


#: A field of the index and a term of it.
Key = tuple[str, str]


def statistics_fields() -> list[str]:
    """The fields whose statistics (documents with the field, its tokens) a query needs:
    every field of analysed text (:func:`~.opensearch_schema.stream_fields`), and ``id``
    (every document has one)."""
    return ["id", *stream_fields()]


@dataclass(frozen=True)
class Lexicon:
    """Statistics of the query's candidate terms, per field (the documents holding each,
    and its occurrences), and of the fields: what splitting the query into words and
    weighing its terms need, read from the term dictionaries (see
    :meth:`OpenSearchIndex.term_statistics
    <danvan_search.opensearch_index.OpenSearchIndex.term_statistics>`)."""

    #: (field, term) → (documents holding it, its occurrences).
    terms: Mapping[Key, tuple[int, int]]
    #: field → (documents with the field, tokens of the field).
    fields: Mapping[str, tuple[int, int]]

    def count(self, field: str, term: str) -> int:
        return self.terms.get((field, term), (0, 0))[0]

    def frequency(self, field: str, term: str) -> int:
        return self.terms.get((field, term), (0, 0))[1]

    @property
    def documents(self) -> int:
        return self.fields.get("id", (0, 0))[0]

    @property
    def plain_docs(self) -> bool:
        """Whether the index has documents written without diacritics."""
        return bool(self.count(PLAIN_FIELD, PLAIN_MARK))

    def total(self) -> int:
        """The embedded index's text fields' lengths summed (its syllables, parts and
        words; as many in either stream): the denominator of the word model that splits
        a query."""
        return self.fields.get(LENGTH_FIELD, (0, 0))[1]

    def idf_ratio(self, field: str, terms: Sequence[str]) -> float:
        """How much to weigh a term of a syllable field (or each term of a phrase, see
        :meth:`OpenSearchDialect.sequence`) so that it scores as
        in the embedded index: Whoosh's idf, ``log(N / (df + 1)) + 1`` over every
        document, against Lucene's, ``log(1 + (n - df + 0.5) / (df + 0.5))`` over the
        documents with the field. The ``+ 1`` keeps common syllables weighing something
        in Whoosh; without it frequent syllables count for next to nothing, and
        documents rank otherwise. (Both use the term frequency and length the same way,
        up to a constant factor.)"""
        whoosh = lucene = 0.0
        docs, with_field = self.documents, self.fields.get(field, (0, 0))[0]
        for term in terms:
            df = self.count(field, term)
            if not df or not docs or not with_field:
                return 1.0
            whoosh += math.log(docs / (df + 1)) + 1
            lucene += math.log(1 + (with_field - df + 0.5) / (df + 0.5))
        return whoosh / lucene if lucene > 0 else 1.0


def lexicon_keys(
    parsed: ParsedQuery, acronyms: Acronyms | None = None,
    restored: Mapping[str, str] | None = None,
) -> list[Key]:
    """The terms whose statistics the query for ``parsed`` needs: every run of up to
    :data:`MAX_WORD_SYLLABLES` syllables of its clauses, in every text field (runs of
    several syllables as words, single syllables as syllables), each pair of adjacent
    syllables, the terms acronyms add, the accents ``restored`` on runs typed without,
    and the mark of documents written without diacritics."""
    keys: dict[Key, None] = {(PLAIN_FIELD, PLAIN_MARK): None}
    for alternative in parsed.alternatives:
        for clause in alternative:
            accented = has_diacritics(clause.text)
            stream = _stream(accented)
            streams = [stream, "folded"] if accented else [stream]
            syllables, terms = _terms(clause.text, accented)
            if restored and not accented:
                # Every run read with its restored accents (a syllable the restoration
                # left alone, as typed): whether the reading is sure, and how it scores.
                readings = [restored.get(t, t) for t in terms]
                keys.update(dict.fromkeys((syllable_field(LEAD, "exact"), r) for r in readings))
                for start in range(len(terms)):
                    for end in range(start + 1, min(len(terms), start + MAX_WORD_SYLLABLES)
                                     + 1):
                        forms = readings[start:end]
                        for name in TEXT_FIELDS:
                            if len(forms) == 1:
                                keys[(syllable_field(name, "exact"), forms[0])] = None
                            else:
                                keys[(word_field(name, "exact"), join_word(forms))] = None
            for kind in streams:
                kind_terms = terms if kind == stream else [folded_term(t) for t in terms]
                # Each two adjacent syllables, as the pair a free word clause scores.
                for left, right in pairwise(kind_terms):
                    keys[(pair_field("body", kind), join_pair(left, right))] = None
                # Each syllable, as the lead scores it.
                keys.update(dict.fromkeys((syllable_field(LEAD, kind), t) for t in kind_terms))
                for start in range(len(kind_terms)):
                    for end in range(start + 1, min(len(kind_terms), start + MAX_WORD_SYLLABLES)
                                     + 1):
                        run = kind_terms[start:end]
                        for name in TEXT_FIELDS:
                            if len(run) == 1:
                                keys[(syllable_field(name, kind), run[0])] = None
                            else:
                                keys[(word_field(name, kind), join_word(run))] = None
            if acronyms is not None:  # what acronyms add to the query is weighed too
                added = [folded_term(a) for _, _, a in acronyms.find_expansions_in(
                    " ".join(syllables))]
                for syllable in syllables:
                    for expansion in acronyms.expansions(syllable):
                        added += [folded_term(s) for s in
                                  expansion.replace("-", " ").replace(",", " ").split()]
                for term in added:
                    for name in TEXT_FIELDS:
                        keys[(syllable_field(name, "folded"), term)] = None
    return list(keys)


# --- the query ----------------------------------------------------------------------------


def build_query(
    parsed: ParsedQuery, lexicon: Lexicon, acronyms: Acronyms | None = None,
    restored: Mapping[str, str] | None = None, ranking: Ranking = DEFAULT_RANKING,
) -> QueryPlan[Query]:
    """The OpenSearch query for ``parsed``, as :func:`danvan_search.query.build_query`
    builds the Whoosh one (``restored``: folded syllable → accented syllable, ranking
    the documents with those accents first)."""
    # Every word finds, and no bonus for all of them: the finding budget and the
    # all-words bonus have not been measured on the cluster, so its queries stay as
    # they were measured.
    ranking = replace(ranking, finding_budget=0.0, all_words_weight=0.0)
    dialect = OpenSearchDialect(lexicon)
    return QueryBuilder(dialect, acronyms, restored or {}, ranking).plan(parsed)


class OpenSearchDialect:
    """The clauses of :class:`~danvan_search.query_builder.QueryBuilder` as OpenSearch
    query DSL, weighed with the statistics of ``lexicon``. Syllables, words and pairs
    have fields of their own; each term is weighed by :meth:`Lexicon.idf_ratio`, so that
    it scores as in the embedded index."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.plain_docs = lexicon.plain_docs

    def holds(self, name: str, stream: StreamKind, terms: Sequence[str]) -> bool:
        return bool(self.lexicon.count(*_term_key(name, stream, terms)))

    def occurrences(self, terms: Sequence[str], stream: StreamKind) -> float:
        """As a word or, for one syllable, as a syllable: the embedded index's term
        frequency."""
        return sum(self.lexicon.frequency(*_term_key(name, stream, terms))
                   for name in TEXT_FIELDS)

    def text_length(self, stream: StreamKind) -> int:
        return self.lexicon.total()  # as many terms in either stream

    def documents(self) -> int:
        return self.lexicon.documents

    def documents_with(self, name: str, stream: StreamKind, terms: Sequence[str]) -> int:
        return self.lexicon.count(*_term_key(name, stream, terms))

    def word(self, name: str, stream: StreamKind, terms: Sequence[str], boost: float) -> Query:
        # A word has its own document frequency, as in the embedded index.
        field, term = _term_key(name, stream, terms)
        return _term(field, term, boost * self.lexicon.idf_ratio(field, [term]))

    def sequence(self, name: str, stream: StreamKind, terms: Sequence[str],
                 boost: float) -> Query:
        field = syllable_field(name, stream)
        words = [_term(field, term, boost * self.lexicon.idf_ratio(field, [term]))
                 for term in terms]
        if len(terms) == 1:
            return words[0]
        # Scored as the embedded index scores a phrase: the sum of its words' own scores,
        # where they stand next to each other. Lucene would score the phrase's frequency
        # with the sum of the words' idf: a text with the phrase twice and its words
        # often apart would weigh otherwise in the two backends, and rank otherwise.
        return {"bool": {"must": words, "filter": [_phrase(field, terms)]}}

    def pair(self, name: str, stream: StreamKind, left: str, right: str,
             boost: float) -> Query:
        # BM25 over the pair field: the pair's own document frequency, the field's own
        # lengths.
        field, pair = pair_field(name, stream), join_pair(left, right)
        return _term(field, pair, boost * self.lexicon.idf_ratio(field, [pair]))

    def pair_present(self, name: str, stream: StreamKind, left: str, right: str) -> Query:
        return {"term": {pair_field(name, stream): join_pair(left, right)}}

    def plain_mark(self) -> Query:
        return {"term": {PLAIN_FIELD: PLAIN_MARK}}

    def any_of(self, queries: Sequence[Query], boost: float = 1.0) -> Query:
        if len(queries) == 1 and boost == 1.0:
            return queries[0]
        query: Query = {"bool": {"should": list(queries), "minimum_should_match": 1}}
        if boost != 1.0:
            query["bool"]["boost"] = boost
        return query

    def all_of(self, queries: Sequence[Query], boost: float = 1.0) -> Query:
        query: Query = {"bool": {"must": list(queries)}}
        if boost != 1.0:
            query["bool"]["boost"] = boost
        return query

    def all_present(self, queries: Sequence[Query]) -> Query:
        return {"bool": {"filter": list(queries)}}  # a bool of filters scores 0

    def only_where(self, queries: Sequence[Query], condition: Query) -> Query:
        return {"bool": {"must": list(queries), "filter": [condition]}}

    def with_optional(self, required: Query, optional: Sequence[Query]) -> Query:
        return {"bool": {"must": [required], "should": list(optional)}}

    def excluding(self, query: Query, excluded: Sequence[Query]) -> Query:
        return {"bool": {"must": [query], "must_not": list(excluded)}}

    def everything(self) -> Query:
        return {"match_all": {}}


def _term_key(name: str, stream: StreamKind, terms: Sequence[str]) -> Key:
    """The field and term that hold ``terms`` as one term: a syllable, or a word."""
    if len(terms) == 1:
        return syllable_field(name, stream), terms[0]
    return word_field(name, stream), join_word(terms)


def _term(field: str, term: str, boost: float) -> Query:
    return {"term": {field: {"value": term, "boost": boost}}}


def _phrase(field: str, terms: Sequence[str]) -> Query:
    return {"match_phrase": {field: {"query": " ".join(terms)}}}


# --- filters and facets -------------------------------------------------------------------


def filter_clauses(restrict: Filters) -> list[Query]:
    """The filters of a search, compared as the embedded index compares them."""
    clauses: list[Query] = []
    if restrict.since or restrict.until:
        bounds: dict[str, str] = {}
        if restrict.since:
            bounds["gte"] = restrict.since.isoformat()
        if restrict.until:
            bounds["lte"] = restrict.until.isoformat()
        clauses.append({"range": {"date": bounds}})
    for name, values in (("source", restrict.source), ("places", restrict.place)):
        if values:
            clauses.append({"terms": {name: [filter_value(v) for v in values]}})
    if restrict.cites:
        codes = [filter_value(normalize_code(c)) for c in restrict.cites]
        clauses.append({"terms": {"cites": codes}})
    return clauses


#: Facet values counted at most per facet (the embedded index counts them all).
MAX_FACET_VALUES = 10_000


def facet_aggregations() -> Query:
    from .filters import FACET_FIELDS

    return {name: {"terms": {"field": field, "size": MAX_FACET_VALUES}}
            for name, (field, _) in FACET_FIELDS.items()}


def facet_groups(aggregations: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    from .filters import FACET_FIELDS

    return {
        name: {b["key"]: b["doc_count"] for b in aggregations.get(name, {}).get("buckets", [])}
        for name in FACET_FIELDS
    }
