"""Word segmentation and the token streams that index and query share.

The pipeline, for any text:

1. :func:`~danvan_search.normalization.clean_text` (NFC, invisible characters out),
   keeping a map back to the caller's offsets;
2. ``underthesea.word_tokenize`` on each line of the cleaned text, *before* tone marks are
   moved: its CRF was trained on the original tone style and loses accuracy on re-toned text;
3. each word is aligned to its characters, document codes (``25-NQ/TW``, found by
   :func:`~danvan_search.metadata.find_document_codes`) are merged back into one word,
   punctuation is dropped;
4. :func:`token_stream` turns the words into the terms a Whoosh field indexes, either
   exact (lowercase, canonical tone placement) or folded (no diacritics).

Everything here is pure and deterministic: the index and the query side call the same
functions, so they always see text the same way.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

from .metadata import find_document_codes, normalize_code
from .normalization import clean_text, fold, normalize_tones

#: Bump when a change here alters the terms written to an index: indexes record it and
#: refuse to open under a different version (their terms would no longer match queries).
ANALYSIS_VERSION = 3

WordKind = Literal["word", "code", "number"]
StreamKind = Literal["exact", "folded"]

#: Sub-spans of a compound are indexed up to this many syllables ("Mặt trận Tổ quốc Việt
#: Nam", one word to the segmenter, also yields "việt nam"); a longer compound is also
#: indexed whole. Their number grows with the square of the length, hence a limit.
MAX_SUBSPAN_SYLLABLES = 4
#: The lead of a text: its first this many syllables (:func:`lead_terms`).
LEAD_SYLLABLES = 80

#: The longest piece of text the segmenter is given at once. Its memory and time grow
#: faster than the length of what it is given (a 10 MB line took 16 GB and 135 s), so a
#: longer line is cut, after a sentence where possible: memory stays bounded whatever the
#: size of a document, and sentences, what the CRF was trained on, stay whole.
MAX_SEGMENT_CHARS = 2000
_SENTENCE_END = re.compile(r"[.!?…;:][\"”’»)\]]*\s+")

_HAS_ALNUM = re.compile(r"\w")
_SPLIT_PARTS = re.compile(r"[-_./:,']+")
_DIGITS = re.compile(r"^[\d.,/:-]+$")


class Word(NamedTuple):
    """One word as the segmenter found it, with offsets into the analysed text.

    ``syllables`` are the (start, end) spans of its space-separated parts; a compound
    such as "Dân vận khéo" has three.
    """

    text: str
    start: int
    end: int
    kind: WordKind
    syllables: tuple[tuple[int, int], ...]


class Token(NamedTuple):
    """A term of a token stream: what an index field stores for one occurrence.

    A named tuple rather than a frozen dataclass: streams create one per term, and a
    tuple is several times cheaper to build.
    """

    term: str
    position: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Analysis:
    """The segmented form of one text: the input as given and its words."""

    text: str
    words: tuple[Word, ...]

    def stream(self, kind: StreamKind) -> Iterator[Token]:
        return token_stream(self, kind)


# --- segmentation -----------------------------------------------------------------------

_segmenter_lock = threading.Lock()
_segmenter: Callable[[str], list[str]] | None = None


def _load_segmenter() -> Callable[[str], list[str]]:
    """Import underthesea on first use: importing this package must stay instant."""
    global _segmenter
    with _segmenter_lock:
        if _segmenter is None:
            from underthesea import word_tokenize

            def segment(line: str) -> list[str]:
                # use_token_normalize=False: the CRF sees the text as written, and every
                # word it returns is a verbatim substring we can align.
                return word_tokenize(line, use_token_normalize=False)

            segment(" ")  # loads the CRF model now, under the lock
            _segmenter = segment
    return _segmenter


def segment_words(text: str) -> list[str]:
    """Segment ``text`` with underthesea, as-is: compounds joined by one space."""
    segmenter = _segmenter or _load_segmenter()
    return segmenter(text)


def analyze(text: str) -> Analysis:
    """Segment ``text`` into words whose offsets point into ``text`` itself.

    Works on any input, NFC or decomposed, with either tone style; offsets always refer
    to the string that was passed in, so ``text[w.start:w.end]`` is what the user wrote.
    """
    cleaned, offsets = clean_text(text)
    words: list[Word] = []
    for line_start, line in _lines(cleaned):
        words.extend(_align(line, line_start, segment_words(line)))
    words = _merge_codes(cleaned, words)
    if offsets is not None:
        words = [_remap(w, offsets, text) for w in words]
    return Analysis(text, tuple(words))


# Word-like runs for text that the CRF is not used on: numbers with their separators
# ("19.200", "03/3/2021"), then letters joined by hyphens ("covid-19", "kt-xh") or
# apostrophes ("Google's", "O'Neill": the segmenter keeps them whole, and so must a query).
_PLAIN_TOKEN = re.compile(r"\d+(?:[.,/]\d+)*(?!\w)|\w+(?:[-'’]\w+)*")


def split_syllables(text: str) -> Analysis:
    """Like :func:`analyze`, without the segmenter: every syllable is its own word.

    For text typed without diacritics, which the CRF cannot segment (and which then need
    not pay for loading it): its words are found against the index instead.
    """
    cleaned, offsets = clean_text(text)
    words = [
        Word(m.group(), m.start(), m.end(),
             "number" if _DIGITS.match(m.group()) else "word", (m.span(),))
        for m in _PLAIN_TOKEN.finditer(cleaned)
    ]
    words = _merge_codes(cleaned, words)
    if offsets is not None:
        words = [_remap(w, offsets, text) for w in words]
    return Analysis(text, tuple(words))


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """The pieces of ``text`` the segmenter is given, with their offsets: each line (a
    headline or caption must not fuse with the next line), and a long line in pieces of
    at most :data:`MAX_SEGMENT_CHARS`, cut after a sentence where there is one, else at
    a space."""
    for match in re.finditer(r"[^\n\r]+", text):
        line, base = match.group(), match.start()
        start = 0
        while len(line) - start > MAX_SEGMENT_CHARS:
            window = line[start : start + MAX_SEGMENT_CHARS]
            ends = [m.end() for m in _SENTENCE_END.finditer(window)]
            cut = ends[-1] if ends and ends[-1] > MAX_SEGMENT_CHARS // 4 else 0
            cut = cut or window.rfind(" ") + 1 or MAX_SEGMENT_CHARS  # no space: not prose
            piece = line[start : start + cut]
            if not piece.isspace():
                yield base + start, piece
            start += cut
        if not line[start:].isspace():
            yield base + start, line[start:]


def _align(line: str, base: int, pieces: Sequence[str]) -> Iterator[Word]:
    cursor = 0
    for piece in pieces:
        spans = []
        for part in piece.split(" "):
            found = line.find(part, cursor)
            if found < 0:  # cannot happen with use_token_normalize=False; stay safe
                break
            spans.append((base + found, base + found + len(part)))
            cursor = found + len(part)
        if not spans or not _HAS_ALNUM.search(piece):
            continue  # punctuation is not a token
        start, end = spans[0][0], spans[-1][1]
        kind: WordKind = "number" if _DIGITS.match(piece) else "word"
        yield Word(line[start - base : end - base], start, end, kind, tuple(spans))


def _merge_codes(text: str, words: list[Word]) -> list[Word]:
    """Replace the pieces the segmenter made of a document code by the whole code."""
    codes = [(start, end) for start, end, _ in find_document_codes(text)]
    if not codes:
        return words
    merged: list[Word] = []
    code_iter = iter(codes)
    code = next(code_iter, None)
    for word in words:
        while code is not None and code[1] <= word.start:
            code = next(code_iter, None)
        if code is not None and word.start < code[1] and word.end > code[0]:
            if merged and merged[-1].kind == "code" and merged[-1].start == code[0]:
                continue  # another piece of the code already emitted
            start, end = code
            merged.append(Word(text[start:end], start, end, "code", ((start, end),)))
        else:
            merged.append(word)
    return merged


def _remap(word: Word, offsets: list[int], original: str) -> Word:
    start, end = map_span(offsets, word.start, word.end, original)
    spans = tuple(map_span(offsets, s, e, original) for s, e in word.syllables)
    return Word(original[start:end], start, end, word.kind, spans)


def map_span(offsets: list[int], start: int, end: int, original: str) -> tuple[int, int]:
    """Map a span of cleaned text back to ``original`` (see ``clean_text``'s offsets).

    The end is that of the last character's own cluster, so a removed invisible
    character after a word is not counted as part of it.
    """
    if end <= start:
        return offsets[start], offsets[start]
    stop = offsets[end - 1] + 1
    while stop < len(original) and unicodedata.combining(original[stop]):
        stop += 1  # the combining marks of a decomposed last letter
    return offsets[start], stop


# --- token streams ----------------------------------------------------------------------


@lru_cache(maxsize=131072)
def exact_term(syllable: str) -> str:
    """The exact-stream form of one syllable: canonical tones, lowercase, NFC, and one
    apostrophe ("Google’s" and "Google's" are one term)."""
    return normalize_tones(clean_text(syllable)[0].lower()).replace("’", "'")


@lru_cache(maxsize=131072)
def folded_term(syllable: str) -> str:
    """The folded-stream form: no diacritics, đ → d, lowercase."""
    return fold(exact_term(syllable))


def term_function(kind: StreamKind) -> Callable[[str], str]:
    return exact_term if kind == "exact" else folded_term


def token_stream(analysis: Analysis, kind: StreamKind) -> Iterator[Token]:
    """The terms an index field of ``kind`` stores for ``analysis``.

    Syllables take consecutive positions, so a phrase of syllables matches across word
    boundaries. A compound also yields itself and every multi-syllable sub-span, at the
    position of its first syllable: "Dân vận khéo" gives "dân", "vận", "khéo" and also
    "dân vận", "dân vận khéo", "vận khéo" (sub-spans of at most
    :data:`MAX_SUBSPAN_SYLLABLES` syllables, and a longer compound whole). A query word
    is then one term lookup whether the text has it as a word or inside a longer one.
    Codes are one term; numbers and hyphenated words also yield their parts, at the same
    position.
    """
    for term, position, start, end in term_tuples(analysis, kind):
        yield Token(term, position, start, end)


def term_tuples(analysis: Analysis, kind: StreamKind) -> Iterator[tuple[str, int, int, int]]:
    """:func:`token_stream` as plain ``(term, position, start, end)`` tuples: what the
    indexer consumes, one per term of every document, so it skips building objects."""
    position = 0
    for word in analysis.words:
        key = (word.text, word.kind, kind)
        terms = _TEMPLATES.get(key)
        if terms is None:
            relative = tuple((s - word.start, e - word.start) for s, e in word.syllables)
            terms = _word_terms(word.text, relative, word.kind, kind)
            if len(_TEMPLATES) >= _TEMPLATES_MAX:
                _TEMPLATES.clear()
            _TEMPLATES[key] = terms
        for term, offset, start, end in terms:
            yield term, position + offset, word.start + start, word.start + end
        position += len(word.syllables)


def pair_tuples(analysis: Analysis, kind: StreamKind) -> Iterator[tuple[str, int, int, int]]:
    """Each two syllables next to each other, as one term ``"left right"`` at the
    position of the left one: what a two-syllable phrase matches, found without reading
    positions. Adjacency is that of :func:`term_tuples` (a syllable, a code, or a part
    of a hyphenated word at a position, next to one at the following position), so a
    pair term is in a document exactly where the phrase of its two syllables is."""
    previous: list[tuple[str, int]] = []  # (term, start) of the units at position - 1
    current: list[tuple[str, int]] = []
    at = -1
    for term, position, start, end in term_tuples(analysis, kind):
        if " " in term:
            continue  # a word's sub-span, not a unit
        if position != at:
            previous = current if position == at + 1 else []
            current, at = [], position
        current.append((term, start))
        for left, left_start in previous:
            yield f"{left} {term}", position - 1, left_start, end


def lead_terms(analysis: Analysis, kind: StreamKind) -> list[str]:
    """The syllables (and codes, and parts of hyphenated syllables) of the first
    :data:`LEAD_SYLLABLES` positions of a text, in order: its lead. A news article says
    what it is about in its opening sentences, so a query's words there count for more
    (see ``Ranking.lead_weight``). Words are left out: the lead is only scored syllable
    by syllable."""
    terms = []
    for term, position, _, _ in term_tuples(analysis, kind):
        if position >= LEAD_SYLLABLES:
            break
        if " " not in term:
            terms.append(term)
    return terms


# The terms of each distinct word, relative to it: text repeats its words, so each is
# worked out once. (The same word text always aligns the same way, so it is the key.)
_TEMPLATES: dict[tuple[str, str, str], tuple[tuple[str, int, int, int], ...]] = {}
_TEMPLATES_MAX = 200_000


def _word_terms(
    text: str, syllables: tuple[tuple[int, int], ...], word_kind: WordKind, kind: StreamKind
) -> tuple[tuple[str, int, int, int], ...]:
    """The terms of one word as (term, position offset, start, end) relative to it."""
    to_term = term_function(kind)
    if word_kind == "code":  # one spelling of a code: "23-qđ/tw" is "23-QĐ/TW"
        return ((to_term(normalize_code(text)), 0, 0, len(text)),)
    terms = [to_term(text[s:e]) for s, e in syllables]
    out: list[tuple[str, int, int, int]] = []
    for i, (start, end) in enumerate(syllables):
        out.append((terms[i], i, start, end))
        # In a compound too: "Kim Jong-un" is found by "jong", "Google's Perspective"
        # by "google".
        out += [(part, i, start, end) for part in _parts(terms[i])]
        for j in range(i + 2, min(len(terms), i + MAX_SUBSPAN_SYLLABLES) + 1):
            out.append((" ".join(terms[i:j]), i, start, syllables[j - 1][1]))
        if i == 0 and len(terms) > MAX_SUBSPAN_SYLLABLES:
            out.append((" ".join(terms), 0, start, syllables[-1][1]))
    return tuple(out)


def _parts(term: str) -> list[str]:
    # "covid-19" is also found by "covid"; "19.200" stays whole (its parts are noise).
    if _DIGITS.match(term):
        return []
    parts = [p for p in _SPLIT_PARTS.split(term) if p]
    return parts if len(parts) > 1 else []
