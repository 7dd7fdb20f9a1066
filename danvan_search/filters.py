"""Filters (date range, source, place, cited document) and facet counts.

Filter values are compared folded and lowercase, so ``--place "thua thien hue"`` and
``--cites 23-qd/tw`` work; a place filter also accepts the name of the unit a province
has belonged to since the 2025 merger ("An Giang" finds articles about Kiên Giang).
Facets count the values as written.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from whoosh import query as wq
from whoosh import sorting

from .documents import parse_date
from .errors import ArgumentTypeError, InvalidQueryError
from .metadata import normalize_code
from .normalization import fold, normalize
from .places import provinces
from .validation import text_values

#: Facet name → (index field, one value per document?).
FACET_FIELDS: Mapping[str, tuple[str, bool]] = {
    "year": ("year", True),
    "source": ("source_name", True),
    "place": ("place_names", False),
    "cites": ("cite_codes", False),
}

Values = str | Sequence[str] | None


def filter_value(value: str) -> str:
    """The form a filter value is indexed and compared in."""
    return fold(normalize(value)).lower().replace(",", " ").strip()


def place_filter_names(places: Iterable[str]) -> list[str]:
    """Each place and, where it merged in 2025, the unit it belongs to now."""
    since_2025 = {p.name: p.since_2025 for p in provinces()}
    names: dict[str, None] = {}
    for place in places:
        names[place] = None
        if since_2025.get(place):
            names[since_2025[place]] = None  # type: ignore[index]
    return list(names)


@dataclass(frozen=True)
class Filters:
    """What a search is restricted to; every part is optional."""

    since: dt.date | None = None
    until: dt.date | None = None
    source: tuple[str, ...] = ()
    place: tuple[str, ...] = ()
    cites: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        since: str | dt.date | None = None,
        until: str | dt.date | None = None,
        source: Values = None,
        place: Values = None,
        cites: Values = None,
    ) -> Filters:
        """Check and normalize the filters of a search: raises
        :class:`~danvan_search.errors.ArgumentTypeError` or
        :class:`~danvan_search.errors.InvalidQueryError` naming the option at fault."""
        for name, value in (("since", since), ("until", until)):
            if value is not None and not isinstance(value, (str, dt.date)):
                raise ArgumentTypeError(
                    f"{name} must be a date string or a datetime.date, not {type(value).__name__}"
                )
        start, end = date_bound(since, "since"), date_bound(until, "until")
        if start and end and start > end:
            raise InvalidQueryError(f"since ({start}) is after until ({end})")
        return cls(start, end, text_values("source", source), text_values("place", place),
                   text_values("cites", cites))

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.source or self.place or self.cites)

    def query(self) -> wq.Query | None:
        parts: list[wq.Query] = []
        if self.since or self.until:
            start = self.since.isoformat() if self.since else None
            end = self.until.isoformat() if self.until else None
            parts.append(wq.TermRange("date", start, end))
        for field, values in (("source", self.source), ("places", self.place)):
            if values:
                parts.append(wq.Or([wq.Term(field, filter_value(v)) for v in values]))
        if self.cites:
            codes = [filter_value(normalize_code(c)) for c in self.cites]
            parts.append(wq.Or([wq.Term("cites", c) for c in codes]))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)


_YEAR_MONTH = re.compile(r"(\d{4})(?:-(\d{1,2}))?|(\d{1,2})[/.-](\d{4})")


def date_bound(value: str | dt.date | None, name: Literal["since", "until"]) -> dt.date | None:
    """The first (``since``) or last (``until``) day ``value`` names: a date (ISO or
    day first, see :func:`parse_date`), a month (``2021-03``, ``03/2021``) or a year."""
    if isinstance(value, str):
        text = value.strip()
        period = _YEAR_MONTH.fullmatch(text)
        if period:
            year = int(period[1] or period[4])
            month = period[2] or period[3]
            first = int(month) if month else 1
            last = int(month) if month else 12
            if 1 <= first <= 12 and year >= dt.MINYEAR:
                if name == "since":
                    return dt.date(year, first, 1)
                return dt.date(year, last, calendar.monthrange(year, last)[1])
    try:
        return parse_date(value)
    except ValueError:
        raise InvalidQueryError(
            f"{name} must be a date such as 2021-01-31 or 31/01/2021, a month (2021-01) or "
            f"a year (2021), not {value!r}"
        ) from None


def facet_spec() -> dict[str, sorting.FieldFacet]:
    return {
        name: sorting.FieldFacet(field, allow_overlap=not single)
        for name, (field, single) in FACET_FIELDS.items()
    }


FacetCounts = dict[str, tuple[tuple[str, int], ...]]


def facet_counts(groups: Mapping[str, Mapping[object, int]]) -> FacetCounts:
    """Whoosh's grouped counts as ``{facet: ((value, count), ...)}``, largest first."""
    counts = {}
    for name in FACET_FIELDS:
        values = groups.get(name, {})
        items = [
            (key.decode("utf-8") if isinstance(key, bytes) else str(key), count)
            for key, count in values.items()
            if key not in (None, "", b"")
        ]
        counts[name] = tuple(sorted(items, key=lambda item: (-item[1], item[0])))
    return counts
