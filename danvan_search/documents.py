"""What goes into an index: the :class:`Document` and its validation."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidDocumentError
from .normalization import has_lone_surrogates

#: Keys of a document dict that have a field of their own; any other key is kept as
#: extra metadata, stored and shown but not searched.
KNOWN_FIELDS = (
    "id", "title", "body", "date", "source", "url", "author", "places", "cites", "raw",
)


@dataclass(frozen=True)
class Document:
    """A document to index. ``id`` and ``body`` are required."""

    id: str
    body: str
    title: str | None = None
    date: dt.date | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None
    places: tuple[str, ...] = ()
    cites: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: The text as read, when ``body`` is a cleaned version of it (``show --raw``).
    raw: str | None = None

    def __post_init__(self) -> None:
        _check_document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Document:
        """Build a document from a dict such as a JSONL line, checking every field.

        Raises :class:`InvalidDocumentError` saying which field is wrong.
        """
        if not isinstance(data, Mapping):
            raise InvalidDocumentError(
                f"a document must be a JSON object / dict, not {type(data).__name__}"
            )
        doc_id = data.get("id")
        if isinstance(doc_id, int) and not isinstance(doc_id, bool):
            doc_id = str(doc_id)
        if not isinstance(doc_id, str) or not doc_id.strip():
            raise InvalidDocumentError('missing "id": every document needs a non-empty string id')
        body = data.get("body")
        if not isinstance(body, str):
            raise InvalidDocumentError(f'document {doc_id!r} has no "body" text')
        extra = {k: v for k, v in data.items() if k not in KNOWN_FIELDS}
        return cls(
            id=doc_id.strip(),
            body=body,
            title=_optional_text(data, "title", doc_id),
            date=parse_date(data.get("date"), doc_id),
            source=_optional_text(data, "source", doc_id),
            url=_optional_text(data, "url", doc_id),
            author=_optional_text(data, "author", doc_id),
            places=_text_list(data, "places", doc_id),
            cites=_text_list(data, "cites", doc_id),
            extra=extra,
            raw=data.get("raw") if isinstance(data.get("raw"), str) else None,
        )

    @classmethod
    def from_page(
        cls,
        text: str,
        id: str,
        *,
        title: str | None = None,
        date: str | dt.date | None = None,
        source: str | None = None,
        url: str | None = None,
        author: str | None = None,
        places: Sequence[str] = (),
        cites: Sequence[str] = (),
        extra: Mapping[str, Any] | None = None,
    ) -> Document:
        """A page copied from a news site, site and all, as a document: the body is
        cleaned of the site's chrome (menus, share buttons, related news...), and the
        title, date, source, author, places and cited documents are read from the page
        where not given (what is given wins). ``raw`` keeps the page as read when the
        body differs from it. Raises :class:`InvalidDocumentError` like
        :meth:`from_dict`.
        """
        fields = {"title": title, "date": date, "source": source, "url": url,
                  "author": author, "places": list(places), "cites": list(cites)}
        return cls.from_dict({**(extra or {}), **fields, "id": id, "body": text}).page_read()

    def page_read(self) -> Document:
        """This document with its body read as a page (see :meth:`from_page`); the same
        document comes out of the same page whichever way it came in (the command
        line, ``from_page``, ``add(..., pages=True)``)."""
        from dataclasses import replace

        from .metadata import extract_metadata  # page rules: loaded when pages are read

        meta = extract_metadata(self.body, title=self.title)
        body = meta.body or self.body
        return replace(
            self,
            body=body,
            raw=self.raw or (self.body if body != self.body else None),
            title=self.title or meta.title,
            date=self.date or meta.date,
            source=self.source or meta.source,
            author=self.author or meta.author,
            places=self.places or meta.places,
            cites=self.cites or meta.cites,
        )

    def content_hash(self) -> str:
        """A digest of everything indexed, to skip documents that did not change."""
        payload = json.dumps(
            [self.id, self.title, self.body, self.iso_date, self.source, self.url,
             self.author, list(self.places), list(self.cites), dict(self.extra), self.raw],
            ensure_ascii=False, sort_keys=True, default=str,
        )
        return hashlib.blake2b(payload.encode("utf-8"), digest_size=16).hexdigest()

    @property
    def iso_date(self) -> str | None:
        return self.date.isoformat() if self.date else None


def parse_date(value: Any, doc_id: str = "?") -> dt.date | None:
    """Accept ``None``, a :class:`datetime.date`/``datetime``, an ISO date (``2021-03-05``,
    also with a time: ``2021-03-05T10:13:00``) or a date in Vietnamese order, day first
    (``05/03/2021``, ``5-3-2021``, ``05.03.2021``, also followed by a time ``10:13``)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        date = _date_from_text(value.strip())
        if date is not None:
            return date
    raise InvalidDocumentError(
        f'document {doc_id!r}: "date" must be a date such as 2021-03-05 or 05/03/2021, '
        f"got {value!r}"
    )


