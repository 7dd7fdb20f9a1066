"""The ranking configuration: every constant that decides the order of results.

One configuration serves every collection: each value here was chosen on four
collections of Vietnamese questions and headlines together (Wikipedia paragraphs,
health news, COVID-19 answers, news articles searched by headline), and each feature
kept only where it did not cost any of them; ``benchmarks/ablation.py`` measures every
switch on and off, and ``benchmarks/RESULTS.md`` shows the table.

The ranking is BM25 over the syllables of the query, as a plain engine ranks them, with
what a plain engine cannot do on top: a document is found by whole query words (every
syllable of a compound), syllables adjacent in the query found adjacent in the text add
to the score (the pair as a term of its own, read from the index's pair fields, without
positions), the query's syllables count again in the body's first lines (its lead),
acronyms match what they stand for, and a word typed with accents means those accents.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh.scoring import BM25F, BM25FScorer, WeightScorer


@dataclass(frozen=True)
class Ranking:
    """Weights of the ranking features; 0 turns a feature off."""

    #: BM25's term-frequency saturation and length normalisation, per field. b = 0.85
    #: against the textbook 0.75, every question of the four collections (analysis 2):
    #: MRR@10 accented +0.002 / +0.003 / +0.002 / +0.000 and unaccented +0.004 / +0.002 /
    #: +0.008 / +0.005 (ViQuAD, ViNewsQA, ViCoV19QA, headlines); 0.9 for the body alone
    #: cost ViNewsQA 0.004 on 400 questions, 0.6 cost every collection; k1 1.6 and 2.0
    #: gained nowhere.
    k1: float = 1.2
    body_b: float = 0.85
    title_b: float = 0.85
    #: A match in the title against one in the body. Lower weights rank news questions
    #: (ViNewsQA) better, by 0.023-0.035 MRR@10 at 0.7, but cost Wikipedia paragraphs
    #: titled by their article 0.001-0.006 at 0.7 on three samples: one collection's gain
    #: at another's cost, so the title keeps the body's weight. Weight 2 costs both.
    title_weight: float = 1.0
    #: Each query syllable, matched on its own (BM25 over syllables).
    syllable_weight: float = 1.0
    #: Each query syllable again, matched in the body's lead (its first 80 syllables: a
    #: field of its own, BM25 with the lead's lengths). News says what it is about first.
    #: Every question of the four collections, MRR@10 accented / unaccented against no
    #: lead: ViQuAD +0.002 / +0.000, ViNewsQA +0.007 / +0.009, ViCoV19QA +0.001 / +0.006,
    #: headlines +0.008 / +0.005. At 0.3 ViQuAD's paragraphs lose 0.001 / 0.001 and
    #: nothing else moves by more than 0.001; leads of 60 and 100 syllables did no better
    #: (reranking the top 100 with the lead, 0.3-0.6).
    lead_weight: float = 0.2
    #: Documents are found by whole query words (a word of several syllables where all
    #: its syllables are), not by any one of them: "tham nhũng" does not find every text
    #: with "tham gia". The syllables still weigh in the score.
    find_by_words: bool = True
    #: Each word of several syllables, matched as the word the segmenter found.
    word_weight: float = 0.0
    #: Two syllables next to each other in the query, next to each other in the body:
    #: their scores count this much again. With ``pair_weight``, measured together on
    #: the four collections (150 questions each): 0.5 and no pair term was the former
    #: default; 0.25 with pairs at 0.4 gains 0.009-0.016 MRR@10 on the three question
    #: collections, accented, and 0.007-0.027 unaccented; headlines move by 0.002.
    adjacent_weight: float = 0.25
    #: Two syllables next to each other in the query, scored as one term where they are
    #: next to each other in the body (BM25 of the pair: a rare pair weighs more, which
    #: a word typed without accents needs most: "benh nhan" is rarer than "benh").
    pair_weight: float = 0.4
    #: The pair's weight in a query typed without accents: a folded syllable stands for
    #: several words ("ban": bàn, bán, bạn) and its neighbour tells which, so the pair
    #: might say more than with accents. Measured at 0.6 against 0.4 on three samples of
    #: 150 questions, unaccented MRR@10: ViNewsQA +0.012 to +0.026 and ViCoV19QA +0.003
    #: to +0.006, but headlines -0.001 and -0.013 and ViQuAD -0.006 to +0.003: no gain
    #: on all four, so it weighs what a pair typed with accents does.
    unaccented_pair_weight: float = 0.4
    #: Every finding word of the query present (a bonus proportional to the words'
    #: own scores).
    all_words_weight: float = 0.0
    #: A query typed without accents: a word whose restored accents are the index's
    #: reading of it, nearly always (at least this share of the occurrences of its
    #: folded form, as a word or a syllable), is searched with those accents, as if
    #: typed with them ("benh nhan": "bệnh nhân"); the others stay folded. Every
    #: question of the four collections, unaccented MRR@10 against none: ViQuAD +0.007,
    #: ViNewsQA +0.007, ViCoV19QA +0.007, headlines +0.003; 0.9 and 0.98 within 0.002 of
    #: it everywhere. Pairs stay folded: read with accents they cost headlines 0.003.
    restored_share: float = 0.95
    #: The other words of a short query (up to ``restored_max_words``): their restored
    #: accents, as an exact match weighing this much beside the folded one.
    restored_weight: float = 0.2
    restored_max_words: int = 4
    #: The rarest words find the documents, up to this share of the index in document
    #: frequency; the others only add to the score of what those found (0: every word
    #: finds).
    finding_budget: float = 0.0
    #: Acronyms expand both ways ("MTTQ" finds "Mặt trận Tổ quốc"), weighing this much.
    acronym_weight: float = 0.6
    #: Beyond this many syllables a query is a pasted text: no proximity features. Long
    #: questions need them most: at 60, ViCoV19QA (84 of its 500 questions are longer; no
    #: question of the other collections is) scored 0.386 MRR@10 typed with accents and
    #: 0.347 without; at 150, 0.405 and 0.368 (5 questions are longer still). 150 keeps
    #: the longest such query within an OpenSearch cluster's default limit of 1,024
    #: clauses (tested); the pairs make it cheap in the embedded index.
    max_proximity_syllables: int = 150

    def weighting(self) -> BM25F:
        """Whoosh's BM25F with these parameters (both streams of a field alike), each
        field's average length taken over the documents that have it."""
        return FieldAverageBM25F(
            B=self.body_b, K1=self.k1,
            title_B=self.title_b, title_f_B=self.title_b,
            body_B=self.body_b, body_f_B=self.body_b, lead_B=self.body_b, lead_f_B=self.body_b,
        )


class FieldAverageBM25F(BM25F):
    """Whoosh's BM25F, dividing a field's length by its average over the documents
    that have the field rather than over all (see ``scoring.average_field_length``):
    what the array scorer and an OpenSearch index do too."""

    def scorer(self, searcher, fieldname, text, qf=1):  # type: ignore[no-untyped-def]
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _FieldAverageScorer(searcher, fieldname, text,
                                   self._field_B.get(fieldname, self.B), self.K1, qf=qf)


class _FieldAverageScorer(BM25FScorer):
    def __init__(self, searcher, fieldname, text, B, K1, qf=1):  # type: ignore[no-untyped-def]
        # BM25FScorer's own __init__, but for the average (which imports numpy: only
        # when a search scores, never when the package is imported).
        from .scoring import average_field_length

        parent = searcher.get_parent()
        self.idf = parent.idf(fieldname, text)
        self.avgfl = average_field_length(parent, fieldname) or 1
        self.B = B
        self.K1 = K1
        self.qf = qf
        self.setup(searcher, fieldname, text)


DEFAULT_RANKING = Ranking()
