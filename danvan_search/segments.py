"""Whoosh's index files, kept consistent while other threads and processes use them.

A Whoosh commit deletes the files of the segments it merged away at once, and a Whoosh
reader opens some of its files (stored fields, field lengths, columns) only when first
asked for them. A searcher opened just before a commit then finds files gone: a raw
``FileNotFoundError``, or ``None`` where stored fields were expected. Here a searcher
opens every file of its segments when it is made ("pins" them) and checks that no commit
began meanwhile; an open file stays readable after it is deleted (on POSIX; Windows
refuses to delete it and Whoosh deletes it at a later commit), so a searcher reads the
generation it opened until it is closed.

Writers: a cancelled Whoosh writer leaves the files of its unfinished segment behind
(until some later commit deletes them), and its worker processes neither stop nor stay
quiet on Ctrl-C. :func:`open_writer` returns writers that remove those files before
they release the lock, and whose workers leave interrupts to the parent.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, clean_files
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.writing import SegmentWriter

from . import storage
from .errors import IndexChangingError
from .storage import VerifiedIndex

#: How often opening retries when commits keep replacing the generation it read.
OPEN_ATTEMPTS = 100


def has_index(path: Path) -> bool:
    """Whether ``path`` holds a Whoosh index (any committed generation), from the
    directory listing alone: reading the table of contents could race a commit."""
    if not path.is_dir():
        return False
    return TOC._latest_generation(FileStorage(str(path)), whoosh_index._DEF_INDEX_NAME) >= 0


def create_index(path: Path, schema: Schema) -> VerifiedIndex:
    return storage.create_index(path, schema)


def open_index(path: Path, schema: Schema) -> VerifiedIndex:
    """Whoosh's index at ``path`` (its files verified, read with ``schema``), retrying
    when a commit replaces the table of contents between listing it and reading it."""
    for _ in range(OPEN_ATTEMPTS):
        try:
            return storage.open_index(path, schema)
        except FileNotFoundError:
            continue  # a newer generation exists: read that one
    raise IndexChangingError(f"index {path} kept changing while being opened; try again")


def open_searcher(ix: FileIndex, **options: Any) -> tuple[Searcher, int]:
    """A searcher over the latest generation with all its files open, and its
    generation."""
    for _ in range(OPEN_ATTEMPTS):
        generation = ix.latest_generation()
        try:
            toc = ix.read_toc(generation)  # verified against the manifest
            reader = FileIndex._reader(ix.storage, toc.schema, toc.segments, generation)
        except FileNotFoundError:
            continue  # replaced by a commit between listing and reading
        try:
            _pin(reader, set(ix.storage.list()))
        except FileNotFoundError:
            reader.close()
            continue
        # A commit writes its table of contents before it deletes anything: with no
        # newer generation now, every file was opened before any deletion began.
        if ix.latest_generation() == generation:
            return Searcher(reader, fromindex=ix, **options), generation
        reader.close()
    raise IndexChangingError(
        f"index {ix.storage.folder} kept changing while a searcher opened; try again"
    )


def _pin(reader: IndexReader, names: set[str]) -> None:
    for segment_reader, _ in reader.leaf_readers():
        per_document = getattr(segment_reader, "_perdoc", None)
        if not isinstance(per_document, W3PerDocReader):
            continue  # an empty index
        prefix = segment_reader.segment().segment_id() + "."
        suffix = W3Codec.COLUMN_EXT
        columns = frozenset(
            name[len(prefix) : -len(suffix)]
            for name in names
            if name.startswith(prefix) and name.endswith(suffix)
        )
        for column in columns:
            if column not in per_document._colfiles:
                per_document._colfiles[column] = per_document._get_column_file(column)
        # Whoosh asks the directory whether a column exists before reading it: answer
        # from the files opened, which stay readable when a commit deletes them.
        per_document.has_column = columns.__contains__  # type: ignore[method-assign]


def open_writer(ix: FileIndex, procs: int, **options: Any) -> SegmentWriter:
    """A writer (``procs`` > 1: with worker processes writing a segment each) that
    removes its unfinished files when cancelled. Raises Whoosh's ``LockError`` when
    another writer keeps the lock past ``timeout``."""
    if procs > 1:
        return _ParallelWriter(ix, procs=procs, multisegment=True, **options)
    return _Writer(ix, **options)


def _remove_uncommitted(writer: SegmentWriter) -> None:
    """Delete the files of every segment the last commit does not list: those of a
    cancelled writer. Called with the lock held, so no other writer has files of its
    own under way."""
    toc = TOC.read(writer.storage, writer.indexname, schema=writer.schema)
    clean_files(writer.storage, writer.indexname, toc.generation, toc.segments)


class _Writer(SegmentWriter):
    def cancel(self) -> None:
        self._check_state()
        self._close_segment()
        try:
            _remove_uncommitted(self)
        finally:
            self._finish()  # releases the lock


class _QuietTask(SubWriterTask):
    """A worker process: Ctrl-C reaches every process of the terminal's group, and the
    parent alone handles it (it cancels, then stops the workers)."""

    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        super().run()


class _ParallelWriter(MpWriter):
    def _new_task(self) -> SubWriterTask:
        task = _QuietTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
            self.multisegment,
        )
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self) -> None:
        # Whoosh's own cancel only flags its copy of each task: the processes would wait
        # for work forever, and the interpreter for them at exit.
        for task in self.tasks:
            task.terminate()
        for task in self.tasks:
            task.join()
        self.jobqueue.cancel_join_thread()  # jobs nobody will read must not block exit
        self._check_state()
        self._close_segment()
        try:
            _remove_uncommitted(self)
        finally:
            self._finish()