_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?)?")


def _date_from_text(text: str) -> dt.date | None:
    day_first = _DAY_FIRST.fullmatch(text)
    try:
        if day_first:
            day, month, year = (int(part) for part in day_first.groups())
            return dt.date(year, month, day)
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        if len(text) > 10 and text[10] in "T ":
            return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return None
    return None


def _check_document(doc: Document) -> None:
    """What every document must be, however it was made (``Document(...)`` too): the
    types of its fields, extra metadata that is JSON data (it is stored as JSON), and
    only text in its strings: a lone surrogate ("\\ud800" in JSON, a byte that was not
    UTF-8) can be neither stored nor indexed."""
    if not isinstance(doc.id, str) or not doc.id.strip():
        raise InvalidDocumentError('missing "id": every document needs a non-empty string id')
    if has_lone_surrogates(doc.id):
        raise InvalidDocumentError(f'document {doc.id!r}: "id" holds a lone surrogate, not text')
    if not isinstance(doc.body, str):
        raise InvalidDocumentError(f'document {doc.id!r} has no "body" text')
    texts = {"body": doc.body}
    for key in ("title", "source", "url", "author", "raw"):
        value = getattr(doc, key)
        if value is not None and not isinstance(value, str):
            raise InvalidDocumentError(f'document {doc.id!r}: "{key}" must be a string')
        texts[key] = value or ""
    for key in ("places", "cites"):
        values = getattr(doc, key)
        if isinstance(values, str) or not all(isinstance(v, str) for v in values):
            raise InvalidDocumentError(f'document {doc.id!r}: "{key}" must be a list of strings')
        texts[key] = "".join(values)
    if doc.date is not None and not isinstance(doc.date, dt.date):
        raise InvalidDocumentError(f'document {doc.id!r}: "date" must be a datetime.date')
    if not isinstance(doc.extra, Mapping):
        raise InvalidDocumentError(f'document {doc.id!r}: "extra" must be a mapping')
    try:
        texts["extra metadata"] = json.dumps(dict(doc.extra), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as error:
        raise InvalidDocumentError(
            f"document {doc.id!r}: extra metadata must be JSON data (strings, numbers, "
            f"booleans, null, lists, objects): {error}"
        ) from None
    for key, text in texts.items():
        if has_lone_surrogates(text):
            raise InvalidDocumentError(
                f'document {doc.id!r}: "{key}" holds a lone surrogate (such as "\\ud800"), '
                "which is not text"
            )


def _optional_text(data: Mapping[str, Any], key: str, doc_id: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidDocumentError(f'document {doc_id!r}: "{key}" must be a string')
    return value.strip() or None


def _text_list(data: Mapping[str, Any], key: str, doc_id: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise InvalidDocumentError(f'document {doc_id!r}: "{key}" must be a list of strings')
    return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
