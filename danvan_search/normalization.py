"""Unicode and orthography normalization shared by indexing and querying.

Vietnamese text in the wild mixes NFC and NFD, carries invisible characters pasted from
word processors, types the Icelandic eth for Đ, and places tone marks in two styles
("hoà" and "hòa"). Every comparison in the library goes through :func:`normalize` so that
all of these spell the same string, and diacritic-insensitive matching goes through
:func:`fold`.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata

__all__ = [
    "VIETNAMESE_LETTERS",
    "clean_text",
    "fold",
    "has_diacritics",
    "has_lone_surrogates",
    "normalize",
    "normalize_tones",
    "replace_lone_surrogates",
]

# --- clean_text --------------------------------------------------------------------------

_INVISIBLE = "\u200b\u200c\u200d\u2060\u00ad\ufeff"
# Length-preserving substitutions: no-break spaces become spaces, eth becomes Vietnamese Đ.
_SUBSTITUTIONS = (("\u00a0", " "), ("\u202f", " "), ("\u2007", " "), ("Ð", "Đ"), ("ð", "đ"))
_SPECIAL_RE = re.compile(f"[{_INVISIBLE}{''.join(old for old, _ in _SUBSTITUTIONS)}]")
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_VISIBLE_RE = re.compile(f"[^{_INVISIBLE}]")


@functools.lru_cache(maxsize=1)
def _cluster_start_re() -> re.Pattern[str]:
    """Regex for the characters that start a cluster, i.e. that NFC never merges backwards.

    Those are all characters except invisible ones, combining marks, and the few class-0
    characters that NFC still joins to what precedes them: Hangul vowel and trailing jamo,
    Indic vowel signs such as Tamil U+0BBE (second halves of compositions), and Tibetan
    U+0F73 (decomposes into marks that reorder with earlier ones). Characters beyond the BMP
    (emoji, historic scripts) never start one: merging clusters is always safe, and listing
    astral marks one by one would make the regex check each character against all of them.
    Built on first use (~30 ms) because only the slow path of clean_text needs it.
    """
    followers = set(_INVISIBLE) | {chr(cp) for cp in range(0x1161, 0x1176)}
    followers |= {chr(cp) for cp in range(0x11A8, 0x11C3)}
    for cp in range(0x10000):
        char = chr(cp)
        parts = unicodedata.decomposition(char).split()
        if unicodedata.combining(char):
            followers.add(char)
        elif parts and not parts[0].startswith("<"):  # canonical decomposition
            if unicodedata.combining(chr(int(parts[0], 16))):
                followers.add(char)
            if len(parts) == 2 and not unicodedata.combining(chr(int(parts[1], 16))):
                followers.add(chr(int(parts[1], 16)))
    return re.compile(f"[^{''.join(map(re.escape, sorted(followers)))}\U00010000-\U0010ffff]")


def clean_text(text: str) -> tuple[str, list[int] | None]:
    """Return ``(cleaned, offsets)``: *text* in NFC without invisible characters.

    Removes U+200B/U+200C/U+200D/U+2060/U+00AD/U+FEFF, turns no-break spaces (U+00A0,
    U+202F, U+2007) into ' ', and maps 'Ð'/'ð' (eth, often typed for Vietnamese Đ) to
    'Đ'/'đ'. Tone marks are not moved: the word segmenter was trained on the original style.

    *offsets* is None when ``cleaned[i]`` sits at index ``i`` of *text* for every ``i``.
    Otherwise it has ``len(cleaned) + 1`` entries, ``offsets[i]`` being the index in *text*
    of the character(s) ``cleaned[i]`` came from and ``offsets[-1] == len(text)``, so
    ``cleaned[i:j]`` came from ``text[offsets[i]:offsets[j]]``. Removed characters belong to
    the span of the character before them.
    """
    if unicodedata.is_normalized("NFC", text):
        match = _SPECIAL_RE.search(text)
        if match is None:
            return text, None
        if _INVISIBLE_RE.search(text, match.start()) is None:
            return _substitute(text), None
    return _clean_slow(text)


def _substitute(text: str) -> str:
    # A few str.replace scans beat str.translate, which does a Python-level lookup per char.
    for old, new in _SUBSTITUTIONS:
        if old in text:
            text = text.replace(old, new)
    return text


def _clean_slow(text: str) -> tuple[str, list[int] | None]:
    """NFC and cleaning with offsets. A cluster is a starter plus everything NFC may merge
    into it, so NFC of the whole text is the concatenation of NFC of each cluster."""
    starts = [m.start() for m in _cluster_start_re().finditer(text)]
    first = _VISIBLE_RE.search(text)
    if first and (not starts or first.start() < starts[0]):
        starts.insert(0, first.start())  # the text opens with combining marks
    cleaned = unicodedata.normalize("NFC", _INVISIBLE_RE.sub("", text))
    # Each cluster yields at least one character, so equal counts mean exactly one each
    # (the usual case, e.g. NFD Vietnamese): each character maps to its cluster start.
    offsets = starts if len(cleaned) == len(starts) else _cluster_offsets(text, starts)
    offsets.append(len(text))
    if offsets == list(range(len(text) + 1)):
        return _substitute(cleaned), None
    return _substitute(cleaned), offsets


def _cluster_offsets(text: str, starts: list[int]) -> list[int]:
    """Offsets when some cluster composes to several characters (a mark with no precomposed
    form, or a composition exclusion such as U+0958 that NFC expands)."""
    offsets: list[int] = []
    for begin, end in zip(starts, [*starts[1:], len(text)], strict=True):
        indices = [i for i in range(begin, end) if text[i] not in _INVISIBLE]
        k = len(unicodedata.normalize("NFC", "".join(text[i] for i in indices)))
        if k <= len(indices):
            # The first character starts at the cluster start; leftover marks are the last ones.
            offsets += [begin, *indices[len(indices) - k + 1 :]]
        else:  # expansion: the extra characters share the last index
            offsets += indices + [indices[-1]] * (k - len(indices))
    return offsets


# --- lone surrogates --------------------------------------------------------------------

# A Python string can hold a surrogate code point alone: "\ud800" in JSON, or a byte that
# was not UTF-8 in a command-line argument or file name (decoded with surrogateescape).
# It is not text, cannot be encoded as UTF-8, and so can be neither indexed nor printed.
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogates(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def replace_lone_surrogates(text: str, replacement: str = "\ufffd") -> str:
    """``text`` with every surrogate code point replaced (by U+FFFD, the replacement
    character, unless told otherwise)."""
    return _SURROGATE.sub(replacement, text) if has_lone_surrogates(text) else text


# --- tone placement ----------------------------------------------------------------------

_TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng
_VOWELS = "aăâeêioôơuưy"


def _tone_tables() -> tuple[dict[str, tuple[str, str]], dict[tuple[str, str], str]]:
    """Map each toned vowel to (toneless vowel, tone mark), and back."""
    split: dict[str, tuple[str, str]] = {}
    for base in _VOWELS + _VOWELS.upper():
        for mark in _TONE_MARKS:
            split[unicodedata.normalize("NFC", base + mark)] = (base, mark)
    return split, {parts: toned for toned, parts in split.items()}


_SPLIT_TONE, _JOIN_TONE = _tone_tables()

_LOWER_LETTERS = string.ascii_lowercase + "ăâđêôơư" + "".join(c for c in _SPLIT_TONE if c.islower())
VIETNAMESE_LETTERS: str = _LOWER_LETTERS + _LOWER_LETTERS.upper()

# Every old-style syllable ends its letter run with o/u (not qu) and a toned a, e or y.
# Searching for that is one fast regex scan; the full rule then runs on those few runs only.
_TONED_A_E_Y = "".join(toned for toned, (base, _) in _SPLIT_TONE.items() if base in "aeyAEY")
_OLD_STYLE_HINT_RE = re.compile(f"[oOuU](?<![qQ][uU])[{_TONED_A_E_Y}](?![^\\W\\d_])")
_TRAILING_LETTERS_RE = re.compile(r"[^\W\d_]*\Z")
# Toneless, lowercased syllables whose tone moves: onset (not qu, whose u is consonantal)
# then nucleus oa/oe/uy, no final consonant.
_AFFECTED_RE = re.compile(r"(?:ngh|ch|gh|kh|ng|nh|ph|th|tr|[bcdđghklmnprstvx])?(?:oa|oe|uy)")


@functools.lru_cache(maxsize=65536)
def _modern_syllable(word: str) -> str:
    """Move an old-style tone (hoà, thuỷ) to the first vowel of the nucleus (hòa, thủy)."""
    if not 2 <= len(word) <= 5:  # longest affected syllable: ngh + two vowels
        return word
    bases: list[str] = []
    tone_at, tone = -1, ""
    for i, char in enumerate(word):
        if char in _SPLIT_TONE:
            if tone:
                return word  # two tone marks: not a Vietnamese syllable, leave it
            char, tone = _SPLIT_TONE[char]
            tone_at = i
        bases.append(char)
    if tone_at != len(word) - 1 or not _AFFECTED_RE.fullmatch("".join(bases).lower()):
        return word
    return word[:-2] + _JOIN_TONE[bases[-2], tone] + bases[-1]


def normalize_tones(text: str) -> str:
    """Put tone marks where modern orthography does: hoà→hòa, thuỷ→thủy, khoẻ→khỏe.

    Only syllables whose nucleus is exactly oa, oe or uy with no final consonant and no 'qu'
    onset differ between the styles (quả, quý, hoài, thuở, nguyễn are left alone). The tone
    moves from one vowel to the other, so the result has the same length and case as *text*,
    which must be NFC. Syllables are letter runs; the function is idempotent.
    """
    pieces: list[str] = []
    done = 0
    for hint in _OLD_STYLE_HINT_RE.finditer(text):
        # The letters before the hint complete its letter run. More than three of them
        # (the longest onset is ngh) means the run is not one affected syllable.
        letters = _TRAILING_LETTERS_RE.search(text, max(0, hint.start() - 4), hint.start())
        start = letters.start() if letters else hint.start()
        if hint.start() - start > 3:
            continue
        modern = _modern_syllable(text[start : hint.end()])
        if modern != text[start : hint.end()]:
            pieces += (text[done:start], modern)
            done = hint.end()
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def normalize(text: str) -> str:
    """The canonical form for comparing Vietnamese text: clean_text, then normalize_tones.

    Idempotent, and NFD input gives the same result as NFC input.
    """
    return normalize_tones(clean_text(text)[0])


# --- diacritic folding -------------------------------------------------------------------

# Letters with a stroke or bar, and the eth: NFD does not decompose them, so no combining
# mark separates them from their base letter.
_FOLD_EXTRAS = str.maketrans(
    "ĐđÐðØøŁłĦħŦŧıƀƗɨƵƶǤǥ",
    "DdDdOoLlHhTtibIiZzGg",
)


def _fold_table() -> list[int]:
    """Map every Latin letter in U+00C0–U+024F and U+1E00–U+1EFF to its ASCII base letter.

    One character to one character, so folding keeps offsets valid; letters whose base is
    not ASCII (æ, ß, œ) stay as they are. A list indexed by code point rather than a dict
    makes str.translate twice as fast; it reaches past the Latin ranges to U+206F so that
    common punctuation (“ ” – …) is found too: characters beyond it raise IndexError, which
    str.translate treats as "unchanged", only more slowly.
    """
    table = list(range(0x2070))
    for cp in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        base = unicodedata.normalize("NFD", chr(cp))[0]
        if base.isascii():
            table[cp] = ord(base)
    for cp, folded in _FOLD_EXTRAS.items():
        table[cp] = folded
    return table


#: Code point → code point of its folded form (a list: what ``str.translate`` is fastest
#: with); code points past its end are left as they are.
FOLD_TABLE = _fold_table()
_DROP_MARKS = dict.fromkeys(range(0x0300, 0x0370))


def fold(text: str) -> str:
    """Remove diacritics, keeping case: 'Đảng bộ'→'Dang bo', 'Hélène Müller'→'Helene Muller'.

    On NFC input the result has the same length as *text*, so offsets stay valid. Otherwise
    stray combining marks (U+0300–U+036F) are dropped too, which shortens it. Idempotent;
    folds every Vietnamese letter to ASCII.
    """
    folded = text.translate(FOLD_TABLE)
    # The second check catches NFC input such as "é\u0302", where folding é exposes a mark
    # that would now compose with the bare e; dropping it keeps fold idempotent.
    if not (unicodedata.is_normalized("NFC", text) and unicodedata.is_normalized("NFC", folded)):
        folded = folded.translate(_DROP_MARKS)
    return folded


def has_diacritics(text: str) -> bool:
    """True when *text* carries any accent or đ, i.e. ``fold(text) != text``."""
    return fold(text) != text


_LETTER_RUNS = re.compile(r"[^\W\d_]+")
#: Below this share of words with diacritics, a text is taken as typed without them
#: (foreign names and a stray accented word do not make a text accented, and no
#: Vietnamese text written with its accents comes near: most of its syllables have one).
WRITTEN_WITHOUT_DIACRITICS_BELOW = 0.05


def written_without_diacritics(text: str) -> bool:
    """True when *text* was typed without Vietnamese diacritics ("Tham nhung o Ha Noi"):
    fewer than 5% of its words carry one. A text without any word is not."""
    words = _LETTER_RUNS.findall(text)
    if not words:
        return False
    accented = sum(1 for word in words if has_diacritics(word))
    return accented < WRITTEN_WITHOUT_DIACRITICS_BELOW * len(words)
