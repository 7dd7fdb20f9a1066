"""Decode words typed as Telex or VNI keystrokes without an input method switched on.

Someone who types "vieejt nam" or "vie6t5 nam" meant "việt nam": the decoders replay the
keys the way an input method would and keep the result only when it is one valid
Vietnamese syllable (:func:`~danvan_search.assist.syllables.is_vietnamese_syllable`).

Telex: ``aa`` â, ``aw`` ă, ``ee`` ê, ``oo`` ô, ``ow`` ơ, ``uw`` ư, ``uow`` ươ, ``w`` on its
own ư, ``dd`` đ (at the start of the word); tone keys ``s`` sắc, ``f`` huyền, ``r`` hỏi,
``x`` ngã, ``j`` nặng and ``z`` (no tone) anywhere after the first vowel. ``w`` may come
after the whole vowel group ("nguoiwf" → "người"); a doubled vowel must follow the vowel
it doubles, tone keys aside ("vieejt", "viejet").

VNI: ``1``–``5`` the tones sắc, huyền, hỏi, ngã, nặng, ``0`` no tone, ``6`` circumflex
(â ê ô), ``7`` horn (ơ ư, ``uo7`` ươ), ``8`` breve (ă), ``9`` đ; each digit anywhere after
the letter it changes ("vie6t5", "vie65t", "d9a3ng", "dang39").

Deliberately stricter than an input method, because a query word decoded by mistake is
worse than one left alone: a second tone key makes the word undecodable (an input method
would swap tones or undo, "cars" is not "cá"); ``dd`` only at the start ("add" stays).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from ..normalization import normalize
from .syllables import TONES, is_vietnamese_syllable, place_tone, valid_syllables

__all__ = [
    "decode_keystrokes", "decode_telex", "decode_vni", "decode_word", "encode_telex", "encode_vni",
]

# A decoding state: letters so far (lowercase, no tone), tone name or None, marks applied.
_State = tuple[str, str | None, bool]
_Step = Callable[[_State, str], list[_State]]

_VOWELS = frozenset("aăâeêioôơuưy")
_TELEX_TONES = {"s": "sắc", "f": "huyền", "r": "hỏi", "x": "ngã", "j": "nặng", "z": "ngang"}
_VNI_TONES = {"1": "sắc", "2": "huyền", "3": "hỏi", "4": "ngã", "5": "nặng", "0": "ngang"}
_CIRCUMFLEX = {"a": "â", "e": "ê", "o": "ô"}
_HOOK = {"a": "ă", "o": "ơ", "u": "ư"}  # Telex w: breve on a, horn on o and u
_MAX_STATES = 16  # only hooks branch, at most three ways: a bound for input like "wwwwww"


def _last_vowel_run(letters: str) -> tuple[int, int]:
    """(start, end) of the last run of vowels in ``letters``; (n, n) when there is none."""
    end = len(letters)
    while end > 0 and letters[end - 1] not in _VOWELS:
        end -= 1
    start = end
    while start > 0 and letters[start - 1] in _VOWELS:
        start -= 1
    return (start, end) if end else (len(letters), len(letters))


def _hook_variants(letters: str, targets: str) -> list[str]:
    """Ways to put a horn/breve on the last vowel group, most likely first.

    ``uo`` (or ``ưo``/``uơ``) becomes ``ươ`` or, failing that, ``uơ`` (thuở, quơ); otherwise
    each vowel of ``targets`` found in the group, in that order, gets its hook.
    """
    start, end = _last_vowel_run(letters)
    run = letters[start:end]
    out = []
    for pair in ("uo", "ưo", "uơ"):
        at = run.find(pair)
        if at >= 0 and "o" in targets:
            out.append(letters[: start + at] + "ươ" + letters[start + at + 2 :])
            if pair == "uo":
                out.append(letters[: start + at] + "uơ" + letters[start + at + 2 :])
            return out
    for vowel in targets:
        at = run.rfind(vowel)
        if at >= 0:
            out.append(letters[: start + at] + _HOOK[vowel] + letters[start + at + 1 :])
    return out


def _set_tone(state: _State, tone: str) -> list[_State]:
    letters, current, _ = state
    if current is not None or not any(c in _VOWELS for c in letters):
        return []  # a second tone key, or a tone before any vowel: not a typed syllable
    return [(letters, tone, True)]


def _telex_step(state: _State, key: str) -> list[_State]:
    letters, tone, marked = state
    if key in _TELEX_TONES and any(c in _VOWELS for c in letters):
        return _set_tone(state, _TELEX_TONES[key])
    if key == "d" and letters == "d":
        return [("đ", tone, True)]
    if key in _CIRCUMFLEX and letters.endswith(key):
        return [(letters[:-1] + _CIRCUMFLEX[key], tone, True)]
    if key == "w":
        if _last_vowel_run(letters)[0] == len(letters):  # no vowel yet: w is ư
            return [(letters + "ư", tone, True)]
        return [(v, tone, True) for v in _hook_variants(letters, "aou")]
    return [(letters + key, tone, marked)]


def _vni_step(state: _State, key: str) -> list[_State]:
    letters, tone, marked = state
    if key in _VNI_TONES:
        return _set_tone(state, _VNI_TONES[key])
    start, end = _last_vowel_run(letters)
    if key == "6":
        return [
            (letters[:i] + _CIRCUMFLEX[letters[i]] + letters[i + 1 :], tone, True)
            for i in range(end - 1, start - 1, -1)
            if letters[i] in _CIRCUMFLEX
        ]
    if key == "7":
        return [(v, tone, True) for v in _hook_variants(letters, "ou")]
    if key == "8":
        return [(v, tone, True) for v in _hook_variants(letters, "a")]
    if key == "9":
        return [("đ" + letters[1:], tone, True)] if letters.startswith("d") else []
    return [(letters + key, tone, marked)]


def _replay(word: str, step: _Step) -> str | None:
    """Replay the keys of ``word``; the first valid syllable reached, in word's case."""
    states: list[_State] = [("", None, False)]
    for key in word.lower():
        states = [new for state in states for new in step(state, key)][:_MAX_STATES]
        if not states:
            return None
    valid = valid_syllables()
    for letters, tone, marked in states:
        if not marked:
            continue  # nothing but letters: a plain word, not keystrokes
        syllable = normalize(place_tone(letters, tone or "ngang"))
        if syllable in valid:
            return _recase(syllable, word)
    return None


