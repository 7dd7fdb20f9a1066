"""Snippets: the part of a document that best shows why it matched, from the original
text (accents as written), with the matched words located by character ranges.

Matching is done on the folded text, so a word is highlighted however it was typed or
written (``dan van`` highlights "Dân vận", also inside "Dân vận khéo"); rendering the
ranges (terminal, HTML, plain markers) is left to :meth:`Snippet.render` and callers.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .analysis import map_span
from .normalization import FOLD_TABLE, clean_text, fold, normalize_tones

Span = tuple[int, int]

#: Characters of context a snippet aims for.
SNIPPET_CHARS = 240
_CONTEXT_BEFORE = 60
_SPACE_RUN = re.compile(r"\s+")


@dataclass(frozen=True)
class Snippet:
    """A fragment of a document; ``highlights`` are ranges within :attr:`text`."""

    text: str
    highlights: tuple[Span, ...]
    start: int  # where the fragment starts in the document
    end: int
    document_length: int

    def render(self, before: str = "[", after: str = "]", ellipsis: str = "…") -> str:
        """The fragment with each highlight wrapped in ``before``/``after``."""
        parts, cursor = [], 0
        for start, end in self.highlights:
            parts += [self.text[cursor:start], before, self.text[start:end], after]
            cursor = end
        parts.append(self.text[cursor:])
        return self._ellipsize("".join(parts), ellipsis)

    def html(self, tag: str = "mark") -> str:
        """The fragment as HTML, highlights wrapped in ``<mark>`` (text escaped)."""
        parts, cursor = [], 0
        for start, end in self.highlights:
            parts += [html.escape(self.text[cursor:start]), f"<{tag}>",
                      html.escape(self.text[start:end]), f"</{tag}>"]
            cursor = end
        parts.append(html.escape(self.text[cursor:]))
        return self._ellipsize("".join(parts), "…")

    def _ellipsize(self, text: str, ellipsis: str) -> str:
        prefix = ellipsis if self.start > 0 else ""
        suffix = ellipsis if self.end < self.document_length else ""
        return f"{prefix}{text}{suffix}"


@dataclass(frozen=True)
class MatchRun:
    """A query word or phrase to highlight: its syllables, exact (lowercase, canonical
    tones) when the query was typed with accents, else folded."""

    syllables: tuple[str, ...]
    accented: bool


def find_highlights(text: str, runs: Sequence[MatchRun]) -> list[Span]:
    """Character ranges of ``text`` where the query's words occur.

    An accented word is highlighted where the document has it with the same accents,
    and only where it has none of those, wherever it matched through folding. Works on
    NFD input and either tone style: offsets always refer to ``text``.
    """
    words = _query_words(tuple(runs))
    if not text or not words.keys:
        return []
    cleaned, offsets = clean_text(text)
    folded = _fold_in_place(cleaned)  # one character per character: offsets carry over
    # Lowercased before the scan rather than scanned ignoring case, which is three times
    # slower. Folded, every character lowercases to one (İ, the one that lowercases to
    # two, folds to I): offsets still carry over.
    lowered = folded.lower()
    # One scan for all the words, on the folded text; exactness is checked per match.
    by_key: dict[str, list[Span]] = {}
    for match in _pattern(words.keys).finditer(lowered):
        by_key.setdefault(match.group(), []).append(match.span())
    spans: list[Span] = []
    for matched, found in by_key.items():
        # The text matched is folded and lowercase already: its key is its words.
        forms = words.exact_forms.get(" ".join(matched.split()))
        if forms:
            written: dict[str, bool] = {}  # a word is mostly written the same way
            exact = []
            for start, end in found:
                surface = cleaned[start:end]
                if surface not in written:
                    written[surface] = _exact(surface) in forms
                if written[surface]:
                    exact.append((start, end))
            found = exact or found
        spans.extend(found)
    if offsets is not None:
        spans = [map_span(offsets, s, e, text) for s, e in spans]
    return _merge(spans)


@dataclass(frozen=True)
class _QueryWords:
    keys: tuple[str, ...]  # each run's folded lowercase syllables, sorted
    # The accented forms a key must have to count as exact; a key typed once without
    # accents, or never with them, is absent: any form will do.
    exact_forms: dict[str, frozenset[str]]


@lru_cache(maxsize=64)
def _query_words(runs: tuple[MatchRun, ...]) -> _QueryWords:
    """What :func:`find_highlights` looks for, worked out once per query rather than
    once per hit (every hit of a query has the same runs)."""
    forms: dict[str, set[str]] = {}
    for run in runs:
        # A run without syllables (a quoted "." has none) would match the empty string
        # everywhere: it highlights nothing.
        key = _key(run.syllables)
        if key:
            forms.setdefault(key, set()).add(" ".join(run.syllables) if run.accented else "")
    return _QueryWords(
        tuple(sorted(forms)),
        {key: frozenset(found) for key, found in forms.items() if "" not in found},
    )


def _fold_in_place(text: str) -> str:
    """:func:`fold` without dropping stray combining marks, so that every character stays
    where it was. Long texts (article bodies) go through a numpy table lookup, three
    times faster than ``str.translate``; numpy is loaded by then, ranking needs it."""
    if len(text) < _LONG_TEXT:
        return text.translate(FOLD_TABLE)
    import numpy as np

    table = _fold_array()
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    inside = codes < len(table)
    folded = np.where(inside, table[np.where(inside, codes, 0)], codes)
    return folded.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


_LONG_TEXT = 500


@lru_cache(maxsize=1)
def _fold_array() -> Any:
    import numpy as np

    return np.array(FOLD_TABLE, dtype=np.uint32)


def _key(syllables: Sequence[str]) -> str:
    return " ".join(fold(s).lower() for s in syllables)


def _exact(words: str) -> str:
    return normalize_tones(" ".join(words.split())).lower()


@lru_cache(maxsize=256)
def _pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first, so a compound is found whole rather than as its first word.
    bodies = [r"\s+".join(map(re.escape, key.split())) for key in sorted(keys, key=len)[::-1]]
    # The lookahead on the keys' first letters lets the regex engine skip, in C, every
    # place no key can start: the scan takes half the time it takes without it.
    first = "(?=[" + "".join(re.escape(c) for c in sorted({key[0] for key in keys})) + "])"
    return re.compile(first + r"(?<!\w)(?:" + "|".join(bodies) + r")(?!\w)")


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def make_snippet(text: str, highlights: Sequence[Span], width: int = SNIPPET_CHARS) -> Snippet:
    """The window of ``text`` about ``width`` characters long that shows the most
    distinct highlighted words, cut at spaces, white space runs shown as one space."""
    start = _best_window(text, highlights, width)
    end = min(len(text), start + width)
    if start > 0:  # do not cut a word in two
        space = text.find(" ", start, start + 30)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", end - 30, end)
        end = space if space > start else end
    inside = [(s, e) for s, e in highlights if s >= start and e <= end]
    fragment, moved = _collapse_spaces(text[start:end], [(s - start, e - start) for s, e in inside])
    return Snippet(fragment, tuple(moved), start, end, len(text))


def _collapse_spaces(text: str, spans: list[Span]) -> tuple[str, list[Span]]:
    """Runs of white space (newlines included) become one space; spans follow."""
    runs = [m.span() for m in _SPACE_RUN.finditer(text) if m.group() != " "]
    if not runs:
        return text, spans
    pieces, removed_before, cursor, removed = [], [], 0, 0
    for start, end in runs:
        pieces += [text[cursor:start], " "]
        removed += end - start - 1
        removed_before.append((end, removed))
        cursor = end
    pieces.append(text[cursor:])

    def moved(position: int) -> int:
        index = bisect_right(removed_before, (position, len(text) + 1)) - 1
        return position - (removed_before[index][1] if index >= 0 else 0)

    return "".join(pieces), [(moved(s), moved(e)) for s, e in spans]


def _best_window(text: str, highlights: Sequence[Span], width: int) -> int:
    """Start of the window showing the most distinct highlighted words (two pointers)."""
    if not highlights:
        return 0
    words = [text[s:e].lower() for s, e in highlights]
    best_start, best_key = 0, (-1, -1)
    last = 0
    counts: dict[str, int] = {}
    for first, (anchor, _) in enumerate(highlights):
        start = max(0, anchor - _CONTEXT_BEFORE)
        while last < len(highlights) and highlights[last][1] <= start + width:
            counts[words[last]] = counts.get(words[last], 0) + 1
            last += 1
        key = (len(counts), last - first)
        if key > best_key:
            best_start, best_key = start, key
        counts[words[first]] -= 1
        if not counts[words[first]]:
            del counts[words[first]]
    return best_start
