"""Checking the arguments of the library's public calls.

The library is called with whatever a web back end or a notebook received: a wrong type
or value must fail at the call, as an :class:`~danvan_search.errors.ArgumentTypeError`
(a ``TypeError``) or an :class:`~danvan_search.errors.InvalidArgumentError` (a
``ValueError``) naming the argument, never deep inside Whoosh or numpy.
"""

from __future__ import annotations

import datetime as dt
import operator
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from .errors import ArgumentTypeError, InvalidArgumentError
from .normalization import replace_lone_surrogates

T = TypeVar("T")


@contextmanager
def for_call(call: str, value_error: type[InvalidArgumentError] = InvalidArgumentError
             ) -> Iterator[None]:
    """Errors of the checks inside say which call they are about ("search(): limit must
    be..."); a bad value is a ``value_error``."""
    try:
        yield
    except ArgumentTypeError as error:
        raise ArgumentTypeError(f"{call}: {error}") from None
    except InvalidArgumentError as error:
        raise value_error(f"{call}: {error}") from None


def type_name(value: object) -> str:
    return type(value).__name__


def integer(name: str, value: object, minimum: int | None = None) -> int:
    """An ``int`` (or any integer type numpy and others define), not a bool or float."""
    if isinstance(value, bool):
        raise ArgumentTypeError(f"{name} must be an integer, not bool")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ArgumentTypeError(f"{name} must be an integer, not {type_name(value)}") from None
    if minimum is not None and number < minimum:
        at_least = "0 or more" if minimum == 0 else f"at least {minimum}"
        raise InvalidArgumentError(f"{name} must be {at_least}, not {number!r}")
    return number


def seconds(name: str, value: object) -> float:
    """A duration: a non-negative, finite number of seconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentTypeError(f"{name} must be a number of seconds, not {type_name(value)}")
    number = float(value)
    if not 0 <= number < float("inf"):
        raise InvalidArgumentError(f"{name} must be a finite number of seconds >= 0, got {value}")
    return number


def flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ArgumentTypeError(f"{name} must be True or False, not {type_name(value)}")
    return value


def choice(name: str, value: object, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        allowed = " or ".join(f'"{c}"' for c in choices)
        raise InvalidArgumentError(f"{name} must be {allowed}, not {value!r}")
    return value


def optional_text(name: str, value: object) -> str | None:
    """None or a string; lone surrogates (bytes that were not UTF-8) become U+FFFD."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name} must be a string, not {type_name(value)}")
    return replace_lone_surrogates(value)


def text_values(name: str, value: object) -> tuple[str, ...]:
    """A filter's values: None, one string, or an iterable of strings (blank ones dropped)."""
    if value is None:
        return ()
    if isinstance(value, str):
        values: list[object] = [value]
    elif isinstance(value, (bytes, bytearray, memoryview, Mapping)) or not isinstance(
        value, Iterable
    ):
        raise ArgumentTypeError(
            f"{name} must be a string or a list of strings, not {type_name(value)}"
        )
    else:
        values = list(value)
    wrong = [v for v in values if not isinstance(v, str)]
    if wrong:
        raise ArgumentTypeError(
            f"{name} must be a string or a list of strings, not a list holding "
            f"{type_name(wrong[0])} ({wrong[0]!r})"
        )
    cleaned = (replace_lone_surrogates(v).strip() for v in values)  # type: ignore[union-attr]
    return tuple(v for v in cleaned if v)


def iso_date(text: str) -> dt.date:
    """The date of an ISO 8601 date or date-time string, the whole string: "2021-03-05",
    "2021-03-05T10:13:00+07:00". Raises ``ValueError`` for anything else, trailing text
    included ("2021-03-05garbage")."""
    text = text.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    if text.endswith(("Z", "z")):  # Python < 3.11 does not read the "Z" suffix
        text = text[:-1] + "+00:00"
    return dt.datetime.fromisoformat(text).date()


def date_value(name: str, value: object) -> dt.date | None:
    """None (or ""), a :class:`datetime.date`/``datetime`` or an ISO date string."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ArgumentTypeError(
            f"{name} must be an ISO date string or a datetime.date, not {type_name(value)}"
        )
    try:
        return iso_date(value)
    except ValueError:
        raise InvalidArgumentError(
            f"{name} must be an ISO date such as 2021-01-31, got {value!r}"
        ) from None


def path_value(name: str, value: object) -> Path:
    if isinstance(value, (bytes, bytearray)) or not isinstance(value, (str, os.PathLike)):
        raise ArgumentTypeError(f"{name} must be a str or os.PathLike path, not {type_name(value)}")
    return Path(value)


def paths(name: str, value: object) -> list[str]:
    """Sources to read: one path, or an iterable of paths (``-`` for standard input)."""
    if isinstance(value, (str, os.PathLike)):
        return [os.fspath(value)]  # type: ignore[list-item]
    if isinstance(value, (bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        raise ArgumentTypeError(f"{name} must be a path or a list of paths, not {type_name(value)}")
    found = list(value)
    for item in found:
        if isinstance(item, bytes) or not isinstance(item, (str, os.PathLike)):
            raise ArgumentTypeError(f"{name} must hold str or os.PathLike paths, not "
                                    f"{type_name(item)}")
    return [os.fspath(item) for item in found]


def instance(name: str, value: object, kind: type[T], what: str) -> T:
    if not isinstance(value, kind):
        raise ArgumentTypeError(f"{name} must be {what}, not {type_name(value)}")
    return value


def document_ids(name: str, value: object) -> list[str]:
    """Ids: one string, or an iterable of strings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        raise ArgumentTypeError(
            f"{name} must be a document id or a list of them, not {type_name(value)}"
        )
    ids = list(value)
    for doc_id in ids:
        if not isinstance(doc_id, str):
            raise ArgumentTypeError(f"{name} must hold strings, not {type_name(doc_id)}")
    return ids


def documents_iterable(name: str, value: Any) -> Iterable[Any]:
    if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        raise ArgumentTypeError(
            f"{name} must be an iterable of documents (dicts or Document objects), not "
            f"{type_name(value)}" + (" (wrap one document in a list)"
                                     if isinstance(value, Mapping) else "")
        )
    return value


def indexing_options(
    documents: Any, skip_invalid: object, pages: object, procs: object, on_document: object
) -> tuple[bool, bool, int | None]:
    """The checked options of an ``index_documents`` call (``documents`` only checked
    to be iterable): ``skip_invalid``, ``pages`` and ``procs``."""
    documents_iterable("documents", documents)
    if on_document is not None and not callable(on_document):
        raise ArgumentTypeError(f"on_document must be callable, not {type_name(on_document)}")
    return (flag("skip_invalid", skip_invalid), flag("pages", pages),
            None if procs is None else integer("procs", procs, minimum=1))