def _recase(syllable: str, typed: str) -> str:
    if len(typed) > 1 and typed.isupper():
        return syllable.upper()
    if typed[0].isupper():
        return syllable[0].upper() + syllable[1:]
    return syllable


def decode_telex(word: str) -> str | None:
    """The syllable that the Telex keystrokes ``word`` spell, or None.

    None when ``word`` is not all ASCII letters, carries no Telex mark, or does not spell
    a valid syllable. The first letter's case is kept; an all-capitals word stays in
    capitals.

    >>> [decode_telex(w) for w in ("vieejt", "Ddangr", "nguoiwf", "w", "covid", "xa")]
    ['việt', 'Đảng', 'người', 'ư', None, None]
    """
    if not (word.isascii() and word.isalpha()):
        return None
    return _replay(word, _telex_step)


def decode_vni(word: str) -> str | None:
    """The syllable that the VNI keystrokes ``word`` spell, or None.

    None when ``word`` is not ASCII letters and digits with at least one of each, or does
    not spell a valid syllable. Case is kept as by :func:`decode_telex`.

    >>> [decode_vni(w) for w in ("vie6t5", "d9a3ng", "vie65t", "Nguye64n", "covid19")]
    ['việt', 'đảng', 'việt', 'Nguyễn', None]
    """
    if not (word.isascii() and word.isalnum()) or word.isalpha() or word.isdigit():
        return None
    return _replay(word, _vni_step)


# --- whole queries -----------------------------------------------------------------------

_CORE = re.compile(r"([^\w]*)([^\W_]+)([^\w]*)")
_WHITESPACE = re.compile(r"(\s+)")

# English words (and a few loans) that happen to spell a valid syllable in Telex: "test"
# would become "tét", "how" "hơ". Queries to a Vietnamese news index contain some English,
# so these are never decoded. Each entry is checked by the tests to decode to something.
_ENGLISH = frozenset([
    "as", "is", "us", "its", "of", "if", "or", "ex", "has", "his", "this", "thus", "was",
    "war", "wax", "her", "per", "car", "bar", "nor", "sir",
    "test", "best", "most", "post", "cost", "host", "list", "last", "past", "rest", "lost",
    "must", "mix", "max", "tax", "box", "sex", "six", "hex", "bus", "gas", "visa", "usa",
    "taxi", "sofa", "how", "now", "low", "row", "bow", "cow", "tow", "mow", "see", "bee",
    "seen", "teen", "been", "beer", "tree", "cheer", "queen", "room", "moon", "soon", "noon",
    "boom", "door", "roof", "doom",
])  # fmt: skip


