"""Which strings are Vietnamese syllables, decided by the rules of the orthography.

A written syllable is *onset + rhyme*, with one of six tones marked on a vowel of the
rhyme. The set of valid syllables is generated once (about 18,000 toned forms) by
combining the onsets with the rhymes below under these rules:

* **Rhymes** are the closed list of Vietnamese rhymes (vần): an optional medial glide
  (spelt ``o`` before a/ă/e, ``u`` before â/ê/y/ơ), a nucleus, and an optional final (m, n,
  ng, nh, p, t, c, ch, or the glides i/y and o/u). Spelling facts baked into the list:
  ``ă``/``â`` and the diphthongs ``iê``/``uô``/``ươ`` never end a syllable (open forms are
  ``ia``, ``ua``, ``ưa``); ``nh``/``ch`` only follow a, ê, i; ``ng``/``c`` never follow ê, i.
* **Onsets** and where they may stand: ``k``, ``gh``, ``ngh`` only before i/y, e, ê (and
  ``iê``); ``c``, ``g``, ``ng`` never there. ``q`` only as ``qu``, which takes the rhymes
  with a medial glide, minus the glide (``quả`` = qu + a, ``quyết`` = qu + yêt), plus
  ``quốc`` and the old spelling ``qui``/``quít``. ``gi`` absorbs a rhyme's leading i
  (``gìn``, ``giếng``) and takes no medial glide. ``c``, ``k``, ``gh``, ``ngh`` take no
  medial glide either (``coa`` is spelt ``qua``). ``iê`` is spelt ``yê`` without an onset
  (``yên``) and after the glide (``uyên``).
* **i/y**: after a consonant the open rhyme may be spelt ``y`` as well as ``i`` (``lý``,
  ``lí``; ``kỹ``, ``kĩ``), because both spellings are current.
* **Tones**: a syllable ending in p, t, c or ch only takes sắc or nặng.
* **Loanwords** that are part of the common vocabulary are accepted: ``p`` as an onset
  (``pin``), ``oong``/``ooc`` (``boong``, ``xoong``, ``soóc``), ``uyp`` (``tuýp``), and the
  glide after labials (``buýt``, ``phuy``, ``voan``).

Tone marks sit where :func:`~danvan_search.normalization.normalize` puts them (``hòa``,
``thủy``), and every check compares the lowercase canonical form, so ``Hoà``, ``HÒA`` and a
decomposed ``hòa`` are all the same valid syllable.
"""

from __future__ import annotations

import functools
import unicodedata

from ..normalization import clean_text, fold, normalize_tones

__all__ = [
    "TONES",
    "is_folded_sequence",
    "is_folded_syllable",
    "is_vietnamese_syllable",
    "place_tone",
    "syllable_parts",
    "valid_syllables",
]

#: Tone names mapped to the combining mark that writes them ("" for ngang, unmarked).
TONES: dict[str, str] = {
    "ngang": "",
    "huyền": "\u0300",
    "sắc": "\u0301",
    "hỏi": "\u0309",
    "ngã": "\u0303",
    "nặng": "\u0323",
}

_VOWELS = frozenset("aăâeêioôơuưy")
_MARKED_VOWELS = frozenset("ăâêôơư")  # a vowel with its own diacritic takes the tone
_STOP_FINALS = ("p", "t", "c", "ch")  # checked syllables: sắc or nặng only

ONSETS = (
    "", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng",
    "ngh", "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x",
)  # fmt: skip

