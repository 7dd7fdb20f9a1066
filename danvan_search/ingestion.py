"""Reading documents from files: text files, directories, JSONL, standard input.

Readers never stop at a bad input: what cannot become a document is yielded as a
``(where, error)`` pair (file, and line for JSONL) for the indexer to report, and
everything else is indexed. Texts are read as pages (:meth:`Document.from_page`).

A text file's id is its absolute path (:func:`file_id`): the same whichever directory
the command ran in and whichever argument named the file, and never the same for two
files.

Text encodings seen in Vietnamese archives: UTF-8 (with or without BOM), UTF-16 with
BOM (the VNTC corpus), and Windows-1258 from old office files; the latter writes tone
marks as combining characters, which normalization composes later.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from .documents import Document
from .errors import DanvanError, InvalidDocumentError

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})

Item = Document | tuple[str, Exception]


class UnreadableInputError(DanvanError, ValueError):
    """A file could not be turned into text (binary, empty, unknown encoding)."""


def file_id(path: str | os.PathLike[str]) -> str:
    """The id of the document read from a text file: its absolute path, symbolic links
    resolved, with ``/`` between parts."""
    return Path(path).resolve().as_posix()


def read_sources(sources: Sequence[str], stdin: BinaryIO | None = None) -> Iterator[Item]:
    """Documents from each source in turn: a file, a directory (recursively) or ``-``."""
    for source in sources:
        if source == "-":
            yield from read_jsonl_stream(stdin or sys.stdin.buffer, "<stdin>")
            continue
        path = Path(source)
        if path.is_dir():
            yield from read_directory(path)
        elif path.exists():
            yield from read_file(path)
        else:
            yield (source, UnreadableInputError("no such file or directory"))


def count_inputs(sources: Sequence[str]) -> int | None:
    """How many items :func:`read_sources` will yield, give or take blank lines (for a
    progress bar); None when a source is standard input."""
    if "-" in sources:
        return None
    count = 0
    for source in sources:
        path = Path(source)
        paths = _listing(path) if path.is_dir() else [path]
        for item in paths:
            if item.suffix.lower() in JSONL_SUFFIXES:
                try:
                    with item.open("rb") as stream:
                        count += sum(1 for line in stream if line.strip())
                except OSError:
                    count += 1
            else:
                count += 1
    return count


def _listing(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def read_directory(root: Path) -> Iterator[Item]:
    """Every text and JSONL file below ``root`` (names starting with a dot, such as
    editor backups, are left out)."""
    try:
        paths = _listing(root)
    except OSError as error:
        yield (str(root), UnreadableInputError(f"cannot list directory: {error.strerror}"))
        return
    for path in paths:
        if path.suffix.lower() not in TEXT_SUFFIXES | JSONL_SUFFIXES:
            yield (str(path), UnreadableInputError(
                f"not a text (.txt) or JSONL (.jsonl) file: {path.suffix or 'no suffix'}"))
            continue
        yield from read_file(path)


def read_file(path: Path) -> Iterator[Item]:
    """One file: JSONL by suffix, anything else as one page of text (its id:
    :func:`file_id`)."""
    if path.suffix.lower() in JSONL_SUFFIXES:
        try:
            with path.open("rb") as stream:
                yield from read_jsonl_stream(stream, str(path))
        except OSError as error:
            yield (str(path), UnreadableInputError(f"cannot read: {error.strerror}"))
        return
    try:
        text = decode_text(path.read_bytes())
    except OSError as error:
        yield (str(path), UnreadableInputError(f"cannot read: {error.strerror}"))
        return
    except UnreadableInputError as error:
        yield (str(path), error)
        return
    yield Document.from_page(text, file_id(path))


def read_jsonl_stream(stream: BinaryIO, name: str) -> Iterator[Item]:
    """One document per line; blank lines are ignored, bad ones reported by line."""
    for number, raw in enumerate(stream, start=1):
        where = f"{name}:{number}"
        try:
            line = decode_text(raw, allow_empty=True).strip()
        except UnreadableInputError as error:
            yield (where, error)
            continue
        if not line:
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            yield (where, InvalidDocumentError(f"not valid JSON ({error.msg})"))
            continue
        try:
            yield Document.from_dict(data).page_read()
        except InvalidDocumentError as error:
            yield (where, error)


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes, allow_empty: bool = False) -> str:
    """Decode file bytes: BOM-marked UTF-8/16/32, then UTF-8, then Windows-1258.

    Raises :class:`UnreadableInputError` for binary data and (unless ``allow_empty``)
    for files with no text.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as error:
                raise UnreadableInputError(f"invalid {encoding} text: {error.reason}") from None
            break
    else:
        if b"\x00" in data:
            raise UnreadableInputError("binary file (contains NUL bytes), not text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            # Not UTF-8: old Vietnamese office files are Windows-1258. Every byte decodes
            # in it but a few, so check the result looks like text.
            text = data.decode("cp1258", errors="replace")
            if text.count("\ufffd") > max(2, len(text) // 100):
                raise UnreadableInputError(
                    "not UTF-8, UTF-16 or Windows-1258 text; convert it to UTF-8"
                ) from None
    if _looks_binary(text):
        raise UnreadableInputError("binary file, not text")
    if not allow_empty and not text.strip():
        raise UnreadableInputError("empty file")
    return text


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\n\r\t\f\v")
    return controls > max(2, len(sample) // 50)
