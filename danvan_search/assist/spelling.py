"""Did-you-mean candidates and accent restoration, on plain data (no index code here).

* :class:`SpellingIndex` finds the vocabulary terms closest to a misspelt word, by
  Damerau-Levenshtein distance on folded forms, with a deletion-neighbourhood index
  (SymSpell): every term is stored under each string obtained by deleting up to
  ``max_distance`` characters from its first ``prefix_length`` characters, and a lookup
  generates the same deletions of the word, so only terms sharing one of them are
  compared. :func:`closest_words` does the same by scanning, for one-off lookups.
* :func:`sound_alike` tells the misspellings that come from pronunciation (s/x, tr/ch,
  d/gi/r, l/n, final n/ng and t/c, hỏi/ngã) from other edits.
* :func:`restore_accents` turns "dan van kheo" into "dân vận khéo" given the accented
  forms an index has seen for each folded n-gram.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from ..normalization import fold, has_diacritics, normalize
from .syllables import is_folded_sequence, syllable_parts

__all__ = [
    "NGRAM_BONUS",
    "SpellingIndex",
    "closest_words",
    "damerau_levenshtein",
    "restore_accents",
    "sound_alike",
]

_SPACES = re.compile(r"\s+")


def damerau_levenshtein(a: str, b: str, max_distance: int | None = None) -> int:
    """Edits (insert, delete, substitute, swap two adjacent characters) from ``a`` to ``b``.

    The optimal-string-alignment variant: a swapped pair is not edited again, which is
    what typing mistakes look like ("dna" for "dan" is one edit). With ``max_distance``,
    any distance above it is reported as ``max_distance + 1`` as soon as it is certain,
    and only the diagonal band that can stay within it is computed, which makes
    rejecting far-off candidates cheap.
    """
    # A common prefix and suffix cost nothing and are most of a near miss.
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    a, b = a[start:end_a], b[start:end_b]
    limit = max(len(a), len(b)) if max_distance is None else max_distance
    big = limit + 1  # every value is capped here: "more than the limit"
    if abs(len(a) - len(b)) > limit:
        return big
    if not a or not b:
        return min(max(len(a), len(b)), big)
    # Rows i-2, i-1 and i of the usual table, capped at big; cells more than ``limit``
    # off the diagonal are at least that far, so they stay at big.
    before: list[int] = []
    previous = [min(j, big) for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        char_a = a[i - 1]
        current = [big] * (len(b) + 1)
        current[0] = row_min = min(i, big)
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            char_b = b[j - 1]
            if char_a == char_b:
                value = previous[j - 1]  # never worse than an edit here
            else:
                value = previous[j - 1]
                if previous[j] < value:
                    value = previous[j]
                if current[j - 1] < value:
                    value = current[j - 1]
                value += 1
                if (
                    j > 1
                    and i > 1
                    and char_a == b[j - 2]
                    and a[i - 2] == char_b
                    and before[j - 2] + 1 < value
                ):
                    value = before[j - 2] + 1  # the two characters swapped
                if value > big:
                    value = big
            current[j] = value
            if value < row_min:
                row_min = value
        if row_min > limit:
            return big
        before, previous = previous, current
    return previous[-1]


def _key(term: str) -> str:
    """The folded form terms are compared on: no accents, lowercase, single spaces."""
    return _SPACES.sub(" ", fold(normalize(term)).lower().strip())


def _deletions(text: str, depth: int) -> set[str]:
    """``text`` and every string made by deleting up to ``depth`` of its characters."""
    out = {text}
    if depth >= 1:
        for i in range(len(text)):
            once = text[:i] + text[i + 1 :]
            out.add(once)
            if depth >= 2:
                # Only later positions: deleting j then i is the same as i then j.
                out.update(once[:j] + once[j + 1 :] for j in range(i, len(once)))
    if depth > 2:
        for _ in range(depth - 2):
            out |= {s[:i] + s[i + 1 :] for s in out for i in range(len(s))}
    return out


def _ranked(
    word: str, candidates: Iterable[tuple[str, str, int]], max_distance: int, limit: int
) -> list[str]:
    """Terms within ``max_distance`` of ``word``, by distance, then frequency, then term.

    ``candidates`` are (term, folded key, frequency). A term with no recorded frequency
    (zero) only counts when it is made of valid folded syllables.
    """
    scored = []
    for term, key, frequency in candidates:
        if abs(len(key) - len(word)) > max_distance:
            continue
        distance = damerau_levenshtein(word, key, max_distance)
        if distance <= max_distance and (frequency > 0 or is_folded_sequence(key)):
            scored.append((distance, -frequency, term))
    scored.sort()
    return [term for _, _, term in scored[:limit]]


class _Neighbourhoods:
    """Strings indexed under their deletions, each string standing for the terms it came from.

    Terms sharing a prefix (or suffix) share its deletions, so they are generated once per
    distinct string, and the table maps a deletion to string ids rather than term ids.
    """

    __slots__ = ("_deletes", "_terms_of")

    def __init__(self, strings: Iterable[tuple[str, int]], depth: int) -> None:
        groups: dict[str, list[int]] = {}
        for text, term in strings:
            groups.setdefault(text, []).append(term)
        self._terms_of = list(groups.values())
        # Most deletions come from one string: a bare id, and a list only from the second
        # one on, which saves a third of the memory.
        deletes: dict[str, int | list[int]] = {}
        for group, text in enumerate(groups):
            for deletion in _deletions(text, depth):
                ids = deletes.get(deletion)
                if ids is None:
                    deletes[deletion] = group
                elif isinstance(ids, list):
                    ids.append(group)
                else:
                    deletes[deletion] = [ids, group]
        self._deletes = deletes

    def __len__(self) -> int:
        return len(self._deletes)

    def terms_near(self, text: str, depth: int) -> set[int]:
        """Ids of the terms whose string shares a deletion (up to ``depth``) with ``text``."""
        groups: set[int] = set()
        for deletion in _deletions(text, depth):
            ids = self._deletes.get(deletion)
            if ids is None:
                continue
            if isinstance(ids, int):
                groups.add(ids)
            else:
                groups.update(ids)
        return set().union(*(self._terms_of[group] for group in groups))


class SpellingIndex:
    """Closest-term lookup over a vocabulary of folded terms and document frequencies.

    If two strings are within ``d`` edits, deleting at most ``d`` characters from each of
    their first ``prefix_length`` characters gives a common string, and likewise for their
    last ``prefix_length`` characters. Terms up to ``prefix_length`` long are indexed
    whole; longer ones by both ends, and a lookup only compares the word with terms that
    pass both tests: on 100,000 terms of one to three syllables, a median of 44 instead of
    470 with the start alone.

    With the defaults, 100,000 such terms take about 4 s of CPU and 170 MB to index, and
    a lookup under a millisecond at the median. A shorter ``prefix_length`` builds faster
    and smaller but compares more terms per lookup (6: half the build, twice the lookup).

    Terms are compared on their folded, lowercased form; what is returned is the
    vocabulary's own spelling of each term.
    """

    __slots__ = (
        "_frequencies", "_keys", "_prefixes", "_short", "_suffixes", "_terms", "max_distance",
        "prefix_length",
    )  # fmt: skip

    def __init__(
        self, vocabulary: Mapping[str, int], max_distance: int = 2, prefix_length: int = 7
    ) -> None:
        if max_distance < 0 or prefix_length <= max_distance:
            raise ValueError("need 0 <= max_distance < prefix_length")
        self.max_distance = max_distance
        self.prefix_length = prefix_length
        self._terms = list(vocabulary)
        self._frequencies = [vocabulary[t] for t in self._terms]
        self._keys = [_key(t) for t in self._terms]
        p = prefix_length
        short = [(k, i) for i, k in enumerate(self._keys) if len(k) <= p]
        long = [(k, i) for i, k in enumerate(self._keys) if len(k) > p]
        self._short = _Neighbourhoods(short, max_distance)
        self._prefixes = _Neighbourhoods(((k[:p], i) for k, i in long), max_distance)
        self._suffixes = _Neighbourhoods(((k[-p:], i) for k, i in long), max_distance)

    def __len__(self) -> int:
        return len(self._terms)

    def closest(self, word: str, limit: int = 5, max_distance: int | None = None) -> list[str]:
        """Up to ``limit`` terms nearest ``word``, as :func:`closest_words` ranks them.

        ``max_distance`` may lower, not raise, the distance the index was built for.
        """
        distance = self.max_distance if max_distance is None else max_distance
        if distance > self.max_distance:
            raise ValueError(f"this index was built for distances up to {self.max_distance}")
        key = _key(word)
        p = self.prefix_length
        ids: set[int] = set()
        if len(key) - distance <= p:
            ids = self._short.terms_near(key, distance)
        if len(key) + distance > p:
            near_start = self._prefixes.terms_near(key[:p], distance)
            if near_start:
                ids |= near_start & self._suffixes.terms_near(key[-p:], distance)
        found = ((self._terms[i], self._keys[i], self._frequencies[i]) for i in ids)
        return _ranked(key, found, distance, limit)


def closest_words(
    word: str, vocabulary: Mapping[str, int], max_distance: int = 2, limit: int = 5
) -> list[str]:
    """The vocabulary terms nearest ``word``: did-you-mean candidates.

    ``vocabulary`` maps folded terms ("dan van") to document frequencies. Candidates are
    within ``max_distance`` Damerau-Levenshtein edits of ``word`` on folded forms, ranked by
    distance, then by frequency (higher first), then alphabetically; the word itself comes
    first when the vocabulary has it. Terms with frequency zero count only when they are
    valid folded syllables. This scans the whole vocabulary (about 0.7 s for 100,000
    terms); build a :class:`SpellingIndex` for repeated lookups.

    >>> closest_words("dna van", {"dan van": 120, "dan vien": 30, "xyz": 0})
    ['dan van']
    """
    key = _key(word)
    found = ((t, _key(t), f) for t, f in vocabulary.items())
    return _ranked(key, found, max_distance, limit)


# --- misspellings that come from pronunciation ---------------------------------------------

# Spellings that one dialect or another pronounces alike, so that writers mix them up:
# s/x, tr/ch, d/gi/r (and v, in the South), l/n in the onset; n/ng and t/c in the final
# (the South); the hỏi and ngã tones (most of the country does not tell them apart).
_SAME_ONSET = {"x": "s", "tr": "ch", "gi": "d", "r": "d", "v": "d", "n": "l"}
_SAME_FINAL = {"ng": "n", "c": "t"}
_SAME_TONE = {"ngã": "hỏi"}


@functools.lru_cache(maxsize=4096)
def _sound(syllable: str) -> tuple[str, str, str, str] | None:
    parts = syllable_parts(syllable)
    if parts is None:
        return None
    onset, vowels, final, tone = parts
    if onset == "g" and vowels.startswith("i"):  # gì: the gi onset, its i shared
        onset = "gi"
    return (
        _SAME_ONSET.get(onset, onset), vowels, _SAME_FINAL.get(final, final),
        _SAME_TONE.get(tone, tone),
    )


def sound_alike(a: str, b: str) -> bool:
    """True when the syllables ``a`` and ``b`` differ only by spellings that some
    Vietnamese speakers pronounce alike: the likeliest misspellings of each other.

    >>> [sound_alike("săng", w) for w in ("xăng", "tăng", "săng")]
    [True, False, False]
    >>> sound_alike("chuyện", "truyện"), sound_alike("dẫn", "dẩn"), sound_alike("an", "ang")
    (True, True, True)
    """
    if normalize(a).lower() == normalize(b).lower():
        return False
    sound = _sound(a)
    return sound is not None and sound == _sound(b)


# --- accent restoration ------------------------------------------------------------------

#: Score added per syllable beyond the first of an n-gram: a form seen for the longer
#: n-gram is the index's evidence about this very context, and outweighs the forms its
#: syllables take on their own ("tỉnh ủy" over "tình" + "ủy").
NGRAM_BONUS = 1.0
# A syllable that nothing covers is kept as typed at this cost, lower than any known form.
_UNKNOWN_SCORE = -50.0
# Shares count one unseen form besides those seen, so that an n-gram seen twice with one
# form is less certain than one seen two hundred times with one form.
_PSEUDO_COUNT = 1


def restore_accents(
    folded_syllables: Sequence[str],
    candidates: Callable[[str], Mapping[str, int]],
    max_ngram: int = 3,
    *,
    ngram_bonus: float = NGRAM_BONUS,
) -> list[str]:
    """The most likely accented spelling of ``folded_syllables``, one entry per syllable.

    ``candidates(key)`` gives, for a folded n-gram (lowercase syllables joined by one
    space), the accented forms an index has seen and how often: ``"dan van"`` →
    ``{"dân vận": 120, "dàn vân": 1}``. The syllables are split into n-grams of at most
    ``max_ngram`` syllables by dynamic programming, maximising the sum over n-grams of
    ``log(share of the chosen form among the n-gram's forms) + ngram_bonus * (n - 1)``,
    where the share is ``frequency / (sum of the frequencies + 1)``.

    Shares rather than raw counts: a syllable is always more frequent on its own than in
    any n-gram, so summing raw log counts would always favour splitting, whatever the
    context says. Syllables that no n-gram covers are kept as typed; a syllable typed with
    accents only accepts forms that agree with them, and shares are counted among those
    forms; capitalised input stays capitalised.

    >>> table = {"tinh": {"tình": 50, "tỉnh": 40}, "uy": {"ủy": 30, "uy": 5},
    ...          "tinh uy": {"tỉnh ủy": 20}}
    >>> restore_accents(["Tinh", "uy"], lambda key: table.get(key, {}))
    ['Tỉnh', 'ủy']
    """
    typed = list(folded_syllables)
    keys = [_key(s) for s in typed]
    n = len(typed)
    best = [-math.inf] * (n + 1)
    best[0] = 0.0
    back: list[tuple[int, list[str]]] = [(0, [])] * (n + 1)
    for i in range(n):
        # Keeping the syllable as typed is always possible, at a cost.
        if best[i] + _UNKNOWN_SCORE > best[i + 1]:
            best[i + 1] = best[i] + _UNKNOWN_SCORE
            back[i + 1] = (i, [typed[i]])
        for j in range(i + 1, min(n, i + max_ngram) + 1):
            choice = _best_form(candidates(" ".join(keys[i:j])), typed[i:j])
            if choice is None:
                continue
            form, share = choice
            score = best[i] + math.log(share) + ngram_bonus * (j - i - 1)
            if score > best[j]:
                best[j] = score
                back[j] = (i, [_recase(s, t) for s, t in zip(form, typed[i:j], strict=True)])
    out: list[str] = []
    j = n
    while j > 0:
        i, syllables = back[j]
        out[:0] = syllables
        j = i
    return out


def _best_form(forms: Mapping[str, int], typed: Sequence[str]) -> tuple[list[str], float] | None:
    """The most frequent form agreeing with ``typed``, and its share of those forms.

    The share is among the forms that agree with what was typed: accents the user gave
    are known, so only the choice among the rest is uncertain.
    """
    agreeing: dict[str, int] = {}
    for form, frequency in forms.items():
        syllables = form.split()
        if (
            frequency > 0
            and len(syllables) == len(typed)
            and all(_agrees(s, t) for s, t in zip(syllables, typed, strict=True))
        ):
            agreeing[form] = frequency
    if not agreeing:
        return None
    # Ties go to the alphabetically first form, so the mapping's order does not matter.
    best = min(agreeing, key=lambda form: (-agreeing[form], form))
    return best.split(), agreeing[best] / (sum(agreeing.values()) + _PSEUDO_COUNT)


def _agrees(form: str, typed: str) -> bool:
    """A form fits a typed syllable that has accents only if it has the same ones."""
    return not has_diacritics(typed) or normalize(form).lower() == normalize(typed).lower()


def _recase(syllable: str, typed: str) -> str:
    if len(typed) > 1 and typed.isupper():
        return syllable.upper()
    if typed[:1].isupper():
        return syllable[:1].upper() + syllable[1:]
    return syllable
