"""Query assistance against an index: keystroke decoding, did-you-mean, accent restoration.

Everything is looked up in the index's own vocabulary (and the built-in tables of
:mod:`danvan_search.assist`), offline. A query whose words the index knows, typed with
accents, costs one term lookup per word here and is left alone.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import product

from whoosh.reading import IndexReader

from .analysis import exact_term, folded_term
from .assist import SpellingIndex, damerau_levenshtein, decode_telex, decode_vni, restore_accents
from .assist.syllables import valid_syllables
from .normalization import fold, has_diacritics
from .schema import STREAM_FIELDS, TEXT_FIELDS

#: Longer queries (pasted text, long questions) are not corrected word by word, and
#: accents are restored on at most so many syllables: the cost grows with each word.
MAX_CORRECTED_WORDS = 12
MAX_RESTORED_SYLLABLES = 40
#: Accented variants of a folded syllable kept per position when restoring accents:
#: the n-grams tried grow as this number to the power n.
VARIANTS_PER_SYLLABLE = 4
_TOKEN = re.compile(r"\S+")
# A word inside a query token: after -, title: and an opening quote, before punctuation.
_CORE = re.compile(
    r'^(?P<pre>-?(?:[Tt][Ii][Tt][Ll][Ee]:)?["(\[]*)(?P<word>.*?)(?P<post>[")\].,;:!?]*)$'
)
_LETTERS = re.compile(r"^[^\W\d_]+$")
_WORD = re.compile(r"^(?=.*[^\W\d_])[^\W_]+$")  # letters, maybe digits (VNI keystrokes)


@dataclass(frozen=True)
class Assistance:
    """What assistance made of a query.

    ``query`` is what to search: the typed text, or its correction when a word the
    index does not know was corrected (``corrected``). ``suggestion`` is the better
    form to offer the user, or None. ``restored`` maps folded words to the accented
    form to rank first.
    """

    typed: str
    query: str
    suggestion: str | None
    corrected: bool
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


class QueryAssistant:
    """Assistance for queries against the index behind ``reader``."""

    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader
        self._variants_seen: dict[str, tuple[tuple[str, int], ...]] = {}

    def frequency(self, term: str, folded: bool) -> int:
        return max(
            self.reader.doc_frequency(STREAM_FIELDS[name][1 if folded else 0], term)
            for name in TEXT_FIELDS
        )

    def assist(self, text: str) -> Assistance:
        typed_accented = has_diacritics(text)
        tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
        cores = [_CORE.match(text[s:e]) for s, e in tokens]
        words = [(s + c.start("word"), c["word"]) if c else (s, "") for (s, _), c in
                 zip(tokens, cores, strict=True)]
        replaced = list(text)
        corrected = False
        for i in reversed(range(len(words) if len(words) <= MAX_CORRECTED_WORDS else 0)):
            start, word = words[i]
            if not _WORD.match(word):
                continue
            left = words[i - 1][1] if i else ""
            right = words[i + 1][1] if i + 1 < len(words) else ""
            better = self.correct(word, left, right)
            if better and better != word:
                # A query typed without accents stays so: restoration below offers them.
                replaced[start : start + len(word)] = better if typed_accented else fold(better)
                corrected = True
        query = "".join(replaced)
        restored: dict[str, str] = {}
        suggestion = query if corrected else None
        if not typed_accented:
            restored_text = self.restore(query, restored)
            if restored_text != query:
                suggestion = restored_text
        return Assistance(text, query, suggestion, corrected, restored)

    def correct(self, word: str, left: str = "", right: str = "") -> str | None:
        """A replacement for a word the index does not know, or None; ``left`` and
        ``right`` are its neighbours in the query, to prefer a correction that forms a
        word with them."""
        if word == "OR" or len(word) < 2:
            return None
        accented = has_diacritics(word)
        if self.known(word, accented):
            return None
        for decoded in (decode_telex(word), decode_vni(word)):
            if decoded and self.known(decoded, accented=True):
                return decoded
        if not _LETTERS.match(word):
            return None
        return self.closest(word, left, right)

    def known(self, word: str, accented: bool) -> bool:
        return bool(self.frequency(exact_term(word) if accented else folded_term(word),
                                   folded=not accented))

    def closest(self, word: str, left: str = "", right: str = "") -> str | None:
        """The closest known syllable: one that forms a known word with a neighbour
        first, then by edit distance (on the accented forms when typed with accents, else
        on folded forms), then by frequency."""
        folded = folded_term(word)
        accented = has_diacritics(word)
        typed = exact_term(word)
        best: tuple[tuple[int, int, int, str], str] | None = None
        # One edit for short words: two would reach half the syllables of the language.
        reach = 1 if len(folded) <= 4 else 2
        for candidate in _spelling_index().closest(folded, limit=20, max_distance=reach):
            if accented:
                forms = [f for f in _variants().get(candidate, ()) if self.known(f, True)]
            else:
                forms = [candidate] if self.known(candidate, False) else []
            for form in forms:
                distance = damerau_levenshtein(typed if accented else folded, form)
                frequency = self.frequency(form, folded=not accented)
                key = (self.context_miss(form, left, right, accented), distance, -frequency, form)
                if best is None or key < best[0]:
                    best = (key, form)
        return _recase(best[1], word) if best else None

    def context_miss(self, form: str, left: str, right: str, accented: bool) -> int:
        """0 when ``form`` makes a word the index knows with a neighbour, else 1."""
        to_term = exact_term if accented else folded_term
        for pair in ((left, form), (form, right)):
            if all(pair) and self.known(" ".join(to_term(w) for w in pair), accented):
                return 0
        return 1

    def restore(self, text: str, restored: dict[str, str]) -> str:
        """``text`` with accents restored on its words, recording each in ``restored``."""
        spans = [m.span() for m in re.finditer(r"[^\W\d_]+", text)]
        if not spans or len(spans) > MAX_RESTORED_SYLLABLES:
            return text
        syllables = [text[s:e] for s, e in spans]
        accented = restore_accents(syllables, self.accented_forms)
        out = list(text)
        for (start, end), form in reversed(list(zip(spans, accented, strict=True))):
            out[start:end] = form
        for typed, form in zip(syllables, accented, strict=True):
            if form != typed:
                restored[folded_term(typed)] = exact_term(form)
        return "".join(out)

    def accented_forms(self, key: str) -> Mapping[str, int]:
        """Accented forms of a folded n-gram the index holds, with their frequencies."""
        per_syllable = [self.known_variants(syllable) for syllable in key.split()]
        if not all(per_syllable):
            return {}
        if len(per_syllable) == 1:
            return dict(per_syllable[0])
        found = {}
        for combination in product(*per_syllable):
            joined = " ".join(form for form, _ in combination)
            frequency = self.reader.doc_frequency(STREAM_FIELDS["body"][0], joined)
            if frequency:
                found[joined] = frequency
        return found

    def known_variants(self, folded: str) -> tuple[tuple[str, int], ...]:
        """The most frequent accented spellings of a folded syllable in the index (the
        n-grams of a query share syllables: each is looked up once)."""
        if folded not in self._variants_seen:
            field = STREAM_FIELDS["body"][0]
            forms = [(self.reader.doc_frequency(field, f), f) for f in _variants().get(folded, ())]
            ranked = sorted((f for f in forms if f[0]), reverse=True)[:VARIANTS_PER_SYLLABLE]
            self._variants_seen[folded] = tuple((form, freq) for freq, form in ranked)
        return self._variants_seen[folded]


def _recase(form: str, typed: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return form.upper()
    return form[:1].upper() + form[1:] if typed[:1].isupper() else form
