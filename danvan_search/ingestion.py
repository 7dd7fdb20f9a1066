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
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from .documents import Document
from .errors import DanvanError, InvalidDocumentError
from .normalization import has_lone_surrogates

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})

#: What readers yield: a document, or (where, why) for an input skipped (an error) or
#: read with a repair (a :class:`RepairedInputWarning`, which comes before its document).
Item = Document | tuple[str, Exception]


class UnreadableInputError(DanvanError, ValueError):
    """A file could not be turned into text (binary, empty, unknown encoding)."""


class RepairedInputWarning(UserWarning):
    """An input was read, with something repaired on the way (reported, not skipped)."""


def file_id(path: str | os.PathLike[str]) -> str:
    """The id of the document read from a text file: its absolute path, symbolic links
    resolved, with ``/`` between parts."""
    return Path(path).resolve().as_posix()


def vanished_files(
    sources: Sequence[str], ids_below: Callable[[str], Iterable[str]]
) -> list[str]:
    """Ids of documents read from text files below the directories among ``sources``
    whose files no longer exist (``ids_below(prefix)``: the index's ids starting with
    ``prefix``), for ``sync``."""
    return [
        doc_id
        for name in sources
        if name != "-" and Path(name).is_dir()
        for doc_id in ids_below(file_id(name) + "/")
        if not Path(doc_id).is_file()
    ]


def read_sources(sources: Sequence[str], stdin: BinaryIO | None = None) -> Iterator[Item]:
    """Documents from each source in turn: a file, a directory (recursively) or ``-``."""
    for source in sources:
        if source == "-":
            yield from read_jsonl_stream(stdin or sys.stdin.buffer, "<stdin>")
            continue
        path = Path(source)
        if path.is_dir():
            yield from read_directory(path)
        elif path.is_file():
            yield from read_file(path)
        elif path.exists():
            yield (display_path(path), UnreadableInputError("not a regular file"))
        else:
            yield (display_path(path), UnreadableInputError("no such file or directory"))


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as it can be printed: bytes of its name that are not UTF-8 (kept by Python
    as lone surrogates, which cannot be printed) shown as ``\\xff`` escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


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
            if item is None:  # a directory that cannot be listed
                count += 1
                continue
            if item.suffix.lower() in JSONL_SUFFIXES:
                try:
                    with item.open("rb") as stream:
                        count += sum(1 for line in stream if line.strip())
                except OSError:
                    count += 1
            else:
                count += 1
    return count


def _listing(root: Path) -> Iterator[Path | None]:
    """The files :func:`read_directory` reads (None for each input it reports instead)."""
    for path, error in _walk(root):
        yield None if error else path


def read_directory(root: Path) -> Iterator[Item]:
    """Every text and JSONL file below ``root``, in path order.

    Files and directories whose names start with a dot are left out (``.git``, editor
    backups); a directory that cannot be listed (no permission, a path longer than the
    system allows) is reported, and everything else is read.
    """
    for path, error in _walk(root):
        if error is not None:
            yield (display_path(path), error)
        elif path.suffix.lower() not in TEXT_SUFFIXES | JSONL_SUFFIXES:
            yield (display_path(path), UnreadableInputError(
                f"not a text (.txt) or JSONL (.jsonl) file: {path.suffix or 'no suffix'}"))
        else:
            yield from read_file(path)


