"""Vietnamese abbreviations (UBND, MTTQ, HĐND) and the phrases they stand for.

A query for "UBND" should find "Ủy ban nhân dân" and the other way round. The built-in
list lives in ``data/acronyms.tsv``; projects add their own with :meth:`Acronyms.from_file`
and :meth:`Acronyms.merged`.

Acronyms match whatever their case, accents and inner punctuation ("ubnd", "HDND" for
HĐND, "KHCN" for KH-CN), except that one reading as a Vietnamese word ("TU", "ĐU") is an
acronym only in capitals; expansions match as whole words whatever their case, accents
and tone placement ("uy ban nhan dan", "Uỷ ban nhân dân").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from importlib import resources
from os import PathLike
from pathlib import Path

from ..errors import DanvanError
from ..normalization import clean_text, fold, normalize
from .syllables import is_vietnamese_syllable

__all__ = ["Acronyms", "InvalidAcronymFileError"]

_WORD = re.compile(r"[^\W_]+")
_NOT_ALNUM = re.compile(r"[\W_]+")
# What may separate the words of an expansion in a text: spaces and the joining
# punctuation of "Kinh tế - xã hội" or "Công nghiệp hóa, hiện đại hóa", never a line break
# or a full stop (the phrase would straddle two sentences).
_GAP = re.compile(r"[ \t\-–—,&/]+")


class InvalidAcronymFileError(DanvanError, ValueError):
    """An acronym file has a line that is not ``acronym<TAB>expansion``."""


def _acronym_key(acronym: str, *, folded: bool) -> str:
    key = _NOT_ALNUM.sub("", normalize(acronym).lower())
    return fold(key) if folded else key


def _phrase_key(phrase: str) -> tuple[str, ...]:
    return tuple(fold(w).lower() for w in _WORD.findall(normalize(phrase)))


class Acronyms:
    """An immutable table of acronyms and their expansions, in file order."""

    __slots__ = ("_entries", "_exact", "_folded", "_phrases")

    def __init__(self, entries: Iterable[tuple[str, str]] = ()) -> None:
        self._entries = tuple(dict.fromkeys((a.strip(), e.strip()) for a, e in entries))
        exact: dict[str, list[str]] = {}
        folded: dict[str, list[str]] = {}
        phrases: dict[tuple[str, ...], list[str]] = {}
        for acronym, expansion in self._entries:
            exact.setdefault(_acronym_key(acronym, folded=False), []).append(expansion)
            folded.setdefault(_acronym_key(acronym, folded=True), []).append(expansion)
            acronyms = phrases.setdefault(_phrase_key(expansion), [])
            if acronym not in acronyms:
                acronyms.append(acronym)
        self._exact = {k: tuple(dict.fromkeys(v)) for k, v in exact.items()}
        self._folded = {k: tuple(dict.fromkeys(v)) for k, v in folded.items()}
        # First word of an expansion -> (words, acronyms), longest first so that
        # "Ủy viên Ban Thường vụ" wins over the "Ban Thường vụ" inside it.
        by_first: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for words, acronyms in phrases.items():
            if words:
                by_first.setdefault(words[0], []).append((words, tuple(acronyms)))
        for options in by_first.values():
            options.sort(key=lambda option: -len(option[0]))
        self._phrases = by_first

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def builtin(cls) -> Acronyms:
        """The table shipped in ``danvan_search/data/acronyms.tsv`` (read once)."""
        return _builtin()

    @classmethod
    def from_file(cls, path: str | PathLike[str]) -> Acronyms:
        """Read a UTF-8 file of ``acronym<TAB>expansion`` lines (# comments, blank lines).

        Raises :class:`InvalidAcronymFileError` naming the file and line of the first
        malformed line, and ``FileNotFoundError`` when there is no such file.
        """
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as error:
            raise InvalidAcronymFileError(f"{path}: not UTF-8 text ({error.reason})") from None
        return cls(_parse(text, str(path)))

    def merged(self, other: Acronyms) -> Acronyms:
        """A table with this one's entries, then those of ``other`` it does not have."""
        return Acronyms((*self._entries, *other._entries))

    # --- queries ----------------------------------------------------------------------------

    @property
    def entries(self) -> tuple[tuple[str, str], ...]:
        """Every (acronym, expansion) pair, in order."""
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._entries)

    def __repr__(self) -> str:
        return f"<Acronyms: {len(self._entries)} entries>"

    def expansions(self, token: str) -> tuple[str, ...]:
        """What ``token`` stands for, matched ignoring case, accents and inner punctuation.

        Expansions of an acronym written exactly as ``token`` (up to case) come first:
        "TU" gives Tỉnh ủy and Thành ủy before Trung ương (TƯ); "TƯ" the other way round.
        A token that reads as a Vietnamese word is that word unless it is written in
        capitals: "TU" stands for Tỉnh ủy, "từ" and "Tu" for nothing (a question with
        "từ" is not about the Central Committee).

        >>> Acronyms.builtin().expansions("hdnd"), Acronyms.builtin().expansions("từ")
        (('Hội đồng nhân dân',), ())
        """
        if not token.isupper() and is_vietnamese_syllable(token):
            return ()
        exact = self._exact.get(_acronym_key(token, folded=False), ())
        folded = self._folded.get(_acronym_key(token, folded=True), ())
        return tuple(dict.fromkeys((*exact, *folded)))

    def find_expansions_in(self, text: str) -> list[tuple[int, int, str]]:
        """Spans of ``text`` that spell an expansion, as ``(start, end, acronym)``.

        Matching is on whole words, ignoring case, accents and tone placement; the words
        may be separated by spaces, hyphens, dashes, commas, "&" or "/". The longest
        expansion starting at a word wins and matches do not overlap. A phrase that
        several acronyms stand for ("Trung ương": TW and TƯ) gives one tuple per acronym,
        same span, in table order. Offsets index ``text`` as given, NFC or not.

        >>> Acronyms.builtin().find_expansions_in("Uỷ ban nhân dân tỉnh")
        [(0, 15, 'UBND')]
        """
        cleaned, offsets = clean_text(text)
        words = [(m.start(), m.end(), fold(m.group()).lower()) for m in _WORD.finditer(cleaned)]
        found: list[tuple[int, int, str]] = []
        i = 0
        while i < len(words):
            match = self._match_at(cleaned, words, i)
            if match is None:
                i += 1
                continue
            length, acronyms = match
            start, end = words[i][0], words[i + length - 1][1]
            if offsets is not None:
                start, end = _original_span(text, offsets, start, end)
            found += [(start, end, acronym) for acronym in acronyms]
            i += length
        return found

    def _match_at(
        self, text: str, words: list[tuple[int, int, str]], i: int
    ) -> tuple[int, tuple[str, ...]] | None:
        for phrase, acronyms in self._phrases.get(words[i][2], ()):
            n = len(phrase)
            if i + n > len(words):
                continue
            if all(words[i + k][2] == phrase[k] for k in range(1, n)) and all(
                _GAP.fullmatch(text, words[k][1], words[k + 1][0]) for k in range(i, i + n - 1)
            ):
                return n, acronyms
        return None


def _parse(text: str, source: str) -> Iterator[tuple[str, str]]:
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        acronym, expansion = (p.strip() for p in parts) if len(parts) == 2 else ("", "")
        if not acronym or not expansion or " " in acronym or not _WORD.search(expansion):
            raise InvalidAcronymFileError(
                f"{source}:{number}: expected 'acronym<TAB>expansion', got {raw!r}"
            )
        yield acronym, expansion


def _original_span(text: str, offsets: list[int], start: int, end: int) -> tuple[int, int]:
    """Map a span of ``clean_text(text)`` back to ``text`` (see its ``offsets``)."""
    stop = offsets[end - 1] + 1
    while stop < len(text) and unicodedata.combining(text[stop]):
        stop += 1  # the combining marks of a decomposed last letter
    return offsets[start], stop


@functools.lru_cache(maxsize=1)
def _builtin() -> Acronyms:
    source = resources.files("danvan_search").joinpath("data", "acronyms.tsv")
    return Acronyms(_parse(source.read_text("utf-8"), "acronyms.tsv"))
