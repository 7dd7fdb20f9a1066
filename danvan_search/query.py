"""From what people type in a search box to a Whoosh query.

Syntax, all of it forgiving: free words (all optional, documents with all of them rank
first, adjacent words rank higher when adjacent in the text), ``"quoted phrase"``
(required), ``-word`` / ``-"phrase"`` (excluded), ``OR`` between alternatives, and
``title:word`` / ``title:"phrase"`` (required, in the title). Anything malformed (an
unbalanced quote, a lone ``-`` or ``OR``, ``title:`` with nothing after it, brackets,
emoji, control characters) is read as plain text: parsing never fails.

A query word typed with diacritics is matched on the exact stream and on the folded one,
the exact match weighing more; a clause typed without any diacritic is matched on the
folded stream only. Query words are found by longest match against the words the index
knows (exact or folded), so queries split the way the documents did.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from whoosh import query as wq
from whoosh.reading import IndexReader

from .analysis import exact_term, folded_term, split_syllables
from .assist import Acronyms
from .errors import InvalidQueryError
from .normalization import clean_text, has_diacritics
from .schema import STREAM_FIELDS, TEXT_FIELDS
from .snippets import MatchRun

#: Longer queries are cut (at a space) to this many characters: a pasted page is not a
#: query, and Whoosh's cost grows with every term.
MAX_QUERY_CHARS = 1000

FIELD_BOOST = {"title": 2.0, "body": 1.0}
EXACT_BOOST = 1.0  # a match with the accents as typed ...
FOLDED_BOOST = 0.6  # ... outweighs one that only agrees without accents.
SCATTERED_BOOST = 0.25  # all syllables of a compound present, but not together
#: A restored accent is a guess: enough to rank exact matches first among equals, not
#: to outweigh what the words typed say. Only short queries use it: on long questions
#: (measured on ViQuAD) the guesses cost more than they bring.
RESTORED_BOOST = 0.2
MAX_WORDS_FOR_RESTORED_RANKING = 4
ALL_WORDS_BOOST = 3.0  # every finding word present
#: Two finding words next to each other in the text. Small, yet what most separates a
#: query typed without accents from unrelated text that folds the same (on ViQuAD dev,
#: 0.3 ranks best unaccented; accented MRR moves by less than 0.005 from 0.2 to 0.5).
ADJACENT_BOOST = 0.3
#: Up to this many words, the bonuses are computed: beyond it the query is a pasted text
#: rather than a question. (Phrases that only add to the score are checked solely in the
#: documents that can still reach the top, so long questions can afford them.)
MAX_WORDS_FOR_PROXIMITY = 40
#: The rarest query words find the documents, as long as their document frequencies add
#: up to at most this fraction of the index (or the minimum); the others only add to the
#: score (see ``finding_words``).
FINDING_BUDGET_FRACTION = 0.2
FINDING_BUDGET_MIN = 100
#: Longest run of syllables tried as one word when splitting a query into words.
MAX_WORD_SYLLABLES = 4
#: Occurrences assumed for a syllable the index has never seen, when weighing splits.
UNSEEN_COUNT = 0.5

_TOKEN = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[Tt][Ii][Tt][Ll][Ee]):)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))'
)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


@dataclass(frozen=True)
class Clause:
    """One unit of a parsed query."""

    text: str
    phrase: bool = False
    negated: bool = False
    in_title: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """The query as alternatives (joined by OR), each a sequence of clauses."""

    text: str
    alternatives: tuple[tuple[Clause, ...], ...]


def prepare_query_text(text: str) -> str:
    """Clean a raw query: control characters out, NFC, cut to :data:`MAX_QUERY_CHARS`.

    Raises :class:`InvalidQueryError` when nothing is left to search for.
    """
    if not isinstance(text, str):
        raise InvalidQueryError(f"a query must be a string, not {type(text).__name__}")
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    text = clean_text(text)[0].translate(_QUOTES).strip()
    if not text:
        raise InvalidQueryError("empty query: type some words to search for")
    if len(text) > MAX_QUERY_CHARS:
        cut = text.rfind(" ", 0, MAX_QUERY_CHARS)
        text = text[: cut if cut > 0 else MAX_QUERY_CHARS]
    return text


def parse_query(text: str) -> ParsedQuery:
    """Parse query syntax; never raises on malformed input (it becomes plain text)."""
    text = prepare_query_text(text)
    if text.count('"') % 2:  # an unbalanced quote is just a character typed by mistake
        last = text.rfind('"')
        text = text[:last] + " " + text[last + 1 :]
    alternatives: list[list[Clause]] = [[]]
    for match in _TOKEN.finditer(text):
        word, phrase = match["word"], match["phrase"]
        negated, in_title = bool(match["neg"]), bool(match["field"])
        if word == "OR" and not negated and not in_title:
            if alternatives[-1]:
                alternatives.append([])
            continue
        if phrase is not None:
            if phrase.strip():
                alternatives[-1].append(Clause(phrase, True, negated, in_title))
            continue
        current = alternatives[-1]
        last = current[-1] if current else None
        if (
            last is not None
            and not (negated or in_title or last.phrase or last.negated or last.in_title)
        ):
            # Free words stay together so "công tác dân vận" is split into words whole.
            current[-1] = Clause(f"{last.text} {word}")
        else:
            current.append(Clause(word, False, negated, in_title))
    return ParsedQuery(text, tuple(tuple(a) for a in alternatives if a))


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
) -> QueryPlan:
    """Turn a parsed query into a Whoosh query against the index behind ``reader``
    (a :class:`Lexicon` over it saves the lookups of queries built before).

    With ``acronyms``, an acronym in the query also matches what it stands for and the
    other way round; ``restored`` (folded syllable → accented syllable) ranks documents
    with the restored accents first.
    """
    builder = _Builder(reader, acronyms, restored or {})
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
        restored: Mapping[str, str],
    ) -> None:
        self.reader = reader
        self.acronyms = acronyms
        self.restored = restored
        self.highlight: list[MatchRun] = []

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
            parts = [_or(self.word_clauses(w, accented, fields, False)) for w in words]
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
        best = [0.0] + [-math.inf] * len(terms)
        start = [0] * (len(terms) + 1)
        for end in range(1, len(terms) + 1):
            for size in range(1, min(MAX_WORD_SYLLABLES, end) + 1):
                joined = " ".join(terms[end - size : end])
                count = sum(self.reader.frequency(f, joined) for f in fields)
                if size > 1 and not count:
                    continue
                score = best[end - size] + math.log(max(count, UNSEEN_COUNT) / total)
                if score > best[end]:
                    best[end], start[end] = score, end - size
        spans = []
        end = len(terms)
        while end > 0:
            spans.append((start[end], end))
            end = start[end]
        return spans[::-1]

    def free_words(
        self, words: list[tuple[str, ...]], accented: bool, fields: Sequence[str]
    ) -> wq.Query:
        """Optional words, ranked. Documents are found through the query's rarest words
        (:meth:`finding_words`); the other words and the bonuses (all words present,
        pairs adjacent) only add to the score of documents found that way."""
        scattered = len(words) <= 2  # a compound's syllables apart: only for short queries
        finders = self.finding_words(words)
        finding: list[wq.Query] = []
        scoring: list[wq.Query] = []
        for word in words:
            clauses = self.word_clauses(word, accented, fields, scattered)
            (finding if word in finders else scoring).extend(clauses)
            if not accented and len(words) <= MAX_WORDS_FOR_RESTORED_RANKING:
                scoring.extend(self.restored_clauses(word, fields))
        finding.extend(self.acronym_clauses(words, fields))
        if 1 < len(words) <= MAX_WORDS_FOR_PROXIMITY:
            # The bonuses look at the finding words only: a word most documents have
            # says little by being there too, and checking it costs the most.
            every = [
                _or(self.word_clauses(w, accented, fields, False)) for w in words if w in finders
            ]
            if len(every) > 1:
                scoring.append(wq.And(every, boost=ALL_WORDS_BOOST))
            for left, right in pairwise(words):
                if left in finders and right in finders:
                    pair = self.phrase([*left, *right], False, ("body",))
                    scoring.append(_or([pair], boost=ADJACENT_BOOST))
        return wq.AndMaybe(_or(finding), _or(scoring)) if scoring else _or(finding)

    def restored_clauses(self, word: tuple[str, ...], fields: Sequence[str]) -> list[wq.Query]:
        """Exact-accent terms of a word typed without accents, as restored: they rank
        the documents that have those accents first."""
        forms = [self.restored.get(folded_term(s)) for s in word]
        if not all(forms):
            return []
        term = " ".join(forms)  # type: ignore[arg-type]
        return [
            wq.Term(STREAM_FIELDS[name][0], term, boost=FIELD_BOOST[name] * RESTORED_BOOST)
            for name in fields
            if (STREAM_FIELDS[name][0], term) in self.reader
        ]

    def acronym_clauses(
        self, words: list[tuple[str, ...]], fields: Sequence[str]
    ) -> list[wq.Query]:
        """An acronym also finds what it stands for ("MTTQ": "Mặt trận Tổ quốc"), and
        the words of an expansion find the acronym ("Ủy ban nhân dân": "UBND")."""
        if self.acronyms is None:
            return []
        clauses: list[wq.Query] = []
        for word in words:
            if len(word) == 1:
                for expansion in self.acronyms.expansions(word[0]):
                    syllables = expansion.replace("-", " ").replace(",", " ").split()
                    clauses.append(self.phrase(syllables, False, fields))
        text = " ".join(s for word in words for s in word)
        for _, _, acronym in self.acronyms.find_expansions_in(text):
            term = folded_term(acronym)
            clauses += [
                wq.Term(STREAM_FIELDS[name][1], term, boost=FIELD_BOOST[name] * FOLDED_BOOST)
                for name in fields
            ]
        return clauses

    def finding_words(self, words: list[tuple[str, ...]]) -> set[tuple[str, ...]]:
        """The rarest words, up to a budget of documents: they find the candidates.

        Whoosh scores every document that matches any clause of an OR, in Python; words
        most documents have ("của", "là", "các") would make that nearly the whole index,
        for an idf near zero. Like Lucene's "common terms" query, frequent words only
        add to the score of documents the rarer ones found, which keeps the top of the
        ranking and bounds the work.
        """
        total = max(1, self.reader.doc_count_all())
        budget = max(FINDING_BUDGET_MIN, FINDING_BUDGET_FRACTION * total)
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

    def word_clauses(
        self, syllables: tuple[str, ...], accented: bool, fields: Sequence[str], scattered: bool
    ) -> list[wq.Query]:
        """The clauses that find a word, and those that only add to the score.

        Typed with accents, a word matches with those accents and, weighing less, in any
        accent form ("bàn" ranks "bàn ghế" above "bán hàng"); typed without, it matches
        the folded stream only.
        """
        finding: list[wq.Query] = []
        exact = [exact_term(s) for s in syllables]
        folded = [folded_term(s) for s in syllables]
        for name in fields:
            exact_field, folded_field = STREAM_FIELDS[name]
            boost = FIELD_BOOST[name]
            if accented:
                finding.append(self.term_or_phrase(exact_field, exact, boost * EXACT_BOOST))
            finding.append(self.term_or_phrase(folded_field, folded, boost * FOLDED_BOOST))
        if scattered and len(syllables) > 1:
            terms = [wq.Term(STREAM_FIELDS["body"][1], s) for s in folded]
            finding.append(wq.And(terms, boost=SCATTERED_BOOST))
        return finding

    def term_or_phrase(self, field: str, terms: list[str], boost: float) -> wq.Query:
        # The index holds every compound and its sub-spans as terms, so one term lookup
        # finds a word wherever it occurs as a word; only an unknown compound (segmented
        # differently in the documents) needs the slower phrase of syllables.
        joined = " ".join(terms)
        if len(terms) == 1 or (field, joined) in self.reader:
            return wq.Term(field, joined, boost=boost)
        return wq.Phrase(field, terms, boost=boost)

    def phrase(self, syllables: list[str], accented: bool, fields: Sequence[str]) -> wq.Query:
        subs: list[wq.Query] = []
        for name in fields:
            exact_field, folded_field = STREAM_FIELDS[name]
            if accented:
                terms, field = [exact_term(s) for s in syllables], exact_field
            else:
                terms, field = [folded_term(s) for s in syllables], folded_field
            boost = FIELD_BOOST[name]
            if len(terms) == 1:
                subs.append(wq.Term(field, terms[0], boost=boost))
            else:
                subs.append(wq.Phrase(field, terms, boost=boost))
        return _or(subs)


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
