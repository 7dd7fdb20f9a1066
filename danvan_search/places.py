"""Provinces and centrally-run cities of Vietnam mentioned in a text.

The units and their spellings live in ``data/provinces.tsv`` (63 pre-2025 units, each with
the unit it has belonged to since the 2025 merger). Matching works on words, not substrings,
so "Long An" is not found in "Long Anh", and compares words after
:func:`~danvan_search.normalization.normalize`, so "Thanh Hoá" is "Thanh Hóa". Case is part
of the name: "hòa bình" (peace) is not "Hòa Bình" (the province), and headlines in capitals
("THANH HÓA") are not matched. A name right after a family or middle name or a form of
address ("Trương Hòa Bình", "chị Hà Giang") is part of a person's name and is skipped.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from .normalization import normalize

__all__ = ["Province", "find_places", "provinces"]

_WORD = re.compile(r"[^\W_]+")
# What may separate the syllables of one name: "Bà Rịa - Vũng Tàu", "TP.HCM", "TP. Huế".
# A full stop only after an abbreviation, so "... tên Hà. Nội dung ..." is not Hà Nội.
_NAME_GAP = re.compile(r"[ \t]*[-–.]?[ \t]*")

# A capitalised word right before a name that says the name is part of a person's name:
# "Trương Hòa Bình", "Nguyễn Thị Hà Giang". Common family names and middle names only;
# words that are also unit names' first syllables (Hà, Cao, Lâm) are kept because a unit
# name never directly follows another one without punctuation.
_PERSON_NAME_WORDS = frozenset([
    # family names
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "Trương", "Đinh", "Đoàn", "Lương", "Trịnh", "Lâm", "Đào", "Quách",
    "Tô", "Tạ", "Triệu", "Chu", "Thân", "Kiều", "Mạc", "Lưu", "Hà", "Mai", "Cao", "Vương", "Tăng",
    "Lã", "Khúc", "Tống", "Diệp", "Phùng", "Doãn", "La", "Từ",
    # middle names
    "Văn", "Thị", "Hữu", "Đức", "Công", "Đình", "Quốc", "Ngọc", "Thanh", "Minh", "Xuân", "Kim",
    "Thu", "Hồng", "Thế", "Quang", "Bá", "Trọng", "Tiến", "Mạnh",
])  # fmt: skip
# Forms of address: "chị Hà Giang", "ông Thái Bình", "đồng chí Hà Nam" are people.
_ADDRESS_WORDS = frozenset(["ông", "bà", "anh", "chị", "em", "cô", "chú", "bác", "cụ"])
_ADDRESS_PAIRS = frozenset({("đồng", "chí")})


@dataclass(frozen=True)
class Province:
    """One row of ``provinces.tsv``."""

    name: str
    kind: str  # "province", "city" or "not-a-place"
    since_2025: str | None  # the unit it belongs to since the 2025 merger
    aliases: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def provinces() -> tuple[Province, ...]:
    """Every row of the data file, places and not-a-place rows alike, in file order."""
    text = resources.files(__package__).joinpath("data", "provinces.tsv").read_text("utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    header, *body = rows
    if header != ["name", "kind", "since2025", "aliases"]:
        raise ValueError(f"unexpected header in provinces.tsv: {header}")
    return tuple(
        Province(
            name=name,
            kind=kind,
            since_2025=None if since == "-" else since,
            aliases=tuple(a.strip() for a in aliases.split(";") if a.strip()),
        )
        for name, kind, since, aliases in body
    )


def _key(words: list[str]) -> tuple[str, ...]:
    return tuple(normalize(w) for w in words)


@functools.lru_cache(maxsize=1)
def _names_by_first_word() -> dict[str, list[tuple[tuple[str, ...], Province]]]:
    """Every spelling as a word tuple, grouped by first word, longest first."""
    index: dict[str, list[tuple[tuple[str, ...], Province]]] = {}
    for row in provinces():
        for spelling in (row.name, *row.aliases):
            words = _key(_WORD.findall(spelling))
            index.setdefault(words[0], []).append((words, row))
    for candidates in index.values():
        candidates.sort(key=lambda item: -len(item[0]))
    return index


def _joined(text: str, left: re.Match[str], right: re.Match[str]) -> bool:
    """True when only a name's separator stands between two words."""
    gap = text[left.end() : right.start()]
    if "." in gap and not (left.group().isupper() or left.group() == "Tp"):
        return False
    return _NAME_GAP.fullmatch(gap) is not None


def _is_person_name(text: str, words: list[re.Match[str]], i: int) -> bool:
    """True when the word before ``words[i]`` (same line, no punctuation between) marks
    the name at ``i`` as part of a person's name."""
    if i == 0 or text[words[i - 1].end() : words[i].start()] not in (" ", "\u00a0"):
        return False
    before = words[i - 1].group()
    if before in _PERSON_NAME_WORDS or before.lower() in _ADDRESS_WORDS:
        return True
    pair = (words[i - 2].group().lower(), before.lower()) if i >= 2 else None
    return pair in _ADDRESS_PAIRS


def find_places(text: str) -> tuple[str, ...]:
    """Canonical names of the units *text* mentions, in order of first mention, once each.

    >>> find_places("Thành ủy TP Thanh Hoá và tỉnh Kiên Giang; Thành ủy Huế")
    ('Thanh Hóa', 'Kiên Giang', 'Thừa Thiên Huế')
    """
    text = normalize(text)
    words = list(_WORD.finditer(text))
    keys = [w.group() for w in words]
    index = _names_by_first_word()
    found: dict[str, None] = {}  # an ordered set
    i = 0
    while i < len(words):
        match = None
        for name_words, row in index.get(keys[i], ()):
            end = i + len(name_words)
            if tuple(keys[i:end]) == name_words and all(
                _joined(text, words[k], words[k + 1]) for k in range(i, end - 1)
            ):
                match = (end, row)
                break
        if match is None or _is_person_name(text, words, i):
            i += 1
            continue
        end, row = match
        if row.kind != "not-a-place":
            found.setdefault(row.name, None)
        i = end
    return tuple(found)