def decode_keystrokes(text: str) -> str | None:
    """``text`` with every word typed as Telex or VNI keystrokes decoded, or None.

    A word is decoded only when it is not already a Vietnamese syllable ("xa", "ban" stay)
    and does not look like something else: words in capitals ("UBND", "OR"), words
    with inner punctuation ("25-NQ/TW", "covid-19"), a short list of English words that
    Telex would turn into syllables ("test", "how"), and one letter with one digit ("a1",
    a class or a grade more often than "á"). Punctuation around a word ("-vieejt",
    ``"vieejt``) is kept, and so is the whitespace between words. None when no word changed.

    >>> decode_keystrokes("ddangr booj vie6t5 nam")
    'đảng bộ việt nam'
    >>> decode_keystrokes("covid 25-NQ/TW ok") is None
    True
    """
    pieces = _WHITESPACE.split(text)
    changed = False
    for i, piece in enumerate(pieces):
        match = _CORE.fullmatch(piece)
        if match is None:
            continue
        decoded = decode_word(match[2])
        if decoded is not None:
            pieces[i] = match[1] + decoded + match[3]
            changed = True
    return "".join(pieces) if changed else None


def decode_word(word: str) -> str | None:
    """The syllable one query word spells as Telex or VNI keystrokes, or None.

    By the rules of :func:`decode_keystrokes`: None for a word that is already a
    Vietnamese syllable, a word in capitals, one of the English words Telex would turn
    into syllables, one letter with one digit, or anything that does not decode.

    >>> [decode_word(w) for w in ("vieejt", "vie6t5", "xa", "UBND", "test", "a1", "covid")]
    ['việt', 'việt', None, None, None, None, None]
    """
    letters = "".join(c for c in word if c.isalpha())
    if (len(letters) > 1 and letters.isupper()) or is_vietnamese_syllable(word):
        return None
    if word.isalpha():
        return None if word.lower() in _ENGLISH else decode_telex(word)
    if len(word) == 2 and len(letters) == 1:
        return None
    return decode_vni(word)


# --- encoding ----------------------------------------------------------------------------

_TONE_OF_MARK = {mark: name for name, mark in TONES.items() if mark}
_TELEX_KEYS = {"â": "aa", "ă": "aw", "ê": "ee", "ô": "oo", "ơ": "ow", "ư": "uw", "đ": "dd"}
_VNI_KEYS = {"â": "a6", "ă": "a8", "ê": "e6", "ô": "o6", "ơ": "o7", "ư": "u7", "đ": "d9"}
_TELEX_TONE_KEYS = {name: key for key, name in _TELEX_TONES.items() if name != "ngang"}
_VNI_TONE_KEYS = {name: key for key, name in _VNI_TONES.items() if name != "ngang"}


def _encode(syllable: str, keys: dict[str, str], tone_keys: dict[str, str]) -> str:
    text = normalize(syllable)
    out = []
    tone = ""
    for char in text.lower():
        base, *marks = unicodedata.normalize("NFD", char)
        for mark in marks:
            if mark in _TONE_OF_MARK:
                tone = tone_keys[_TONE_OF_MARK[mark]]
            else:  # circumflex, breve or horn: put it back on the letter
                base = unicodedata.normalize("NFC", base + mark)
        out.append(keys.get(base, base))
    typed = "".join(out) + tone
    if len(text) > 1 and text.isupper():
        return typed.upper()
    if text[:1].isupper():
        return typed[0].upper() + typed[1:]
    return typed


def encode_telex(syllable: str) -> str:
    """The Telex keys for ``syllable``, tone key last: "việt" → "vieetj", "Đảng" → "Ddangr"."""
    return _encode(syllable, _TELEX_KEYS, _TELEX_TONE_KEYS)


def encode_vni(syllable: str) -> str:
    """The VNI keys for ``syllable``, tone digit last: "việt" → "vie6t5"."""
    return _encode(syllable, _VNI_KEYS, _VNI_TONE_KEYS)
