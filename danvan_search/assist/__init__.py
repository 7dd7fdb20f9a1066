"""Query assistance: the pure building blocks, with no index code.

* :mod:`.syllables`: whether a string is a Vietnamese syllable, or the fold of one;
* :mod:`.telex`: words typed as Telex or VNI keystrokes without an input method;
* :mod:`.acronyms`: UBND ↔ Ủy ban nhân dân and the other common abbreviations;
* :mod:`.spelling`: did-you-mean candidates, sound-alike misspellings, accent restoration.

Everything here works on plain strings and mappings; the search side decides what to ask
and how to present it.
"""

from __future__ import annotations

from .acronyms import Acronyms, InvalidAcronymFileError
from .spelling import (
    SpellingIndex,
    closest_words,
    damerau_levenshtein,
    restore_accents,
    sound_alike,
)
from .syllables import (
    is_folded_sequence,
    is_folded_syllable,
    is_vietnamese_syllable,
    place_tone,
    syllable_parts,
    valid_syllables,
)
from .telex import (
    decode_keystrokes,
    decode_telex,
    decode_vni,
    decode_word,
    encode_telex,
    encode_vni,
)

__all__ = [
    "Acronyms",
    "InvalidAcronymFileError",
    "SpellingIndex",
    "closest_words",
    "damerau_levenshtein",
    "decode_keystrokes",
    "decode_telex",
    "decode_vni",
    "decode_word",
    "encode_telex",
    "encode_vni",
    "is_folded_sequence",
    "is_folded_syllable",
    "is_vietnamese_syllable",
    "place_tone",
    "restore_accents",
    "sound_alike",
    "syllable_parts",
    "valid_syllables",
]
