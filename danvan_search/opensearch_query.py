"""The query language of :mod:`danvan_search.query`, translated to OpenSearch's query DSL.

The same parse (:func:`~danvan_search.query.parse_query`), the same split of free words
into the words the index holds, and the same ranking features
(:class:`~danvan_search.ranking.Ranking`): BM25 over the query's syllables in title and
body (exact stream for words typed with accents, folded for words typed without), found
by whole words, plus, for syllables adjacent in the query found adjacent in the body,
a bonus and the pair scored as a term of its own (the pair fields). What the embedded
index reads term by term from its files is asked of the cluster's term dictionaries at
once (:func:`lexicon_keys`, :class:`Lexicon`): the documents and occurrences of each run
of query syllables, as a word or as syllables, and of each pair of adjacent ones, which
is what the split, the choice between a word and a phrase, and the weight of each term
need.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    syllable_field,
    word_field,
)
from .query_builder import MAX_WORD_SYLLABLES, likeliest_spans
from .query_syntax import Clause, ParsedQuery
from .ranking import DEFAULT_RANKING, Ranking
from .schema import PLAIN_FIELD, PLAIN_MARK, TEXT_FIELDS
from .snippets import MatchRun

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
    every syllable, word and pair field, and ``id`` (every document has one)."""
    return ["id", LENGTH_FIELD,
            *(field(name, kind) for kind in ("exact", "folded") for name in TEXT_FIELDS
              for field in (syllable_field, word_field, pair_field))]


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
        """How much to weigh a term (or phrase) of a syllable field so that it scores as
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
            _, terms = _terms(clause.text, accented)
            if restored and not accented:
                for start in range(len(terms)):
                    for end in range(start + 1, min(len(terms), start + MAX_WORD_SYLLABLES)
                                     + 1):
                        forms = [restored.get(t) for t in terms[start:end]]
                        if not all(forms):
                            break
                        for name in TEXT_FIELDS:
                            if len(forms) == 1:
                                keys[(syllable_field(name, "exact"), str(forms[0]))] = None
                            else:
                                keys[(word_field(name, "exact"),
                                      join_word(str(f) for f in forms))] = None
            for kind in streams:
                kind_terms = terms if kind == stream else [folded_term(t) for t in terms]
                # Each two adjacent syllables, as the pair a free word clause scores.
                for left, right in pairwise(kind_terms):
                    keys[(pair_field("body", kind), join_pair(left, right))] = None
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
                syllables, _ = _terms(clause.text, accented)
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


@dataclass(frozen=True)
class QueryPlan:
    """An OpenSearch query plus the query words that snippets should highlight."""

    query: Query | None
    highlight: tuple[MatchRun, ...]


def build_query(
    parsed: ParsedQuery, lexicon: Lexicon, acronyms: Acronyms | None = None,
    restored: Mapping[str, str] | None = None, ranking: Ranking = DEFAULT_RANKING,
) -> QueryPlan:
    """The OpenSearch query for ``parsed``, as :func:`danvan_search.query.build_query`
    builds the Whoosh one (``restored``: folded syllable → accented syllable, ranking
    the documents with those accents first)."""
    builder = _Builder(lexicon, acronyms, restored or {}, ranking)
    alternatives = [q for q in (builder.alternative(a) for a in parsed.alternatives) if q]
    excluded = [
        builder.clause_query(c, required=True)
        for alt in parsed.alternatives
        for c in alt
        if c.negated
    ]
    excluded = [q for q in excluded if q is not None]
    main: Query | None
    if alternatives:
        main = alternatives[0] if len(alternatives) == 1 else _or(alternatives)
    elif excluded:
        main = {"match_all": {}}
    else:
        main = None
    if main is not None and excluded:
        main = {"bool": {"must": [main], "must_not": excluded}}
    return QueryPlan(main, tuple(dict.fromkeys(builder.highlight)))


class _Builder:
    def __init__(self, lexicon: Lexicon, acronyms: Acronyms | None,
                 restored: Mapping[str, str], ranking: Ranking) -> None:
        self.lexicon = lexicon
        self.acronyms = acronyms
        self.restored = restored
        self.ranking = ranking
        self.highlight: list[MatchRun] = []
        self.plain_docs = lexicon.plain_docs

    def alternative(self, clauses: Sequence[Clause]) -> Query | None:
        required, optional = [], []
        for clause in clauses:
            if clause.negated:
                continue
            q = self.clause_query(clause, required=False)
            if q is not None:
                (required if clause.phrase or clause.in_title else optional).append(q)
        if required:
            must = required[0] if len(required) == 1 else {"bool": {"must": required}}
            if optional:
                return {"bool": {"must": [must], "should": [_or(optional)]}}
            return must
        if optional:
            return _or(optional)
        return None

    def clause_query(self, clause: Clause, required: bool) -> Query | None:
        fields = ("title",) if clause.in_title else TEXT_FIELDS
        accented = has_diacritics(clause.text)
        if clause.phrase:
            syllables = [s for w in self.words(clause.text, accented) for s in w]
            if not clause.negated:
                self.highlight.append(_match_run(syllables, accented))
            return self.phrase(syllables, accented, fields) if syllables else None
        words = self.words(clause.text, accented)
        if not clause.negated:
            self.highlight.extend(_match_run(w, accented) for w in words)
        if not words:
            return None
        if required or clause.negated:
            parts = [_or(self.term_clauses(w, accented, fields, 1.0)) for w in words]
            return parts[0] if len(parts) == 1 else {"bool": {"must": parts}}
        return self.free_words(words, accented, fields)

    def words(self, text: str, accented: bool) -> list[tuple[str, ...]]:
        """The words of ``text`` as tuples of syllables, split as the embedded index
        splits them (its likeliest split, see ``query._Builder.words``, with the same
        occurrences and totals)."""
        syllables, terms = _terms(text, accented)
        stream = _stream(accented)
        total = self.lexicon.total() or 1
        spans = likeliest_spans(terms, lambda run: self.run_count(run, stream), total)
        return [tuple(syllables[i:j]) for i, j in spans]

    def run_count(self, run: Sequence[str], stream: StreamKind) -> int:
        """The occurrences of a run of syllables in the text fields, as a word or, for
        one syllable, as a syllable (the embedded index's term frequency)."""
        count = 0
        for name in TEXT_FIELDS:
            if len(run) == 1:
                count += self.lexicon.frequency(syllable_field(name, stream), run[0])
            else:
                count += self.lexicon.frequency(word_field(name, stream), join_word(run))
        return count

    def free_words(
        self, words: list[tuple[str, ...]], accented: bool, fields: Sequence[str]
    ) -> Query:
        """Optional words: found by whole words, ranked by BM25 over their syllables,
        plus adjacent query syllables found adjacent in the body (the query module's
        ``free_words``; no document-frequency budget)."""
        ranking = self.ranking
        finding: list[Query] = []
        scoring: list[Query] = []
        for word in words:
            target = finding
            if ranking.find_by_words and len(word) > 1:
                # Every syllable of the word must be there; the word itself scores
                # nothing (a bool of filters scores 0): its syllables score below.
                finding.append({"bool": {"filter": [
                    _or(self.term_clauses((s,), accented, fields, 1.0)) for s in word
                ]}})
                target = scoring
            for syllable in word:
                target.extend(
                    self.term_clauses((syllable,), accented, fields, ranking.syllable_weight)
                )
            if len(word) > 1 and ranking.word_weight:
                scoring.extend(self.term_clauses(
                    word, accented, fields, ranking.word_weight, known_only=True
                ))
            if not accented and len(words) <= ranking.restored_max_words:
                scoring.extend(self.restored_clauses(word, fields))
        finding.extend(self.acronym_clauses(words, fields))
        syllables = [s for w in words for s in w]
        if (1 < len(syllables) <= ranking.max_proximity_syllables
                and (ranking.adjacent_weight or ranking.pair_weight
                     or ranking.unaccented_pair_weight)):
            for left, right in pairwise(syllables):
                scoring.extend(self.adjacent(left, right, accented))
        if not finding:
            return _or(scoring)
        if not scoring:
            return _or(finding)
        return {"bool": {"must": [_or(finding)], "should": scoring}}

    def adjacent(self, left: str, right: str, accented: bool) -> list[Query]:
        """Two syllables next to each other in the query, next to each other in the body
        (found by the pair term, no positions read; the query module's ``adjacent``):
        their own scores again, weighing ``adjacent_weight``, and the pair scored as a
        term of its own (``pair_weight``, ``unaccented_pair_weight`` for a pair typed
        without accents: BM25 over the pair field, with the pair's own document
        frequency and the field's own lengths)."""
        ranking = self.ranking
        if not accented:
            return self._adjacent(left, right, False, ranking.unaccented_pair_weight)
        clauses = self._adjacent(left, right, True, ranking.pair_weight)
        if self.plain_docs:
            # In documents written without diacritics, the folded pair stands in.
            clauses += [_plain_only(c)
                        for c in self._adjacent(left, right, False, ranking.pair_weight)]
        return clauses

    def _adjacent(self, left: str, right: str, accented: bool, pair_weight: float) -> list[Query]:
        ranking = self.ranking
        stream = _stream(accented)
        to_term = exact_term if accented else folded_term
        field = pair_field("body", stream)
        pair = join_pair(to_term(left), to_term(right))
        clauses: list[Query] = []
        if ranking.adjacent_weight:
            both = [_or(self.stream_clause("body", stream, (s,), ranking.adjacent_weight,
                                           known_only=False))
                    for s in (left, right)]
            clauses.append({"bool": {"must": both, "filter": [{"term": {field: pair}}]}})
        if pair_weight:
            clauses.append(self.sequence(field, [pair], pair_weight))
        return clauses

    def restored_clauses(self, word: tuple[str, ...], fields: Sequence[str]) -> list[Query]:
        """Exact-accent terms of a word typed without accents, as restored: they rank
        the documents with those accents first (the query module's
        ``restored_clauses``), where the index holds them."""
        forms = [self.restored.get(folded_term(s)) for s in word]
        if not all(forms) or not self.ranking.restored_weight:
            return []
        clauses: list[Query] = []
        for name in fields:
            weight = self.field_weight(name) * self.ranking.restored_weight
            if not weight:
                continue
            if len(forms) == 1:
                field, term = syllable_field(name, "exact"), str(forms[0])
            else:  # a word: its own document frequency, as in the embedded index
                field, term = word_field(name, "exact"), join_word(str(f) for f in forms)
            if self.lexicon.count(field, term):
                clauses.append(_term(field, term,
                                     weight * self.lexicon.idf_ratio(field, [term])))
        return clauses

    def acronym_clauses(self, words: list[tuple[str, ...]], fields: Sequence[str]) -> list[Query]:
        """An acronym also finds what it stands for, and an expansion its acronym."""
        weight = self.ranking.acronym_weight
        if self.acronyms is None or not weight:
            return []
        clauses: list[Query] = []
        for word in words:
            if len(word) == 1:
                for expansion in self.acronyms.expansions(word[0]):
                    syllables = expansion.replace("-", " ").replace(",", " ").split()
                    clauses.append(_or([self.phrase(syllables, False, fields)], boost=weight))
                    self.highlight.append(_match_run(syllables, False))
        text = " ".join(s for word in words for s in word)
        for _, _, acronym in self.acronyms.find_expansions_in(text):
            term = folded_term(acronym)
            self.highlight.append(_match_run((acronym,), False))
            clauses += [
                self.sequence(syllable_field(name, "folded"), [term],
                              self.field_weight(name) * weight)
                for name in fields
                if self.field_weight(name)
            ]
        return clauses

    def field_weight(self, name: str) -> float:
        return self.ranking.title_weight if name == "title" else 1.0

    def term_clauses(
        self, syllables: tuple[str, ...], accented: bool, fields: Sequence[str],
        weight: float, known_only: bool = False,
    ) -> list[Query]:
        """The clauses matching a word in ``fields``: with accents, those accents (and
        the folded form only in documents written without diacritics); without, the
        folded stream."""
        clauses: list[Query] = []
        for name in fields:
            boost = weight * self.field_weight(name)
            if not boost:
                continue
            if not accented:
                clauses += self.stream_clause(name, "folded", syllables, boost, known_only)
                continue
            clauses += self.stream_clause(name, "exact", syllables, boost, known_only)
            if self.plain_docs:
                clauses += [
                    _plain_only(q)
                    for q in self.stream_clause(name, "folded", syllables, boost, known_only)
                ]
        return clauses

    def stream_clause(
        self, name: str, stream: StreamKind, syllables: tuple[str, ...], boost: float,
        known_only: bool,
    ) -> list[Query]:
        to_term = exact_term if stream == "exact" else folded_term
        terms = [to_term(s) for s in syllables]
        words = word_field(name, stream)
        syllables_field = syllable_field(name, stream)
        if len(terms) == 1:  # a syllable, or a part of a hyphenated word
            ratio = self.lexicon.idf_ratio(syllables_field, terms)
            return [_term(syllables_field, terms[0], boost * ratio)]
        joined = join_word(terms)
        if self.lexicon.count(words, joined):
            return [_term(words, joined, boost * self.lexicon.idf_ratio(words, [joined]))]
        if known_only:
            return []
        ratio = self.lexicon.idf_ratio(syllables_field, terms)
        return [_phrase(syllables_field, terms, boost * ratio)]

    def phrase(self, syllables: list[str], accented: bool, fields: Sequence[str]) -> Query:
        """The syllables next to each other, as typed (accents mean accents)."""
        subs: list[Query] = []
        folded = [folded_term(s) for s in syllables]
        for name in fields:
            boost = self.field_weight(name) or 1.0  # a required phrase counts anywhere
            if not accented:
                subs.append(self.sequence(syllable_field(name, "folded"), folded, boost))
                continue
            exact = [exact_term(s) for s in syllables]
            subs.append(self.sequence(syllable_field(name, "exact"), exact, boost))
            if self.plain_docs:
                subs.append(_plain_only(self.sequence(syllable_field(name, "folded"), folded,
                                                      boost)))
        return _or(subs)

    def sequence(self, field: str, terms: Sequence[str], boost: float) -> Query:
        boost *= self.lexicon.idf_ratio(field, terms)
        return _term(field, terms[0], boost) if len(terms) == 1 else _phrase(field, terms, boost)


def _term(field: str, term: str, boost: float) -> Query:
    return {"term": {field: {"value": term, "boost": boost}}}


def _phrase(field: str, terms: Sequence[str], boost: float) -> Query:
    return {"match_phrase": {field: {"query": " ".join(terms), "boost": boost}}}


def _plain_only(query: Query) -> Query:
    """``query`` only in documents written without diacritics (the mark scores nothing)."""
    return {"bool": {"must": [query], "filter": [{"term": {PLAIN_FIELD: PLAIN_MARK}}]}}


def _or(queries: Sequence[Query], boost: float = 1.0) -> Query:
    if len(queries) == 1 and boost == 1.0:
        return queries[0]
    query: Query = {"bool": {"should": list(queries), "minimum_should_match": 1}}
    if boost != 1.0:
        query["bool"]["boost"] = boost
    return query


def _match_run(syllables: Sequence[str], accented: bool) -> MatchRun:
    to_term = exact_term if accented else folded_term
    return MatchRun(tuple(to_term(s) for s in syllables), accented)


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
