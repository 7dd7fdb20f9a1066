"""Metadata of a scraped news article: title, date, source, author, places, cited documents.

:func:`extract_metadata` reads the raw page text (chrome and all) and returns an
:class:`ArticleMetadata` whose ``body`` is the cleaned article. Every field is found by
general rules; a field that cannot be found without guessing is None (or empty).

Date. A line holding only a date ("Cập nhật lúc : 10:13 05/03/2021", "00:00 03/10/2023")
gives the date, day first. Failing that, the lead's dateline does ("Sáng 15/7 tại Hà
Nội, ..."); when it has no year, the year is taken from the text only when it is
unambiguous, meaning all of:

* the title mentions exactly one year, or it mentions none and the body exactly one (a
  range "2020-2025" is two years; dates inside the text count);
* that year is not a target ("đến năm 2025", "tới năm 2030");
* the month is not December, January or February: around New Year, reviews of one year and
  plans for the next are held in the other one ("Sáng 10/1 ... tổng kết năm 2018").

Otherwise the date is None rather than a guess.

Document codes are normalized to one form: separators as written (``25-NQ/TW`` and
``42/NQ-CP`` are different conventions), dashes as "-", letters upper case except the
conventional mixed-case abbreviations QĐi (quy định of the Party) and TTg (Thủ tướng):
``23-qd/tw`` → ``23-QD/TW``, ``11-qđi/tw`` → ``11-QĐi/TW``. Đ is never guessed from D;
diacritic-insensitive matching is the search engine's job.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .cleaning import DATE, SOURCE_PREFIX, clean_lines, is_prose, parse_date_line
from .normalization import clean_text
from .places import find_places

__all__ = ["ArticleMetadata", "extract_metadata", "find_document_codes", "normalize_code"]


@dataclass(frozen=True)
class ArticleMetadata:
    """What :func:`extract_metadata` finds in an article."""

    title: str | None
    date: dt.date | None
    source: str | None  # publisher: a lower-case domain ("baothanhhoa.vn") or a name
    author: str | None
    places: tuple[str, ...]  # canonical names from data/provinces.tsv
    cites: tuple[str, ...]  # normalized document codes
    body: str


# --- document codes ----------------------------------------------------------------------

# A number (optionally with a year: 01/2021/NQ-HĐND), then letter groups joined by - or /,
# each group possibly ending in digits. Dates and ranges have no letter group; "Covid-19"
# does not start with a digit.
_CODE = re.compile(
    r"(?<![\w/.\-–])\d{1,5}(?:/\d{4})?(?P<groups>(?:[-–/][A-Za-zĐđ]{1,12}\d{0,4})+)"
    r"(?![\w]|[-–/]\w)"
)
_GROUP = re.compile(r"[A-Za-zĐđ]+")
_MIXED_CASE = {"QĐI": "QĐi", "TTG": "TTg"}


def normalize_code(code: str) -> str:
    """The one form of a document code: ``23-qđ/tw`` → ``23-QĐ/TW`` (see module doc)."""
    code = code.replace("–", "-").upper()
    return _GROUP.sub(lambda m: _MIXED_CASE.get(m.group(), m.group()), code)


def find_document_codes(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, normalized code)`` of every document code in *text*, in order.

    Offsets index *text* itself. A code needs two letter groups (``25-NQ/TW``), or one
    upper-case group of two letters or more (``1234/UBND``), so "10/ha" is not a code.
    """
    found = []
    for match in _CODE.finditer(text):
        groups = _GROUP.findall(match["groups"])
        if len(groups) >= 2 or (len(groups[0]) >= 2 and groups[0].isupper()):
            found.append((match.start(), match.end(), normalize_code(match.group())))
    return found


# --- title, source, author ---------------------------------------------------------------


def _find_title(lines: list[tuple[str, str | None]]) -> str | None:
    """The headline: the first short kept line near the top that is not a sentence and
    not the lead ("(Baothanhhoa.vn) - Sáng 26/4, ..." may come before the headline)."""
    kept = [line for line, reason in lines if reason is None][:10]
    for line in kept:
        words = len(line.split())
        if (
            4 <= words <= 40
            and not is_prose(line)
            and not line.endswith((".", ":", ";"))
            and not SOURCE_PREFIX.match(line)
        ):
            return line
    return None


_DOMAIN = re.compile(
    r"(?:https?://)?(?:www\.)?(?P<domain>[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*"
    r"\.(?:vn|com|net|org|info|gov|edu|int|asia|biz|io))(?![\w.-]*\w)(?:/\S*)?",
    re.IGNORECASE,
)
_NAME = re.compile(r"[^\W\d_]+(?:[ .&-]+[^\W\d_]+)*")  # words of letters: "Báo Nhân Dân"
_ATTRIBUTION = re.compile(r"(?:theo|nguồn)\s*:?\s+(?P<source>.+)", re.IGNORECASE)


