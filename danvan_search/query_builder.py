"""Which clauses a parsed query becomes, and what each weighs, whatever the engine.

A clause typed with diacritics is matched on the exact stream (those accents, in any tone
style); a clause typed without any diacritic is matched on the folded stream. Query words
are split the way the index splits its documents (:meth:`QueryBuilder.words`); how each
feature weighs is :class:`~danvan_search.ranking.Ranking`'s to say.

:class:`QueryBuilder` decides; a :class:`QueryDialect` says it in one engine's terms and
answers what the builder asks of that engine's index. There are two:
:class:`danvan_search.query.WhooshDialect` (the embedded index) and
:class:`danvan_search.opensearch_query.OpenSearchDialect`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Generic, Protocol, TypeVar

from .analysis import StreamKind, exact_term, folded_term, split_syllables, term_function
from .assist import Acronyms
from .normalization import has_diacritics
from .query_syntax import Clause, ParsedQuery
from .ranking import Ranking
from .schema import LEAD, TEXT_FIELDS
from .snippets import MatchRun

#: However small the index, the finding words may have this many documents.
FINDING_BUDGET_MIN = 100
#: Longest run of syllables tried as one word when splitting a query into words.
MAX_WORD_SYLLABLES = 4
#: Occurrences assumed for a syllable the index has never seen, when weighing splits.
UNSEEN_COUNT = 0.5

Q = TypeVar("Q")


class QueryDialect(Protocol[Q]):
    """One engine's way of saying each kind of clause, and the statistics of its index
    that the builder needs. ``name`` is a text field (``title``, ``body``), ``stream``
    says which of its streams; ``terms`` are already terms of that stream."""

    #: Whether the index has documents written without diacritics.
    plain_docs: bool

    # --- what the index holds ---

    def holds(self, name: str, stream: StreamKind, terms: Sequence[str]) -> bool:
        """Whether the index holds ``terms`` as one term (a syllable, or a word)."""
        ...

    def occurrences(self, terms: Sequence[str], stream: StreamKind) -> float:
        """The occurrences of ``terms`` as one term in every text field."""
        ...

    def text_length(self, stream: StreamKind) -> int:
        """The terms of every text field: what the word model divides by."""
        ...

    def documents(self) -> int:
        """The documents of the index."""
        ...

    def documents_with(self, name: str, stream: StreamKind, terms: Sequence[str]) -> int:
        """The documents holding ``terms`` as one term."""
        ...

    # --- clauses ---

    def word(self, name: str, stream: StreamKind, terms: Sequence[str], boost: float) -> Q:
        """``terms`` as the one term the index holds for them."""
        ...

    def sequence(self, name: str, stream: StreamKind, terms: Sequence[str],
                 boost: float) -> Q:
        """``terms`` next to each other, as syllables (one term alone is that term)."""
        ...

    def pair(self, name: str, stream: StreamKind, left: str, right: str, boost: float) -> Q:
        """Two syllables next to each other, scored as the pair term of ``name``."""
        ...

    def pair_present(self, name: str, stream: StreamKind, left: str, right: str) -> Q:
        """Two syllables next to each other, a condition that scores nothing."""
        ...

    def plain_mark(self) -> Q:
        """Documents written without diacritics, a condition that scores nothing."""
        ...

    def any_of(self, queries: Sequence[Q], boost: float = 1.0) -> Q:
        """At least one of ``queries``; each that matches scores."""
        ...

    def all_of(self, queries: Sequence[Q], boost: float = 1.0) -> Q:
        """Every one of ``queries``, all scoring."""
        ...

    def all_present(self, queries: Sequence[Q]) -> Q:
        """Every one of ``queries``, scoring nothing."""
        ...

    def only_where(self, queries: Sequence[Q], condition: Q) -> Q:
        """Every one of ``queries`` (scoring) in the documents ``condition`` matches."""
        ...

    def with_optional(self, required: Q, optional: Sequence[Q]) -> Q:
        """``required`` finds; those of ``optional`` that match add to its score."""
        ...

    def excluding(self, query: Q, excluded: Sequence[Q]) -> Q:
        """``query`` in the documents none of ``excluded`` matches."""
        ...

    def everything(self) -> Q:
        """Every document."""
        ...


@dataclass(frozen=True)
class QueryPlan(Generic[Q]):
    """An engine's query plus the query words that snippets should highlight."""

    query: Q | None
    highlight: tuple[MatchRun, ...]