# Rhymes as spelt after an ordinary consonant onset.
_PLAIN_RHYMES = (
    # open and off-glide
    "a", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "ia", "ua", "ưa",
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "iu", "oi", "ôi", "ơi", "ui", "ưi", "ưu",
    "iêu", "uôi", "ươi", "ươu",
    # closed, by nucleus
    "am", "an", "ang", "anh", "ap", "at", "ac", "ach",
    "ăm", "ăn", "ăng", "ăp", "ăt", "ăc",
    "âm", "ân", "âng", "âp", "ât", "âc",
    "em", "en", "eng", "ep", "et", "ec",
    "êm", "ên", "ênh", "êp", "êt", "êch",
    "im", "in", "inh", "ip", "it", "ich",
    "om", "on", "ong", "op", "ot", "oc",
    "ôm", "ôn", "ông", "ôp", "ôt", "ôc",
    "ơm", "ơn", "ơp", "ơt",
    "um", "un", "ung", "up", "ut", "uc",
    "ưm", "ưng", "ưt", "ưc",
    "iêm", "iên", "iêng", "iêp", "iêt", "iêc",
    "uôm", "uôn", "uông", "uôt", "uôc",
    "ươm", "ươn", "ương", "ươp", "ươt", "ươc",
    # loanwords
    "oong", "ooc",
)  # fmt: skip
# Rhymes with the medial glide (spelt o or u).
_GLIDE_RHYMES = (
    "oa", "oai", "oay", "oao", "oan", "oang", "oanh", "oam", "oap", "oat", "oac", "oach",
    "oăm", "oăn", "oăng", "oăt", "oăc",
    "oe", "oeo", "oen", "oet",
    "uân", "uâng", "uât", "uây",
    "uê", "uên", "uênh", "uêt", "uêch",
    "uy", "uya", "uyu", "uyn", "uynh", "uyt", "uych", "uyp", "uyên", "uyêt",
    "uơ",
)  # fmt: skip
# After qu: the glide is the u of qu itself, so qu + "a" is the rhyme "oa".
_QU_RHYMES = (*(r[1:] for r in _GLIDE_RHYMES), "ôc", "i", "it")

_FRONT_ONLY = frozenset(["k", "gh", "ngh"])  # only before i/y, e, ê
_NOT_FRONT = frozenset(["c", "g", "ng"])  # never before i/y, e, ê
_NO_GLIDE = frozenset(["c", "k", "gh", "ngh", "gi"])


def _spellings(onset: str) -> list[str]:
    """The toneless syllables that begin with ``onset``, spelt as the orthography wants."""
    if onset == "qu":
        return ["qu" + r for r in _QU_RHYMES]
    rhymes = list(_PLAIN_RHYMES)
    if onset not in _NO_GLIDE:
        rhymes += _GLIDE_RHYMES
    out = []
    for rhyme in rhymes:
        front = rhyme[0] in "ieê"
        if (onset in _FRONT_ONLY and not front) or (onset in _NOT_FRONT and front):
            continue
        if onset == "gi":
            out.append("g" + rhyme if rhyme[0] == "i" else "gi" + rhyme)  # gi + in = gin
            continue
        if onset == "" and rhyme.startswith("iê"):
            rhyme = "y" + rhyme[1:]  # yên, yêu
        out.append(onset + rhyme)
    if onset not in _NOT_FRONT and onset not in ("gh", "ngh", "gi"):
        out.append(onset + "y")  # lý beside lí, kỹ beside kĩ; the interjection y
    return out


def _split(syllable: str) -> tuple[str, str, str]:
    """(onset, vowels, final) of a toneless lowercase syllable; vowels may be empty."""
    onset_end = 0
    while onset_end < len(syllable) and syllable[onset_end] not in _VOWELS:
        onset_end += 1
    onset = syllable[:onset_end]
    rest = syllable[onset_end:]
    # The u of qu and the i of gi belong to the onset when another vowel follows.
    glide = {"q": "u", "g": "i"}.get(onset)
    if glide and len(rest) > 1 and rest[0] == glide and rest[1] in _VOWELS:
        onset, rest = onset + rest[0], rest[1:]
    vowel_end = 0
    while vowel_end < len(rest) and rest[vowel_end] in _VOWELS:
        vowel_end += 1
    return onset, rest[:vowel_end], rest[vowel_end:]