def _walk(root: Path) -> Iterator[tuple[Path, UnreadableInputError | None]]:
    """Files below ``root`` in path order (depth first, names sorted), and the inputs
    that cannot be read (a directory that cannot be listed, a special file); a symbolic
    link to a directory is followed unless it leads to one already read (no loops).
    Iterative: a tree may be deeper than Python's recursion limit."""
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Path, Iterator[os.DirEntry[str]]]] = []

    def enter(directory: Path) -> UnreadableInputError | None:
        try:
            identity = directory.stat()
            if (identity.st_dev, identity.st_ino) in seen:
                return None
            seen.add((identity.st_dev, identity.st_ino))
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            return UnreadableInputError(f"cannot list directory: {_reason(error)}")
        stack.append((directory, iter(entries)))
        return None

    if error := enter(root):
        yield root, error
    while stack:
        directory, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        path = directory / entry.name
        try:
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError as error:
            yield path, UnreadableInputError(f"cannot read: {_reason(error)}")
            continue
        if is_dir:
            if error := enter(path):
                yield path, error
        elif is_file:
            yield path, None
        elif not entry.is_symlink():
            yield path, UnreadableInputError("not a regular file")
        # (a dangling symbolic link is no input)


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def read_file(path: Path) -> Iterator[Item]:
    """One file: JSONL by suffix, anything else as one page of text (its id:
    :func:`file_id`)."""
    where = display_path(path)
    if path.suffix.lower() in JSONL_SUFFIXES:
        try:
            with path.open("rb") as stream:
                yield from read_jsonl_stream(stream, where)
        except OSError as error:
            yield (where, UnreadableInputError(f"cannot read: {_reason(error)}"))
        return
    try:
        doc_id = file_id(path)
        text, repair = decode(path.read_bytes())
    except OSError as error:
        yield (where, UnreadableInputError(f"cannot read: {_reason(error)}"))
        return
    except UnreadableInputError as error:
        yield (where, error)
        return
    if has_lone_surrogates(doc_id):
        yield (where, UnreadableInputError(
            "the file's path is not valid UTF-8, so it cannot be a document id; rename it"))
        return
    if repair:
        yield (where, RepairedInputWarning(repair))
    try:
        yield Document.from_page(text, doc_id)
    except InvalidDocumentError as error:
        yield (where, error)


def read_jsonl_stream(stream: BinaryIO, name: str) -> Iterator[Item]:
    """One document per line; blank lines are ignored, bad ones reported by line."""
    for number, raw in enumerate(stream, start=1):
        where = f"{name}:{number}"
        try:
            line, repair = decode(raw, allow_empty=True)
        except UnreadableInputError as error:
            yield (where, error)
            continue
        line = line.strip()
        if not line:
            continue
        if repair:
            yield (where, RepairedInputWarning(repair))
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            yield (where, InvalidDocumentError(f"not valid JSON ({error.msg})"))
            continue
        except ValueError as error:  # a number of more than 4,300 digits
            yield (where, InvalidDocumentError(f"not usable JSON ({error})"))
            continue
        except RecursionError:
            yield (where, InvalidDocumentError("not usable JSON (nested too deeply)"))
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
    for files with no text. See :func:`decode` for what is repaired.
    """
    return decode(data, allow_empty)[0]


def decode(data: bytes, allow_empty: bool = False) -> tuple[str, str | None]:
    """:func:`decode_text`, and what was repaired to read the text (None if nothing).

    UTF-8 cut inside a character at its end (a truncated file), or with a few damaged
    bytes among many UTF-8 characters, is read as UTF-8 with U+FFFD in their place: a
    Windows-1258 file has no UTF-8 sequences of several bytes, so it is not taken for one.
    """
    repair = None
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
        except UnicodeDecodeError as error:
            repaired, repair = _damaged_utf8(data, error)
            if repaired is not None:
                text = repaired
            else:
                # Not UTF-8: old Vietnamese office files are Windows-1258. Every byte
                # decodes in it but a few, so check the result looks like text.
                text = data.decode("cp1258", errors="replace")
                if text.count("\ufffd") > max(2, len(text) // 100):
                    raise UnreadableInputError(
                        "not UTF-8, UTF-16 or Windows-1258 text; convert it to UTF-8"
                    ) from None
    if _looks_binary(text):
        raise UnreadableInputError("binary file, not text")
    if not allow_empty and not text.strip():
        raise UnreadableInputError("empty file")
    return text, repair


def _damaged_utf8(data: bytes, error: UnicodeDecodeError) -> tuple[str | None, str | None]:
    """UTF-8 text with a few bytes that are not, or None when it is not UTF-8 at all."""
    if error.end == len(data) and error.reason == "unexpected end of data":
        kept = data[: error.start].decode("utf-8", errors="replace")
        if "\ufffd" not in kept:
            return kept + "\ufffd", (
                f"UTF-8 text cut inside a character at its end ({len(data) - error.start} "
                "byte(s) replaced by U+FFFD)"
            )
    text = data.decode("utf-8", errors="replace")
    damaged = text.count("\ufffd")
    multibyte = sum(1 for c in text if c > "\x7f") - damaged
    if multibyte >= 3 * damaged:
        return text, f"{damaged} byte sequence(s) that are not UTF-8 replaced by U+FFFD"
    return None, None


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\n\r\t\f\v")
    return controls > max(2, len(sample) // 50)