def _source_name(text: str) -> str | None:
    """A domain in *text*, lower case without "www.", or *text* itself if it is a short
    capitalised name ("TTXVN"), else None."""
    text = text.strip().rstrip(".;,")
    domain = _DOMAIN.search(text)
    if domain:
        return domain["domain"].lower()
    if _NAME.fullmatch(text) and text[0].isupper() and len(text.split()) <= 6:
        return text
    return None


def _find_source(kept: list[str]) -> str | None:
    """Publisher tag of the lead, else an attribution line ("Theo thuathienhue.gov.vn"),
    else a line holding only a domain ("www.thuathienhue.gov.vn")."""
    lead = next((line for line in kept if is_prose(line)), "")
    prefix = SOURCE_PREFIX.match(lead)
    if prefix and (name := _source_name(prefix["source"])):
        return name
    short = [line for line in kept if len(line.split()) <= 8 and not is_prose(line)]
    for line in short:
        attribution = _ATTRIBUTION.fullmatch(line)
        if attribution and (name := _source_name(attribution["source"])):
            return name
    for line in short:
        if _DOMAIN.fullmatch(line):
            return _source_name(line)
    return None


def _is_person_name(line: str) -> bool:
    """Two to four capitalised syllables: "Đỗ Quyên", "Phạm Thị Thanh Thủy"."""
    words = line.split()
    return (
        2 <= len(words) <= 4
        and all(w.isalpha() and w[0].isupper() and w[1:].islower() and len(w) <= 7 for w in words)
        and not find_places(line)
    )


def _find_author(kept: list[str]) -> str | None:
    """A byline among the short lines after the last paragraph of prose."""
    prose = [i for i, line in enumerate(kept) if is_prose(line)]
    tail = kept[prose[-1] + 1 :] if prose else []
    return next((line for line in reversed(tail[-4:]) if _is_person_name(line)), None)


# --- date --------------------------------------------------------------------------------

_DAY_MONTH = r"(?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<y>\d{4}))?(?![\d/])"
_TIME_OF_DAY = r"(?:sáng|chiều|tối|trưa|đêm)(?:\s+ngày|\s+nay)?\s*\(?\s*"
# "Sáng 15/7 tại Hà Nội, ...", "Hôm nay (15/7), ..." at the start of the lead, or "...,
# sáng ngày 03/3/2021, ..." inside it. A bare "6/10" is more often a fraction than a date.
_DATELINE_AT_START = re.compile(rf"(?:{_TIME_OF_DAY}|ngày\s+|hôm nay\s*\(?\s*){_DAY_MONTH}", re.I)
_DATELINE_INSIDE = re.compile(rf"\b{_TIME_OF_DAY}{_DAY_MONTH}", re.I)
_YEAR = re.compile(r"(?<![\d.,])(?:19[5-9]\d|20\d\d)(?!\d|[.,]\d)")
_TARGET_YEAR = re.compile(r"\b(?:đến|tới|trước|sau)\s+(?:hết\s+)?năm\s+(?P<y>\d{4})", re.I)


def _infer_year(month: int, title: str, body: str) -> int | None:
    """The year of a day/month dateline when the text leaves no doubt (see module doc)."""
    if month in (12, 1, 2):
        return None
    text = title if _YEAR.search(title) else body
    years = set(_YEAR.findall(text))
    if len(years) != 1:
        return None
    year = years.pop()
    if any(m["y"] == year for m in _TARGET_YEAR.finditer(text)):
        return None
    return int(year)


def _find_date(lines: list[tuple[str, str | None]], title: str, body: str) -> dt.date | None:
    """A date line within the article, else the lead's dateline."""
    last_kept = max((i for i, (_, reason) in enumerate(lines) if reason is None), default=-1)
    for line, reason in lines[:last_kept]:
        if reason == DATE and (date := parse_date_line(line)):
            return date
    lead = next((line for line, reason in lines if reason is None and is_prose(line)), "")
    lead = SOURCE_PREFIX.sub("", lead)
    match = _DATELINE_AT_START.match(lead) or _DATELINE_INSIDE.search(lead)
    if match is None:
        return None
    day, month = int(match["d"]), int(match["m"])
    year = int(match["y"]) if match["y"] else _infer_year(month, title, body)
    try:
        return dt.date(year, month, day) if year else None
    except ValueError:
        return None


# --- everything --------------------------------------------------------------------------


def extract_metadata(raw: str, title: str | None = None) -> ArticleMetadata:
    """Title, date, source, author, places, cited codes and cleaned body of *raw*.

    A *title* known from elsewhere (a JSONL field) is used instead of looking for one.
    """
    raw = clean_text(raw)[0]  # NFC: NFD input must give the same result
    title = title or _find_title(clean_lines(raw))
    lines = clean_lines(raw, title)
    kept = [line for line, reason in lines if reason is None]
    body = "\n\n".join(kept)
    text = f"{title}\n\n{body}" if title else body
    cites = dict.fromkeys(code for _, _, code in find_document_codes(text))
    return ArticleMetadata(
        title=title,
        date=_find_date(lines, title or "", body),
        source=_find_source(kept),
        author=_find_author(kept),
        places=find_places(text),
        cites=tuple(cites),
        body=body,
    )
