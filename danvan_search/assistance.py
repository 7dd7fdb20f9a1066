"""Query assistance against an index: keystroke decoding, did-you-mean, accent restoration.

Everything is looked up in the index's own vocabulary (and the built-in tables of
:mod:`danvan_search.assist`), offline. A query whose words the index knows, typed with
accents, costs one term lookup per word here and is left alone.

The rules, each there so that assistance never makes a good query worse:

* A word the index knows is never changed.
* A word that is not a Vietnamese syllable (``covid``, ``iPhone``, ``Obama``, ``DROP``,
  a code) is only ever read as Telex or VNI keystrokes (``vieejt`` → ``việt``), never
  corrected by edit distance: foreign words and names stay as typed. A word written with
  Vietnamese diacritics that is not a valid syllable (``quôc``: a tone left out) is
  misspelt Vietnamese, and is treated like an unknown syllable.
* A syllable the index does not know is corrected only into one that forms, with a
  neighbouring word of the query, a sequence the index holds (as a word, or as adjacent
  syllables in a document), which the typed form cannot: ``giá săng`` → ``giá xăng``,
  ``dân vậm`` → ``dân vận``. Nothing the context does not attest: ``lụt bão`` stays
  when no document has "lọt bão", and a word alone is never corrected. Misspellings
  that come from pronunciation (s/x, tr/ch, d/gi/r, l/n, -n/-ng, -t/-c, hỏi/ngã) are
  tried before other edits.
* Accents are restored on a query typed without them from the forms the index holds
  for each word and each run of up to three: a run the index attests (``nguyễn tấn
  dũng``, ``giá xăng``, ``world cup``) wins over the forms its syllables take alone, and
  a word with no accented form in the index (``world``) stays as typed.

Whether the results are for the correction or for the query as typed is decided by the
search (:func:`danvan_search.searching.run_search`): for the correction only when the
query as typed finds nothing.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from whoosh import query as wq
from whoosh.searching import Searcher

from .analysis import exact_term, folded_term
from .assist import (
    SpellingIndex,
    damerau_levenshtein,
    decode_word,
    is_folded_syllable,
    is_vietnamese_syllable,
    restore_accents,
    sound_alike,
)
from .assist.syllables import valid_syllables
from .errors import ArgumentTypeError
from .normalization import fold, has_diacritics
from .schema import PAIR_FIELDS, STREAM_FIELDS, TEXT_FIELDS

if TYPE_CHECKING:
    from .scoring import ArrayScorer

#: Longer queries (pasted text, long questions) are not corrected word by word, and
#: accents are restored on at most so many syllables: the cost grows with each word
#: (30-90 ms for 150 syllables once the index's terms are cached). Restored accents
#: rank what a question means (``Ranking.restored_share``): a long question is
#: restored whole, a window of ``RESTORE_WINDOW`` syllables at a time.
MAX_CORRECTED_WORDS = 12
MAX_RESTORED_SYLLABLES = 600
#: Accents are restored on a window of at most so many syllables at a time (windows of
#: equal length): the likeliest reading of a window is found over all of it.
RESTORE_WINDOW = 150
#: Accented variants of a folded syllable a syllable on its own may take.
VARIANTS_PER_SYLLABLE = 4
#: Accented forms of a run of syllables looked up, likeliest first (by the frequencies
#: of its syllables), when the index holds the run, unaccented, as a word.
FORMS_PER_RUN = 48
#: Adjacent syllables that are not one word ("giá xăng": "giá" · "xăng") are looked up
#: as pairs, for the likeliest forms of each.
PHRASE_VARIANTS = 3
#: Candidate corrections of one word (valid syllables within reach of it).
CORRECTION_CANDIDATES = 200

_TOKEN = re.compile(r"\S+")
# A word inside a query token: after -, title: and an opening quote, before punctuation.
_CORE = re.compile(
    r'^(?P<pre>-?(?:[Tt][Ii][Tt][Ll][Ee]:)?["(\[]*)(?P<word>.*?)(?P<post>[")\].,;:!?]*)$'
)
_LETTERS = re.compile(r"^[^\W\d_]+$")
_WORD = re.compile(r"^(?=.*[^\W\d_])[^\W_]+$")  # letters, maybe digits (VNI keystrokes)
_SYLLABLE_RUN = re.compile(r"[^\W\d_]+")


class TermStatistics(Protocol):
    """What assistance asks of the index: a Whoosh reader, or a
    :class:`~danvan_search.query.Lexicon` that remembers the answers."""

    def doc_frequency(self, field: str, term: str) -> int: ...

    def frequency(self, field: str, term: str) -> float: ...


@dataclass(frozen=True)
class Assistance:
    """What assistance made of a query.

    ``typed`` is the query as typed; ``correction`` the same with keystrokes decoded and
    misspelt words corrected, or None when no word was. ``suggestion`` is the better form
    to offer the user (the correction, accents restored), or None. ``restored`` maps
    folded words to the accented form to rank first.
    """

    typed: str
    correction: str | None
    suggestion: str | None
    restored: Mapping[str, str]


@functools.lru_cache(maxsize=1)
def _variants() -> Mapping[str, tuple[str, ...]]:
    """Folded syllable → its valid accented spellings (computed once per process)."""
    table: dict[str, list[str]] = defaultdict(list)
    for syllable in valid_syllables():
        table[fold(syllable)].append(syllable)
    return {key: tuple(sorted(values)) for key, values in table.items()}


@functools.lru_cache(maxsize=1)
def _spelling_index() -> SpellingIndex:
    return SpellingIndex({key: 1 for key in _variants()}, max_distance=2)


@functools.lru_cache(maxsize=1)
def _vietnamese_letters() -> frozenset[str]:
    letters = set("".join(valid_syllables()))
    return frozenset(letters | {c.upper() for c in letters})


def may_be_misspelt(word: str) -> bool:
    """Whether edit-distance correction may touch ``word`` at all: a Vietnamese syllable
    (or, typed without accents, the fold of one), or a word written in Vietnamese letters
    with Vietnamese diacritics. Foreign words, names and codes are not."""
    if not _LETTERS.match(word):
        return False
    if not has_diacritics(word):
        return is_folded_syllable(word)
    return is_vietnamese_syllable(word) or set(word) <= _vietnamese_letters()


class QueryAssistant:
    """Assistance for queries against the index behind ``searcher``.

    ``lexicon`` (a :class:`~danvan_search.query.Lexicon` over the same reader) and
    ``scorer`` (the searcher's :class:`~danvan_search.scoring.ArrayScorer`) keep what
    earlier queries looked up; without them, the reader is asked and a scorer is made
    when a phrase has to be looked up. Without a searcher (an index on a cluster,
    :mod:`danvan_search.opensearch_assistance`), ``lexicon`` answers everything: the
    runs looked up here are pairs, which it counts from the pair fields.
    """

    def __init__(
        self, searcher: Searcher | None, *, lexicon: TermStatistics | None = None,
        scorer: ArrayScorer | None = None,
    ) -> None:
        self.searcher = searcher
        if lexicon is None:
            if searcher is None:
                raise ArgumentTypeError("QueryAssistant needs a searcher or a lexicon")
            lexicon = searcher.reader()
        self.reader: TermStatistics = lexicon
        self._scorer = scorer
        self._variants_seen: dict[str, tuple[tuple[str, int], ...]] = {}
        self._runs_seen: dict[tuple[str, ...], int] = {}
        self._forms_seen: dict[str, Mapping[str, int]] = {}

    # --- whole queries -------------------------------------------------------------------

    def assist(self, text: str) -> Assistance:
        typed_accented = has_diacritics(text)
        tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
        cores = [_CORE.match(text[s:e]) for s, e in tokens]
        words = [(s + c.start("word"), c["word"]) if c else (s, "") for (s, _), c in
                 zip(tokens, cores, strict=True)]
        searched = list(text)
        spelt = list(text)  # the same, with the accents keystrokes gave
        corrected = False
        for i in reversed(range(len(words) if len(words) <= MAX_CORRECTED_WORDS else 0)):
            start, word = words[i]
            if not _WORD.match(word):
                continue
            left = words[i - 1][1] if i else ""
            right = words[i + 1][1] if i + 1 < len(words) else ""
            better = self.correct(word, left, right)
            if better and better != word:
                spelt[start : start + len(word)] = better
                # A query typed without accents is searched without: the accents of its
                # keystrokes rank first, with those restored below.
                searched[start : start + len(word)] = better if typed_accented else fold(better)
                corrected = True
        correction = "".join(searched) if corrected else None
        if typed_accented:
            return Assistance(text, correction, correction, {})
        restored: dict[str, str] = {}
        restored_text = self.restore("".join(spelt), restored)
        suggestion = restored_text if restored_text != text else None
        return Assistance(text, correction, suggestion, restored)

    # --- correcting a word ---------------------------------------------------------------

    def correct(self, word: str, left: str = "", right: str = "") -> str | None:
        """A replacement for a word the index does not know, or None; ``left`` and
        ``right`` are its neighbours in the query (a correction must form, with one of
        them, a sequence the index holds)."""
        if word == "OR" or len(word) < 2:
            return None
        accented = has_diacritics(word)
        if self.known(word, accented):
            return None
        decoded = decode_word(word)
        if decoded and self.known(decoded, accented=True):
            return decoded
        if not may_be_misspelt(word):
            return None
        return self.attested_correction(word, left, right)

    def frequency(self, term: str, folded: bool) -> int:
        return max(
            self.reader.doc_frequency(STREAM_FIELDS[name][1 if folded else 0], term)
            for name in TEXT_FIELDS
        )

    def known(self, word: str, accented: bool) -> bool:
        # Occurrences, not documents: what splitting the query into words looks up next,
        # so with a Lexicon the search finds the answers remembered.
        term = exact_term(word) if accented else folded_term(word)
        stream = 0 if accented else 1
        return any(self.reader.frequency(STREAM_FIELDS[name][stream], term)
                   for name in ("body", "title"))

    def attested_correction(self, word: str, left: str = "", right: str = "") -> str | None:
        """The known syllable closest to ``word`` that forms, with ``left`` or ``right``,
        a sequence the index holds: sound-alike spellings first, then by edit distance
        (on the accented forms when typed with accents, else on folded forms); among
        those as close, one that forms a word of the index before one found next to a
        neighbour in documents (a phrase costs more to look up, and says less), then the
        sequence in the most documents, then the commoner syllable."""
        neighbours = [(n, side) for n, side in ((left, -1), (right, 1)) if _LETTERS.match(n)]
        if not neighbours:
            return None  # nothing to attest a correction: a word alone stays as typed
        folded = folded_term(word)
        accented = has_diacritics(word)
        typed = exact_term(word) if accented else folded
        # One edit for short words: two would reach half the syllables of the language.
        reach = 1 if len(folded) <= 4 else 2
        tiers: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for candidate in _spelling_index().closest(
            folded, limit=CORRECTION_CANDIDATES, max_distance=reach
        ):
            forms = _variants().get(candidate, ()) if accented else (candidate,)
            for form in forms:
                frequency = self.frequency(form, folded=not accented)
                if not frequency or form == typed:
                    continue
                tier = 0 if sound_alike(typed, form) else damerau_levenshtein(typed, form)
                tiers[tier].append((frequency, form))
        for tier in sorted(tiers):
            for as_word in (True, False):
                best: tuple[int, int, str] | None = None
                for frequency, form in sorted(tiers[tier], reverse=True):
                    evidence = 0
                    for neighbour, side in neighbours:
                        pair = (neighbour, form) if side < 0 else (form, neighbour)
                        evidence += self.run_count(pair, not accented, phrase=not as_word)
                    if evidence and (best is None or (evidence, frequency) > best[:2]):
                        best = (evidence, frequency, form)
                if best is not None:
                    return _recase(best[2], word)
        return None

    def run_count(self, words: Sequence[str], folded: bool, phrase: bool = True) -> int:
        """Documents holding ``words`` one after the other: as a word of the index (one
        term lookup), or, with ``phrase``, as adjacent syllables; accents compared unless
        ``folded``."""
        to_term = folded_term if folded else exact_term
        terms = tuple(to_term(w) for w in words)
        key = (*terms, "f" if folded else "", "p" if phrase else "")
        if key not in self._runs_seen:
            count = self.frequency(" ".join(terms), folded)
            if not count and phrase and all(self.frequency(t, folded) for t in terms):
                count = self.phrase_count(terms, folded)
            self._runs_seen[key] = count
        return self._runs_seen[key]

    def phrase_count(self, terms: Sequence[str], folded: bool) -> int:
        """Documents with ``terms`` at consecutive positions in their title or body (two
        terms: the title's and the body's documents holding the pair, counted apart)."""
        stream = 1 if folded else 0
        if len(terms) == 2:
            # One term lookup per field: the index holds adjacent syllables as pairs.
            pair = " ".join(terms)
            return sum(self.reader.doc_frequency(PAIR_FIELDS[name][stream], pair)
                       for name in TEXT_FIELDS)
        if self.searcher is None:  # no positions to read: pairs are what can be counted
            return 0
        # Imported here, like in searching: numpy only when a search needs it.
        from .scoring import ArrayScorer

        if self._scorer is None:
            self._scorer = ArrayScorer(self.searcher)
        query = wq.Or([wq.Phrase(STREAM_FIELDS[name][stream], list(terms))
                       for name in TEXT_FIELDS])
        return len(self._scorer.matches(query))

    # --- restoring accents ---------------------------------------------------------------

    def restore(self, text: str, restored: dict[str, str]) -> str:
        """``text`` with accents restored on its words, recording each in ``restored``."""
        spans = [m.span() for m in _SYLLABLE_RUN.finditer(text)]
        if not spans or len(spans) > MAX_RESTORED_SYLLABLES:
            return text
        syllables = [text[s:e] for s, e in spans]
        windows = -(-len(syllables) // RESTORE_WINDOW)
        width = -(-len(syllables) // windows)
        accented = [form for i in range(0, len(syllables), width)
                    for form in restore_accents(syllables[i : i + width], self.accented_forms)]
        out = list(text)
        for (start, end), form in reversed(list(zip(spans, accented, strict=True))):
            out[start:end] = form
        for typed, form in zip(syllables, accented, strict=True):
            if exact_term(form) != folded_term(typed):
                restored[folded_term(typed)] = exact_term(form)
        return "".join(out)

    def accented_forms(self, key: str) -> Mapping[str, int]:
        """Accented forms of a folded run of syllables the index holds, with the number of
        documents holding each: the forms of a syllable alone; the forms of a run the
        index holds as a word; the forms of two syllables found next to each other in
        documents."""
        parts = key.split()
        per_syllable = [self.known_variants(part) for part in parts]
        if not all(per_syllable):
            return {}
        if len(parts) == 1:
            return dict(per_syllable[0][:VARIANTS_PER_SYLLABLE])
        if key in self._forms_seen:
            return self._forms_seen[key]
        found: dict[str, int] = {}
        if self.frequency(key, folded=True):
            # A word (or part of one) of the index: its forms are terms, one lookup each.
            for forms in self.run_forms(parts, per_syllable):
                joined = " ".join(forms)
                frequency = self.frequency(joined, folded=False)
                if frequency:
                    found[joined] = frequency
        elif (
            len(parts) == 2
            and self.run_count(parts, folded=True)  # ever adjacent, accents aside
        ):
            for forms in _likeliest([v[:PHRASE_VARIANTS] for v in per_syllable],
                                    PHRASE_VARIANTS**2):
                count = self.run_count(forms, folded=False)
                if count:
                    found[" ".join(forms)] = count
        self._forms_seen[key] = found
        return found

    def run_forms(
        self, parts: Sequence[str], per_syllable: Sequence[Sequence[tuple[str, int]]]
    ) -> list[tuple[str, ...]]:
        """The accented forms worth looking up for a run the index holds as a word.

        The index holds every part of a word too, so each form of a longer run is made
        of a form of its first syllables and a form of its last ones, both words of the
        index: "nguyễn tấn dũng" is looked up because "nguyễn tấn" and "tấn dũng" are
        there, whatever the frequencies of "tấn" and "dũng" alone. Two syllables: the
        likeliest combinations of their forms.
        """
        if len(parts) == 2:
            return _likeliest(per_syllable, FORMS_PER_RUN)
        heads = self.accented_forms(" ".join(parts[:-1]))
        tails = self.accented_forms(" ".join(parts[1:]))
        by_start: dict[str, list[str]] = defaultdict(list)
        for tail in tails:
            first, _, rest = tail.partition(" ")
            by_start[first].append(rest)
        ranked = sorted(heads, key=lambda form: -heads[form])
        forms = [
            (*head.split(), last)
            for head in ranked
            for last in by_start.get(head.split()[-1], ())
            if " " not in last  # one more syllable
        ]
        return forms[:FORMS_PER_RUN]

    def known_variants(self, folded: str) -> tuple[tuple[str, int], ...]:
        """The spellings of a folded syllable the index holds, commonest first, with
        their document frequencies: its valid accented forms, and the syllable itself as
        typed (a foreign word, a name, a document written without accents)."""
        if folded not in self._variants_seen:
            field = STREAM_FIELDS["body"][0]
            spellings = dict.fromkeys((*_variants().get(folded, ()), folded))
            forms = [(self.reader.doc_frequency(field, f), f) for f in spellings]
            ranked = sorted((f for f in forms if f[0]), reverse=True)
            self._variants_seen[folded] = tuple((form, freq) for freq, form in ranked)
        return self._variants_seen[folded]


def _likeliest(
    per_syllable: Sequence[Sequence[tuple[str, int]]], limit: int
) -> list[tuple[str, ...]]:
    """Up to ``limit`` combinations of one form per syllable, in decreasing order of the
    product of their frequencies (best first, so a long list of rare forms costs
    nothing unless the common ones are exhausted)."""
    logs = [[math.log(f) for _, f in variants] for variants in per_syllable]
    start = (0,) * len(per_syllable)
    heap = [(-sum(row[0] for row in logs), start)]
    seen = {start}
    out = []
    while heap and len(out) < limit:
        _, ranks = heapq.heappop(heap)
        out.append(tuple(per_syllable[i][r][0] for i, r in enumerate(ranks)))
        for i in range(len(ranks)):
            if ranks[i] + 1 < len(logs[i]):
                following = (*ranks[:i], ranks[i] + 1, *ranks[i + 1 :])
                if following not in seen:
                    seen.add(following)
                    score = sum(logs[j][r] for j, r in enumerate(following))
                    heapq.heappush(heap, (-score, following))
    return out


def _recase(form: str, typed: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return form.upper()
    return form[:1].upper() + form[1:] if typed[:1].isupper() else form