def place_tone(syllable: str, tone: str) -> str:
    """Write ``tone`` (a key of :data:`TONES`) on the toneless lowercase ``syllable``.

    The mark goes on the vowel that carries its own diacritic (the last one: ``ươ`` takes it
    on ơ), else on the last vowel of a closed syllable (``hoán``), else on the middle of
    three vowels (``khuỷu``, ``ngoái``) or the first of two (``mía``, ``hòa``). The result is
    in canonical form: NFC, and the tone placement of
    :func:`~danvan_search.normalization.normalize_tones`.
    """
    mark = TONES[tone]
    if not mark:
        return syllable
    onset, vowels, final = _split(syllable)
    if not vowels:
        return syllable  # nothing to carry a tone: not a syllable, leave it
    marked = [i for i, v in enumerate(vowels) if v in _MARKED_VOWELS]
    if marked:
        at = marked[-1]
    elif final:
        at = len(vowels) - 1
    else:
        at = 1 if len(vowels) == 3 else 0
    start = len(onset) + at
    toned = unicodedata.normalize("NFC", syllable[start] + mark)
    return normalize_tones(syllable[:start] + toned + syllable[start + 1 :])


@functools.lru_cache(maxsize=1)
def valid_syllables() -> frozenset[str]:
    """Every valid syllable, toned, lowercase, in canonical form (generated once)."""
    out = set()
    for onset in ONSETS:
        for base in _spellings(onset):
            checked = base.endswith(_STOP_FINALS)
            for tone in TONES:
                if not checked or tone in ("sắc", "nặng"):
                    out.add(place_tone(base, tone))
    return frozenset(out)


@functools.lru_cache(maxsize=1)
def _folded_syllables() -> frozenset[str]:
    return frozenset(fold(s) for s in valid_syllables())


def _canonical(text: str) -> str:
    return normalize_tones(clean_text(text)[0].lower())


def is_vietnamese_syllable(text: str) -> bool:
    """True when ``text`` is one valid Vietnamese syllable (any case, either tone style).

    >>> [is_vietnamese_syllable(s) for s in ("nghiêng", "Quốc", "hoà", "ngiêng", "thc")]
    [True, True, True, False, False]
    """
    return _canonical(text) in valid_syllables()


def is_folded_syllable(text: str) -> bool:
    """True when ``text`` (any case, no diacritics) is the fold of a valid syllable.

    A string that still carries diacritics is not a folded form and gives False.

    >>> [is_folded_syllable(s) for s in ("dan", "NGHIENG", "quoc", "vieejt", "xyz", "dân")]
    [True, True, True, False, False, False]
    """
    return text.isascii() and text.lower() in _folded_syllables()


def syllable_parts(text: str) -> tuple[str, str, str, str] | None:
    """(onset, vowels, final, tone name) of a valid syllable, lowercase; None for
    anything else. The vowels are unmarked for tone but keep their own diacritics.

    >>> syllable_parts("Nguyễn"), syllable_parts("quốc"), syllable_parts("xyz")
    (('ng', 'uyê', 'n', 'ngã'), ('qu', 'ô', 'c', 'sắc'), None)
    """
    canonical = _canonical(text)
    if canonical not in valid_syllables():
        return None
    tone = "ngang"
    letters = []
    for char in canonical:
        base, *marks = unicodedata.normalize("NFD", char)
        for mark in marks:
            if mark in _TONE_NAMES:
                tone = _TONE_NAMES[mark]
            else:  # circumflex, breve or horn: part of the letter
                base += mark
        letters.append(unicodedata.normalize("NFC", base))
    onset, vowels, final = _split("".join(letters))
    return onset, vowels, final, tone


_TONE_NAMES = {mark: name for name, mark in TONES.items() if mark}


def is_folded_sequence(text: str) -> bool:
    """True when ``text`` is one or more folded syllables separated by single spaces."""
    parts = text.split(" ")
    return all(is_folded_syllable(p) for p in parts)
