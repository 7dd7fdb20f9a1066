"""Removing site chrome from the text of a scraped news article.

Articles copied from provincial and national news sites carry their page around them:
menus, "Lượt xem: 106", visit counters, comment forms, share buttons, image file names,
captions and headlines printed twice. :func:`clean_body` keeps the article and drops the
rest, line by line, using general rules and the pattern list in ``data/chrome.txt``;
:func:`clean_lines` says what it dropped and why.

The rules, in the order they are tried on each line:

1. a line that repeats the title is dropped ("title");
2. a line matching a chrome pattern is dropped, the reason being the pattern's section;
   patterns match whole lines only, and a line that reads as a real sentence
   (:func:`is_prose`) is immune unless the pattern is marked as boilerplate;
3. a line holding only a date and time ("Cập nhật lúc : 10:13 05/03/2021") is dropped
   ("date");
4. a short line above the title that is not a sentence (menu item, section label) is
   dropped ("header");
5. a later exact repeat of a line of two words or more (captions, headlines) is dropped
   ("repeat"); the first occurrence always stays;
6. from a line of an ``end`` section ("Tin bài liên quan", "0 bình luận", "Tag:") on,
   everything is dropped ("end of article") provided no real sentence follows it.

A rule that drops a real sentence is a bug: rules 2–4 never touch prose (save the few
boilerplate sentences spelled out in chrome.txt), and rules 1 and 5 only drop text that is
kept elsewhere.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from importlib import resources

from .normalization import clean_text, normalize

__all__ = [
    "SOURCE_PREFIX",
    "ChromeRule",
    "chrome_rules",
    "clean_body",
    "clean_lines",
    "is_prose",
    "parse_date_line",
]

# Reasons reported by clean_lines besides the section names of chrome.txt.
TITLE, DATE, HEADER, REPEAT, END = "title", "date", "header", "repeat", "end of article"

#: A publisher tag opening the lead paragraph: "(Baothanhhoa.vn) - ", "(TTXVN) – ".
SOURCE_PREFIX = re.compile(r"^\((?P<source>[^()\d][^()]{1,60})\)\s*[-–—]\s*")

_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")


@dataclass(frozen=True)
class ChromeRule:
    """One pattern of ``chrome.txt``."""

    section: str
    pattern: re.Pattern[str]
    ends_article: bool  # its section is marked "end"
    beats_prose: bool  # marked "!": applies even to a line that reads as a sentence


@functools.lru_cache(maxsize=1)
def chrome_rules() -> tuple[ChromeRule, ...]:
    """The patterns of ``data/chrome.txt`` in file order."""
    text = resources.files(__package__).joinpath("data", "chrome.txt").read_text("utf-8")
    rules: list[ChromeRule] = []
    section, ends = "", False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section, _, flag = line[1:-1].partition(" ")
            ends = flag == "end"
            continue
        if not section:
            raise ValueError(f"chrome.txt line {number}: pattern before any [section]")
        beats_prose = line.startswith("! ")
        source = line[2:] if beats_prose else line
        try:
            pattern = re.compile(source, re.IGNORECASE)
        except re.error as error:
            raise ValueError(f"chrome.txt line {number}: {error}") from error
        rules.append(ChromeRule(section, pattern, ends, beats_prose))
    return tuple(rules)


def is_prose(line: str) -> bool:
    """True when *line* reads as real article text: twelve words or more ending in sentence
    punctuation, or forty words or more. No chrome is that long and that shaped."""
    words = len(line.split())
    return words >= 40 or (words >= 12 and _SENTENCE_END.search(line.rstrip()) is not None)


# --- date lines --------------------------------------------------------------------------

_FULL_DATE = re.compile(
    r"(?<![\d/.-])(?:(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
    r"|(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
    r"|ngày (?P<wd>\d{1,2}) tháng (?P<wm>\d{1,2}) năm (?P<wy>\d{4}))(?![\d/.-]\d)",
    re.IGNORECASE,
)
# What else a date line may hold: times, weekdays, time zones, labels, separators.
_DATE_LINE_REST = re.compile(
    r"(?:[\s,|:()\-–—/.]"
    r"|T?\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:SA|CH|AM|PM)\b)?"
    r"|(?:GMT|UTC)?\s*[+-]\d{1,2}(?::?\d{2})?|Z\b"
    r"|thứ (?:hai|ba|tư|năm|sáu|bảy|[2-7])\b|chủ nhật\b|CN\b"
    r"|(?:cập nhật|ngày đăng|đăng ngày|đăng lúc|ngày cập nhật|ngày xuất bản|xuất bản|thời gian"
    r"|đăng|published|updated|posted|lúc|ngày|giờ)\b)*",
    re.IGNORECASE,
)


def parse_date_line(line: str) -> dt.date | None:
    """The date of a line that holds only a date, a time and labels, else None.

    Day first, as Vietnamese writes it: "Cập nhật lúc : 10:13 05/03/2021", "00:00 03/10/2023",
    "Thứ Sáu, 05/03/2021 - 10:13", "Cập nhật:11/01/2019 4:43:52 CH"; also ISO
    "2021-03-05 10:13" and "Ngày 5 tháng 3 năm 2021". A sentence that mentions a date is not
    a date line.
    """
    line = normalize(line).strip()
    match = _FULL_DATE.search(line) if len(line) <= 80 else None
    if match is None:
        return None
    if not _DATE_LINE_REST.fullmatch(line[: match.start()] + " " + line[match.end() :]):
        return None
    day, month, year = (
        (match["d"], match["m"], match["y"]) if match["d"]
        else (match["id"], match["im"], match["iy"]) if match["iy"]
        else (match["wd"], match["wm"], match["wy"])
    )  # fmt: skip
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:  # 31/02/2021 is not a date, and the line is not a date line
        return None


# --- cleaning ----------------------------------------------------------------------------


def _display(line: str) -> str:
    """The line as it goes into the body: NFC, no invisible characters, single spaces."""
    return " ".join(clean_text(line)[0].split())


def _key(line: str) -> str:
    """What two lines must share to count as the same: normalized text, case-folded,
    without the lead's publisher tag and final punctuation."""
    text = SOURCE_PREFIX.sub("", " ".join(normalize(line).split()))
    return text.casefold().rstrip(" .!?…:;,")


