"""From a parsed query (:mod:`danvan_search.query_syntax`) to a Whoosh query.

A clause typed with diacritics is matched on the exact stream (those accents, in any tone
style); a clause typed without any diacritic is matched on the folded stream. Query words
are split the way the index splits its documents (:meth:`_Builder.words`); how each
feature weighs is :class:`~danvan_search.ranking.Ranking`'s to say.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from whoosh import query as wq
from whoosh.reading import IndexReader

from .analysis import exact_term, folded_term, split_syllables
from .assist import Acronyms
from .normalization import has_diacritics
from .query_syntax import Clause, ParsedQuery
from .ranking import DEFAULT_RANKING, Ranking
from .schema import PAIR_FIELDS, PLAIN_FIELD, PLAIN_MARK, STREAM_FIELDS, TEXT_FIELDS
from .snippets import MatchRun

#: However small the index, the finding words may have this many documents.
FINDING_BUDGET_MIN = 100
#: Longest run of syllables tried as one word when splitting a query into words.
MAX_WORD_SYLLABLES = 4
#: Occurrences assumed for a syllable the index has never seen, when weighing splits.
UNSEEN_COUNT = 0.5

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


@dataclass(frozen=True)
class QueryPlan:
    """A Whoosh query plus the query words that snippets should highlight."""

    query: wq.Query | None
    highlight: tuple[MatchRun, ...]


def build_query(
    parsed: ParsedQuery,
    reader: IndexReader | Lexicon,
    acronyms: Acronyms | None = None,
    restored: Mapping[str, str] | None = None,
    ranking: Ranking = DEFAULT_RANKING,
) -> QueryPlan:
    """Turn a parsed query into a Whoosh query against the index behind ``reader``
    (a :class:`Lexicon` over it saves the lookups of queries built before), weighed as
    ``ranking`` says.

    With ``acronyms``, an acronym in the query also matches what it stands for and the
    other way round; ``restored`` (folded syllable → accented syllable) ranks documents
    with the restored accents first.
    """
    builder = _Builder(reader, acronyms, restored or {}, ranking)
    alternatives = [q for q in (builder.alternative(a) for a in parsed.alternatives) if q]
    excluded = [
        builder.clause_query(c, required=True)
        for alt in parsed.alternatives
        for c in alt
        if c.negated
    ]
    excluded = [q for q in excluded if q is not None]
    main: wq.Query | None
    if alternatives:
        main = alternatives[0] if len(alternatives) == 1 else _or(alternatives)
    elif excluded:
        main = wq.Every()  # only exclusions: everything but them
    else:
        main = None
    if main is not None and excluded:
        main = wq.AndNot(main, _or(excluded))
    return QueryPlan(main, tuple(dict.fromkeys(builder.highlight)))


class _Builder:
    def __init__(
        self, reader: IndexReader | Lexicon, acronyms: Acronyms | None,
        restored: Mapping[str, str], ranking: Ranking,
    ) -> None:
        self.reader = reader
        self.acronyms = acronyms
        self.restored = restored
        self.ranking = ranking
        self.highlight: list[MatchRun] = []
        # Documents written without diacritics, where a word typed with accents may only
        # match folded (none in most indexes: then no clause for them at all).
        self.plain_docs = (PLAIN_FIELD, PLAIN_MARK) in reader

    def alternative(self, clauses: Sequence[Clause]) -> wq.Query | None:
        required, optional = [], []
        for clause in clauses:
            if clause.negated:
                continue
            q = self.clause_query(clause, required=False)
            if q is not None:
                (required if clause.phrase or clause.in_title else optional).append(q)
        if required:
            must = required[0] if len(required) == 1 else wq.And(required)
            return wq.AndMaybe(must, _or(optional)) if optional else must
        if optional:
            return _or(optional)
        return None

    def clause_query(self, clause: Clause, required: bool) -> wq.Query | None:
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
            return parts[0] if len(parts) == 1 else wq.And(parts)
        return self.free_words(words, accented, fields)

    def words(self, text: str, accented: bool) -> list[tuple[str, ...]]:
        """The words of ``text`` as tuples of syllables, split the way the index splits.

        The index holds every word the segmenter found in the documents, and every part
        of one, so a query splits the way the documents were split ("dan van kheo" and
        "dân vận khéo" both become the one word the index holds for "Dân vận khéo"):
        the split is the one the index makes likeliest (:meth:`likeliest_split`), on
        exact terms for accented text and folded ones for unaccented text. Longest match
        would do worse: folding makes almost any two syllables some word's parts
        ("an doi voi" would become "an doi" + "voi", not "an" + "doi voi"), and even
        with accents, "Trưởng ban Dân vận Tỉnh ủy" would end in "dân vận tỉnh" + "ủy".
        The CRF is not run on queries: it cannot segment unaccented text, and loading it
        would triple the cost of a one-off search.
        """
        analysis = split_syllables(text)
        syllables = [analysis.text[w.start : w.end] for w in analysis.words]
        to_term = exact_term if accented else folded_term
        terms = [to_term(s) for s in syllables]
        return [tuple(syllables[i:j]) for i, j in self.likeliest_split(terms, not accented)]

    def likeliest_split(self, terms: list[str], folded: bool) -> list[tuple[int, int]]:
        """Spans of ``terms`` making the likeliest sequence of words, each word's
        probability its share of all the terms of the text fields (a unigram model of
        the index, by dynamic programming). A run of syllables is a candidate word only
        if the index holds it as a term."""
        fields = [STREAM_FIELDS[name][1 if folded else 0] for name in TEXT_FIELDS]
        total = sum(self.reader.field_length(f) for f in fields) or 1
        return likeliest_spans(
            terms, lambda run: sum(self.reader.frequency(f, " ".join(run)) for f in fields), total
        )

    def free_words(
        self, words: list[tuple[str, ...]], accented: bool, fields: Sequence[str]
    ) -> wq.Query:
        """Optional words, ranked: BM25 over their syllables, plus the features of
        :class:`~danvan_search.ranking.Ranking`. Documents are found through the
        syllables of the query's finding words (:meth:`finding_words`); everything
        else only adds to the score of documents found that way."""
        ranking = self.ranking
        finders = self.finding_words(words)
        finding: list[wq.Query] = []
        scoring: list[wq.Query] = []
        for word in words:
            target = finding if word in finders else scoring
            if ranking.find_by_words and len(word) > 1:
                # Every syllable of the word finds, weighing nothing of its own (the
                # syllables score below). Not the word as one term: where the segmenter
                # split the text otherwise ("người dân vận động"), the index lacks it.
                syllable_clauses = [_or(self.term_clauses((s,), accented, fields, 1.0))
                                    for s in word]
                target.append(wq.And(syllable_clauses, boost=0.0))
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
        syllables = [(s, w in finders) for w in words for s in w]
        if 1 < len(syllables) <= ranking.max_proximity_syllables:
            # The bonuses look at the finding words only: a word most documents have
            # says little by being there too, and checking it costs the most.
            if ranking.all_words_weight:
                every = [_or(self.term_clauses((s,), accented, fields, 1.0))
                         for s, finds in dict.fromkeys(syllables) if finds]
                if len(every) > 1:
                    scoring.append(wq.And(every, boost=ranking.all_words_weight))
            if ranking.adjacent_weight or ranking.pair_weight or ranking.unaccented_pair_weight:
                for (left, left_finds), (right, right_finds) in pairwise(syllables):
                    if left_finds and right_finds:
                        scoring.extend(self.adjacent(left, right, accented))
        if not finding:
            return _or(scoring)
        return wq.AndMaybe(_or(finding), _or(scoring)) if scoring else _or(finding)

    def adjacent(self, left: str, right: str, accented: bool) -> list[wq.Query]:
        """Two syllables next to each other in the query, next to each other in the body
        (found by the pair term, no positions read): their own scores again, weighing
        ``adjacent_weight``, and the pair scored as a term of its own (``pair_weight``,
        or ``unaccented_pair_weight`` for a pair typed without accents)."""
        ranking = self.ranking
        if not accented:
            return self._adjacent(left, right, 1, ranking.unaccented_pair_weight)
        clauses = self._adjacent(left, right, 0, ranking.pair_weight)
        if self.plain_docs:
            # In documents written without diacritics, the folded pair stands in.
            clauses += [wq.Require(c, _PLAIN)
                        for c in self._adjacent(left, right, 1, ranking.pair_weight)]
        return clauses

    def _adjacent(self, left: str, right: str, stream: int, pair_weight: float) -> list[wq.Query]:
        to_term = folded_term if stream else exact_term
        field, pair_field = STREAM_FIELDS["body"][stream], PAIR_FIELDS["body"][stream]
        terms = (to_term(left), to_term(right))
        pair = wq.Term(pair_field, " ".join(terms))
        clauses: list[wq.Query] = []
        if self.ranking.adjacent_weight:
            weight = self.ranking.adjacent_weight
            clauses.append(wq.Require(wq.And([wq.Term(field, t, boost=weight) for t in terms]),
                                      pair))
        if pair_weight:
            # (A new term rather than with_boost(), which deep-copies the query.)
            clauses.append(wq.Term(pair_field, pair.text, boost=pair_weight))
        return clauses

    def restored_clauses(self, word: tuple[str, ...], fields: Sequence[str]) -> list[wq.Query]:
        """Exact-accent terms of a word typed without accents, as restored: they rank
        the documents that have those accents first."""
        forms = [self.restored.get(folded_term(s)) for s in word]
        if not all(forms) or not self.ranking.restored_weight:
            return []
        term = " ".join(forms)  # type: ignore[arg-type]
        return [
            wq.Term(STREAM_FIELDS[name][0], term,
                    boost=self.field_weight(name) * self.ranking.restored_weight)
            for name in fields
            if self.field_weight(name) and (STREAM_FIELDS[name][0], term) in self.reader
        ]

    def acronym_clauses(
        self, words: list[tuple[str, ...]], fields: Sequence[str]
    ) -> list[wq.Query]:
        """An acronym also finds what it stands for ("MTTQ": "Mặt trận Tổ quốc"), and
        the words of an expansion find the acronym ("Ủy ban nhân dân": "UBND")."""
        weight = self.ranking.acronym_weight
        if self.acronyms is None or not weight:
            return []
        clauses: list[wq.Query] = []
        for word in words:
            if len(word) == 1:
                for expansion in self.acronyms.expansions(word[0]):
                    syllables = expansion.replace("-", " ").replace(",", " ").split()
                    clauses.append(_or([self.phrase(syllables, False, fields)], boost=weight))
                    # What the acronym found is what the snippet should show.
                    self.highlight.append(_match_run(syllables, False))
        text = " ".join(s for word in words for s in word)
        for _, _, acronym in self.acronyms.find_expansions_in(text):
            term = folded_term(acronym)
            self.highlight.append(_match_run((acronym,), False))
            clauses += [
                wq.Term(STREAM_FIELDS[name][1], term, boost=self.field_weight(name) * weight)
                for name in fields
                if self.field_weight(name)
            ]
        return clauses

    def finding_words(self, words: list[tuple[str, ...]]) -> set[tuple[str, ...]]:
        """The rarest words, up to a budget of documents: they find the candidates.

        Words most documents have ("của", "là", "các") would make the candidates nearly
        the whole index, for an idf near zero. Like Lucene's "common terms" query,
        frequent words only add to the score of documents the rarer ones found, which
        bounds the work (no budget: every word finds).
        """
        if not self.ranking.finding_budget:
            return set(words)
        total = max(1, self.reader.doc_count_all())
        budget = max(FINDING_BUDGET_MIN, self.ranking.finding_budget * total)
        chosen: set[tuple[str, ...]] = set()
        spent = 0
        for frequency, word in sorted((self.frequency(w), w) for w in words):
            if chosen and spent + frequency > budget:
                break
            chosen.add(word)
            spent += frequency
        return chosen

    def frequency(self, syllables: tuple[str, ...]) -> int:
        field = STREAM_FIELDS["body"][1]
        folded = [folded_term(s) for s in syllables]
        joined = " ".join(folded)
        if (field, joined) in self.reader or len(folded) == 1:
            return self.reader.doc_frequency(field, joined)
        return min(self.reader.doc_frequency(field, s) for s in folded)

    def field_weight(self, name: str) -> float:
        return self.ranking.title_weight if name == "title" else 1.0

    def term_clauses(
        self, syllables: tuple[str, ...], accented: bool, fields: Sequence[str],
        weight: float, known_only: bool = False,
    ) -> list[wq.Query]:
        """The clauses that match a word in ``fields``, weighing ``weight``.

        Typed with accents, a word matches those accents (in any tone style: the index
        holds the canonical one), and its folded form only in documents written without
        diacritics ("tham nhũng" never counts "thăm những"); typed without, it matches
        the folded stream. A word of several syllables is one term where the index holds
        it as a word or part of one; elsewhere a phrase of its syllables, unless
        ``known_only``.
        """
        clauses: list[wq.Query] = []
        for name in fields:
            boost = weight * self.field_weight(name)
            if not boost:
                continue
            exact_field, folded_field = STREAM_FIELDS[name]
            if not accented:
                clauses += self.stream_clause(folded_field, syllables, folded_term, boost,
                                              known_only)
                continue
            clauses += self.stream_clause(exact_field, syllables, exact_term, boost, known_only)
            if self.plain_docs:
                clauses += [
                    wq.Require(folded, _PLAIN)
                    for folded in self.stream_clause(folded_field, syllables, folded_term, boost,
                                                     known_only)
                ]
        return clauses

    def stream_clause(
        self, field: str, syllables: tuple[str, ...], to_term: Callable[[str], str],
        boost: float, known_only: bool,
    ) -> list[wq.Query]:
        terms = [to_term(s) for s in syllables]
        joined = " ".join(terms)
        if len(terms) == 1 or (field, joined) in self.reader:
            return [wq.Term(field, joined, boost=boost)]
        return [] if known_only else [wq.Phrase(field, terms, boost=boost)]

    def phrase(self, syllables: list[str], accented: bool, fields: Sequence[str]) -> wq.Query:
        """The syllables next to each other, as typed (accents mean accents, as in
        :meth:`term_clauses`)."""
        subs: list[wq.Query] = []
        folded = [folded_term(s) for s in syllables]
        for name in fields:
            exact_field, folded_field = STREAM_FIELDS[name]
            boost = self.field_weight(name) or 1.0  # a required phrase counts anywhere
            if not accented:
                subs.append(_sequence(folded_field, folded, boost))
                continue
            subs.append(_sequence(exact_field, [exact_term(s) for s in syllables], boost))
            if self.plain_docs:
                subs.append(wq.Require(_sequence(folded_field, folded, boost), _PLAIN))
        return _or(subs)


def likeliest_spans(
    terms: Sequence[str], count: Callable[[Sequence[str]], float], total: float
) -> list[tuple[int, int]]:
    """Spans of ``terms`` making the likeliest sequence of words, each word's
    probability ``count(run) / total`` (a unigram model, by dynamic programming). A run
    of several terms is a candidate word only if ``count`` finds it."""
    best = [0.0] + [-math.inf] * len(terms)
    start = [0] * (len(terms) + 1)
    for end in range(1, len(terms) + 1):
        for size in range(1, min(MAX_WORD_SYLLABLES, end) + 1):
            found = count(terms[end - size : end])
            if size > 1 and not found:
                continue
            score = best[end - size] + math.log(max(found, UNSEEN_COUNT) / total)
            if score > best[end]:
                best[end], start[end] = score, end - size
    spans = []
    end = len(terms)
    while end > 0:
        spans.append((start[end], end))
        end = start[end]
    return spans[::-1]


#: The documents written without diacritics (required, never scored: ``wq.Require``).
_PLAIN = wq.Term(PLAIN_FIELD, PLAIN_MARK)


def _sequence(field: str, terms: list[str], boost: float) -> wq.Query:
    if len(terms) == 1:
        return wq.Term(field, terms[0], boost=boost)
    return wq.Phrase(field, terms, boost=boost)


def _match_run(syllables: Sequence[str], accented: bool) -> MatchRun:
    to_term = exact_term if accented else folded_term
    return MatchRun(tuple(to_term(s) for s in syllables), accented)


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