class QueryBuilder(Generic[Q]):
    """The query for a parsed query, in ``dialect``, weighed as ``ranking`` says. With
    ``acronyms``, an acronym in the query also matches what it stands for and the other
    way round; ``restored`` (folded syllable → accented syllable) ranks documents with
    the restored accents first."""

    def __init__(self, dialect: QueryDialect[Q], acronyms: Acronyms | None,
                 restored: Mapping[str, str], ranking: Ranking) -> None:
        self.dialect = dialect
        self.acronyms = acronyms
        self.restored = restored
        self.ranking = ranking
        self.highlight: list[MatchRun] = []

    def plan(self, parsed: ParsedQuery) -> QueryPlan[Q]:
        dialect = self.dialect
        alternatives = [q for q in (self.alternative(a) for a in parsed.alternatives) if q]
        excluded = [
            self.clause_query(c, required=True)
            for alt in parsed.alternatives
            for c in alt
            if c.negated
        ]
        excluded = [q for q in excluded if q is not None]
        main: Q | None
        if alternatives:
            main = alternatives[0] if len(alternatives) == 1 else dialect.any_of(alternatives)
        elif excluded:
            main = dialect.everything()  # only exclusions: everything but them
        else:
            main = None
        if main is not None and excluded:
            main = dialect.excluding(main, excluded)
        return QueryPlan(main, tuple(dict.fromkeys(self.highlight)))

    def alternative(self, clauses: Sequence[Clause]) -> Q | None:
        required, optional = [], []
        for clause in clauses:
            if clause.negated:
                continue
            q = self.clause_query(clause, required=False)
            if q is not None:
                (required if clause.phrase or clause.in_title else optional).append(q)
        if required:
            must = required[0] if len(required) == 1 else self.dialect.all_of(required)
            if optional:
                return self.dialect.with_optional(must, [self.dialect.any_of(optional)])
            return must
        if optional:
            return self.dialect.any_of(optional)
        return None

    def clause_query(self, clause: Clause, required: bool) -> Q | None:
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
            parts = [self.dialect.any_of(self.term_clauses(w, accented, fields, 1.0))
                     for w in words]
            return parts[0] if len(parts) == 1 else self.dialect.all_of(parts)
        return self.free_words(words, accented, fields)

    def words(self, text: str, accented: bool) -> list[tuple[str, ...]]:
        """The words of ``text`` as tuples of syllables, split the way the index splits.

        The index holds every word the segmenter found in the documents, and every part
        of one, so a query splits the way the documents were split ("dan van kheo" and
        "dân vận khéo" both become the one word the index holds for "Dân vận khéo"):
        the split is the likeliest under a unigram model of the index (each word's
        probability its share of all the terms of the text fields, see
        :func:`likeliest_spans`), on exact terms for accented text and folded ones for
        unaccented text. Longest match would do worse: folding makes almost any two
        syllables some word's parts ("an doi voi" would become "an doi" + "voi", not
        "an" + "doi voi"), and even with accents, "Trưởng ban Dân vận Tỉnh ủy" would end
        in "dân vận tỉnh" + "ủy". The CRF is not run on queries: it cannot segment
        unaccented text, and loading it would triple the cost of a one-off search.
        """
        analysis = split_syllables(text)
        syllables = [analysis.text[w.start : w.end] for w in analysis.words]
        stream: StreamKind = "exact" if accented else "folded"
        to_term = term_function(stream)
        terms = [to_term(s) for s in syllables]
        total = self.dialect.text_length(stream) or 1
        spans = likeliest_spans(
            terms, lambda run: self.dialect.occurrences(run, stream), total
        )
        return [tuple(syllables[i:j]) for i, j in spans]

    def free_words(
        self, words: list[tuple[str, ...]], accented: bool, fields: Sequence[str]
    ) -> Q:
        """Optional words, ranked: BM25 over their syllables, plus the features of
        :class:`~danvan_search.ranking.Ranking`. Documents are found through the
        syllables of the query's finding words (:meth:`finding_words`); everything
        else only adds to the score of documents found that way."""
        ranking, dialect = self.ranking, self.dialect
        finders = self.finding_words(words)
        finding: list[Q] = []
        scoring: list[Q] = []
        for word in words:
            # As typed, or (typed without accents) read with the accents restored on it
            # where the index nearly always reads it so.
            reading = None if accented else self.sure_reading(word)
            exact = accented or reading is not None
            searched = reading or word
            target = finding if word in finders else scoring
            if ranking.find_by_words and len(word) > 1:
                # Every syllable of the word finds, weighing nothing of its own (the
                # syllables score below). Not the word as one term: where the segmenter
                # split the text otherwise ("người dân vận động"), the index lacks it.
                target.append(dialect.all_present(
                    [dialect.any_of(self.term_clauses((s,), exact, fields, 1.0))
                     for s in searched]
                ))
                target = scoring
            for syllable in searched:
                target.extend(
                    self.term_clauses((syllable,), exact, fields, ranking.syllable_weight)
                )
            if ranking.lead_weight and "body" in fields:
                for syllable in searched:
                    scoring.extend(self.term_clauses((syllable,), exact, (LEAD,), 1.0))
            if len(word) > 1 and ranking.word_weight:
                scoring.extend(self.term_clauses(
                    searched, exact, fields, ranking.word_weight, known_only=True
                ))
            if not exact and len(words) <= ranking.restored_max_words:
                scoring.extend(self.restored_clauses(word, fields))
        finding.extend(self.acronym_clauses(words, fields))
        syllables = [(s, w in finders) for w in words for s in w]
        if 1 < len(syllables) <= ranking.max_proximity_syllables:
            # The bonuses look at the finding words only: a word most documents have
            # says little by being there too, and checking it costs the most.
            if ranking.all_words_weight:
                every = [dialect.any_of(self.term_clauses((s,), accented, fields, 1.0))
                         for s, finds in dict.fromkeys(syllables) if finds]
                if len(every) > 1:
                    scoring.append(dialect.all_of(every, boost=ranking.all_words_weight))
            if ranking.adjacent_weight or ranking.pair_weight or ranking.unaccented_pair_weight:
                for (left, left_finds), (right, right_finds) in pairwise(syllables):
                    if left_finds and right_finds:
                        scoring.extend(self.adjacent(left, right, accented))
        if not finding:
            return dialect.any_of(scoring)
        if not scoring:
            return dialect.any_of(finding)
        return dialect.with_optional(dialect.any_of(finding), scoring)

    def adjacent(self, left: str, right: str, accented: bool) -> list[Q]:
        """Two syllables next to each other in the query, next to each other in the body
        (found by the pair term, no positions read): their own scores again, weighing
        ``adjacent_weight``, and the pair scored as a term of its own (``pair_weight``,
        or ``unaccented_pair_weight`` for a pair typed without accents)."""
        ranking = self.ranking
        if not accented:
            return self._adjacent(left, right, "folded", ranking.unaccented_pair_weight)
        clauses = self._adjacent(left, right, "exact", ranking.pair_weight)
        if self.dialect.plain_docs:
            # In documents written without diacritics, the folded pair stands in.
            clauses += [self.plain_only(c)
                        for c in self._adjacent(left, right, "folded", ranking.pair_weight)]
        return clauses

    def _adjacent(self, left: str, right: str, stream: StreamKind,
                  pair_weight: float) -> list[Q]:
        dialect = self.dialect
        to_term = term_function(stream)
        left, right = to_term(left), to_term(right)
        clauses: list[Q] = []
        if self.ranking.adjacent_weight:
            weight = self.ranking.adjacent_weight
            clauses.append(dialect.only_where(
                [dialect.word("body", stream, (t,), weight) for t in (left, right)],
                dialect.pair_present("body", stream, left, right),
            ))
        if pair_weight:
            clauses.append(dialect.pair("body", stream, left, right, pair_weight))
        return clauses

    def sure_reading(self, word: tuple[str, ...]) -> tuple[str, ...] | None:
        """The accents restored on a word typed without them, where the index reads its
        folded form so nearly always (``Ranking.restored_share`` of its occurrences):
        then the word is searched as if typed with them. "benh nhan" is "bệnh nhân"
        nearly everywhere; "ban" (bàn, bán, bạn) is not, and stays folded."""
        share = self.ranking.restored_share
        if not share or not self.restored:
            return None
        folded = tuple(folded_term(s) for s in word)
        # A syllable the restoration left unaccented is read as typed ("world", "gia").
        reading = tuple(self.restored.get(f, f) for f in folded)
        total = self.dialect.occurrences(folded, "folded")
        if not total or self.dialect.occurrences(reading, "exact") < share * total:
            return None
        return reading

    def restored_clauses(self, word: tuple[str, ...], fields: Sequence[str]) -> list[Q]:
        """Exact-accent terms of a word typed without accents, as restored, where the
        index holds them: they rank the documents that have those accents first."""
        forms = [self.restored.get(folded_term(s)) for s in word]
        if not all(forms) or not self.ranking.restored_weight:
            return []
        terms = [str(f) for f in forms]
        clauses: list[Q] = []
        for name in fields:
            weight = self.field_weight(name) * self.ranking.restored_weight
            if weight and self.dialect.holds(name, "exact", terms):
                clauses.append(self.dialect.word(name, "exact", terms, weight))
        return clauses

    def acronym_clauses(self, words: list[tuple[str, ...]], fields: Sequence[str]) -> list[Q]:
        """An acronym also finds what it stands for ("MTTQ": "Mặt trận Tổ quốc"), and
        the words of an expansion find the acronym ("Ủy ban nhân dân": "UBND")."""
        weight = self.ranking.acronym_weight
        if self.acronyms is None or not weight:
            return []
        clauses: list[Q] = []
        for word in words:
            if len(word) == 1:
                for expansion in self.acronyms.expansions(word[0]):
                    syllables = expansion.replace("-", " ").replace(",", " ").split()
                    clauses.append(self.dialect.any_of(
                        [self.phrase(syllables, False, fields)], boost=weight
                    ))
                    # What the acronym found is what the snippet should show.
                    self.highlight.append(_match_run(syllables, False))
        text = " ".join(s for word in words for s in word)
        for _, _, acronym in self.acronyms.find_expansions_in(text):
            term = folded_term(acronym)
            self.highlight.append(_match_run((acronym,), False))
            clauses += [
                self.dialect.sequence(name, "folded", [term], self.field_weight(name) * weight)
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
        total = max(1, self.dialect.documents())
        budget = max(FINDING_BUDGET_MIN, self.ranking.finding_budget * total)
        chosen: set[tuple[str, ...]] = set()
        spent = 0
        for frequency, word in sorted((self.document_frequency(w), w) for w in words):
            if chosen and spent + frequency > budget:
                break
            chosen.add(word)
            spent += frequency
        return chosen

    def document_frequency(self, syllables: tuple[str, ...]) -> int:
        """The documents holding the word in the body, folded (where the index does not
        hold it as a word, those of its rarest syllable)."""
        terms = [folded_term(s) for s in syllables]
        if self.dialect.holds("body", "folded", terms) or len(terms) == 1:
            return self.dialect.documents_with("body", "folded", terms)
        return min(self.dialect.documents_with("body", "folded", [t]) for t in terms)

    def field_weight(self, name: str) -> float:
        if name == LEAD:
            return self.ranking.lead_weight
        return self.ranking.title_weight if name == "title" else 1.0

    def term_clauses(
        self, syllables: tuple[str, ...], accented: bool, fields: Sequence[str],
        weight: float, known_only: bool = False,
    ) -> list[Q]:
        """The clauses that match a word in ``fields``, weighing ``weight``.

        Typed with accents, a word matches those accents (in any tone style: the index
        holds the canonical one), and its folded form only in documents written without
        diacritics ("tham nhũng" never counts "thăm những"); typed without, it matches
        the folded stream. A word of several syllables is one term where the index holds
        it as a word or part of one; elsewhere a phrase of its syllables, unless
        ``known_only``.
        """
        clauses: list[Q] = []
        for name in fields:
            boost = weight * self.field_weight(name)
            if not boost:
                continue
            if not accented:
                clauses += self.stream_clause(name, "folded", syllables, boost, known_only)
                continue
            clauses += self.stream_clause(name, "exact", syllables, boost, known_only)
            if self.dialect.plain_docs:
                clauses += [
                    self.plain_only(folded)
                    for folded in self.stream_clause(name, "folded", syllables, boost,
                                                     known_only)
                ]
        return clauses

    def stream_clause(
        self, name: str, stream: StreamKind, syllables: tuple[str, ...], boost: float,
        known_only: bool,
    ) -> list[Q]:
        to_term = term_function(stream)
        terms = [to_term(s) for s in syllables]
        if len(terms) == 1 or self.dialect.holds(name, stream, terms):
            return [self.dialect.word(name, stream, terms, boost)]
        return [] if known_only else [self.dialect.sequence(name, stream, terms, boost)]

    def phrase(self, syllables: list[str], accented: bool, fields: Sequence[str]) -> Q:
        """The syllables next to each other, as typed (accents mean accents, as in
        :meth:`term_clauses`)."""
        subs: list[Q] = []
        folded = [folded_term(s) for s in syllables]
        for name in fields:
            boost = self.field_weight(name) or 1.0  # a required phrase counts anywhere
            if not accented:
                subs.append(self.dialect.sequence(name, "folded", folded, boost))
                continue
            exact = [exact_term(s) for s in syllables]
            subs.append(self.dialect.sequence(name, "exact", exact, boost))
            if self.dialect.plain_docs:
                subs.append(self.plain_only(self.dialect.sequence(name, "folded", folded,
                                                                  boost)))
        return self.dialect.any_of(subs)

    def plain_only(self, query: Q) -> Q:
        """``query`` only in documents written without diacritics."""
        return self.dialect.only_where([query], self.dialect.plain_mark())


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


def _match_run(syllables: Sequence[str], accented: bool) -> MatchRun:
    to_term = exact_term if accented else folded_term
    return MatchRun(tuple(to_term(s) for s in syllables), accented)