def _chrome_rule(line: str) -> ChromeRule | None:
    prose = is_prose(line)
    for rule in chrome_rules():
        if (rule.beats_prose or not prose) and rule.pattern.fullmatch(line):
            return rule
    return None


def clean_lines(raw: str, title: str | None = None) -> list[tuple[str, str | None]]:
    """Every non-blank line of *raw* (whitespace collapsed) with the reason it is dropped,
    or None for a line of the article. See the module docstring for the rules."""
    lines = [line for line in map(_display, raw.splitlines()) if line]
    keys = [_key(line) for line in lines]
    title_key = _key(title) if title else None
    title_at = keys.index(title_key) if title_key in keys else -1
    reasons: list[str | None] = [None] * len(lines)
    ends = [False] * len(lines)
    seen: set[str] = set()
    for i, line in enumerate(lines):
        rule = _chrome_rule(normalize(line))
        if keys[i] == title_key:
            reasons[i] = TITLE
        elif rule is not None:
            reasons[i], ends[i] = rule.section, rule.ends_article
        elif parse_date_line(line) is not None:
            reasons[i] = DATE
        elif i < title_at and len(line.split()) <= 6 and not is_prose(line):
            reasons[i] = HEADER
        elif keys[i] in seen and len(line.split()) >= 2 and not line.endswith(":"):
            reasons[i] = REPEAT  # a one-word or "Label:" line may legitimately recur
        else:
            seen.add(keys[i])
    # The article ends at the first end marker after which nothing reads as prose.
    cut, prose_after = len(lines), False
    for i in reversed(range(len(lines))):
        if ends[i] and not prose_after:
            cut = i
        if reasons[i] is None and is_prose(lines[i]):
            prose_after = True
    for i in range(cut, len(lines)):
        reasons[i] = reasons[i] or END
    return list(zip(lines, reasons, strict=True))


def clean_body(raw: str, title: str | None = None) -> str:
    """The article text of *raw*: kept lines as paragraphs separated by a blank line.

    *title*, when given, is removed wherever it is repeated, and short non-sentence lines
    above its first occurrence are treated as page header.
    """
    return "\n\n".join(line for line, reason in clean_lines(raw, title) if reason is None)
