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
(until some later commit deletes them); one that fails while closing them (a full disk)
keeps the lock; one that fails while it is being made keeps it too; its worker
processes neither stop nor stay quiet on Ctrl-C, and a worker that fails prints its
traceback while the parent commits without its documents. :func:`open_writer` returns
writers that remove those files before the lock is released, whose workers leave
interrupts to the parent, and whose failed workers fail the run.
"""

from __future__ import annotations

import contextlib
import heapq
import queue
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import multiproc as whoosh_multiproc
from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, clean_files
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.reading import IndexReader, SegmentReader
from whoosh.searching import Searcher
from whoosh.writing import SegmentWriter

from . import storage
from .errors import IndexChangingError
from .pairstore import PAIRS_EXT, PairCodec
from .pairwriting import PairPostings
from .schema import PAIR_FIELD_NAMES, STREAM_FIELDS, position_postings
from .storage import VerifiedIndex, is_temporary_file

#: How often opening retries when commits keep replacing the generation it read.
OPEN_ATTEMPTS = 100
#: Merging: segments whose live documents number within a factor of SEGMENTS_PER_TIER
#: of each other form a tier (those under MERGE_FLOOR documents all form the lowest);
#: a tier that reaches SEGMENTS_PER_TIER segments is merged into one segment.
SEGMENTS_PER_TIER = 8
MERGE_FLOOR = 1000
#: A segment with at least this share of its documents deleted is merged (rewritten
#: without them) at the next commit.
MERGE_DELETED_SHARE = 0.3
#: An index of at least this many documents in at least this many segments answers a
#: query's first reading of the disk markedly faster merged into one (``optimize``):
#: 80,000 articles in 8 segments, first run p50 / p95 157 / 338 ms, merged 96 / 229.
#: Warm queries gain nothing since the segments are evaluated as one (22 / 49 ms as
#: grown, 21 / 52 merged; benchmarks/RESULTS.md). Smaller indexes gain little.
ADVISE_MERGE_DOCUMENTS = 20_000
ADVISE_MERGE_SEGMENTS = 4


def segments_to_merge(
    counts: list[tuple[int, int]],
    per_tier: int = SEGMENTS_PER_TIER,
    floor: int = MERGE_FLOOR,
    deleted_share: float = MERGE_DELETED_SHARE,
) -> list[int]:
    """Which segments a commit merges, given each one's (documents, of which live).

    Whoosh's own policy merges only segments of a few dozen documents, so an index fed
    in batches of a thousand grows a segment per batch and process, for ever, and every
    query pays for each. Here segments form tiers by size, each tier
    ``per_tier`` times the one below (log-structured merging, as Lucene's tiered
    policy): a tier holding ``per_tier`` segments is merged into one segment of the
    tier above. A document is rewritten once per tier it climbs, so the cost of adding
    documents is O(log(n)) per document, and at most ``per_tier - 1`` segments stay in
    each tier. Segments mostly deleted are merged too, so deleted documents do not
    linger. Returns indexes into ``counts``.
    """
    chosen: set[int] = {
        i for i, (total, live) in enumerate(counts)
        if total and (total - live) >= deleted_share * total
    }
    tiers: dict[int, list[int]] = {}
    for i, (_, live) in enumerate(counts):
        if i in chosen:
            continue
        tier, size = 0, floor
        while live >= size:
            tier, size = tier + 1, size * per_tier
        tiers.setdefault(tier, []).append(i)
    # Merging a tier can fill the next one: carry upwards, as a counter does.
    carried, previous = 0, None
    for tier in sorted(tiers):
        members = tiers[tier]
        if previous is None or tier != previous + 1:
            carried = 0
        if len(members) + carried >= per_tier:
            chosen.update(members)
            carried = 1
        else:
            carried = 0
        previous = tier
    if len(chosen) == 1 and not any(counts[i][0] != counts[i][1] for i in chosen):
        return []  # one whole segment: merging it would only copy it
    return sorted(chosen)


def tiered_merge(writer: SegmentWriter, segments: list[Any]) -> list[Any]:
    """Whoosh merge policy (called by a writer's commit with the index's segments):
    merges the segments :func:`segments_to_merge` picks into the segment the writer is
    writing, and returns those it keeps."""
    counts = [(s.doc_count_all(), s.doc_count()) for s in segments]
    chosen = set(segments_to_merge(counts))
    for i in sorted(chosen):
        _merge_into(writer, segments[i])
    return [s for i, s in enumerate(segments) if i not in chosen]


def merge_everything(writer: SegmentWriter, segments: list[Any]) -> list[Any]:
    """Whoosh merge policy: every segment into the one being written (optimizing)."""
    for segment in segments:
        _merge_into(writer, segment)
    return []


def _merge_into(writer: SegmentWriter, segment: Any) -> None:
    """Copy a segment's live documents into the writer's segment.

    Whoosh keeps each document's field length in one byte (on a log scale) and each
    segment's exact total beside them; merging adds up the one-byte lengths, which
    moves the average field length, and so every BM25 score, a little. The exact
    totals are carried over instead (less the deleted documents' lengths, as stored),
    so merging changes no score.
    """
    if segment.doc_count() == 0:
        return  # nothing live: the segment is dropped, no empty one written
    reader = SegmentReader(writer.storage, writer.schema, segment)
    try:
        totals = writer.perdocwriter._fieldlengths
        before = dict(totals)
        writer.add_reader(reader)
        deleted = [d for d in range(reader.doc_count_all()) if reader.is_deleted(d)]
        for name in list(totals):
            exact = (reader.field_length(name) or 0) - sum(
                reader.doc_field_length(d, name) or 0 for d in deleted  # None: no field
            )
            totals[name] = before.get(name, 0) + exact
    finally:
        reader.close()


def has_index(path: Path) -> bool:
    """Whether ``path`` holds a Whoosh index (any committed generation), from the
    directory listing alone: reading the table of contents could race a commit."""
    if not path.is_dir():
        return False
    return TOC._latest_generation(FileStorage(str(path)), whoosh_index._DEF_INDEX_NAME) >= 0


def create_index(path: Path, schema: Schema) -> VerifiedIndex:
    return storage.create_index(path, schema)


def open_index(path: Path, schema: Schema, for_writing: bool = False) -> VerifiedIndex:
    """Whoosh's index at ``path`` (its files verified, read with ``schema``), retrying
    when a commit replaces the table of contents between listing it and reading it.
    ``for_writing``: with a storage of its own, which holds every file it opens, to
    close them all if the writer fails."""
    for _ in range(OPEN_ATTEMPTS):
        try:
            return storage.open_index(path, schema, for_writing)
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
    removes its unfinished files when cancelled, even when closing them fails again (a
    full disk). With ``_lk=False`` the caller holds the index lock. Raises Whoosh's
    ``LockError`` when another writer keeps the lock past ``timeout``."""
    # Every segment is written with the pair fields' postings as arrays (pairstore).
    options.setdefault("codec", PairCodec())
    if procs > 1:
        # The workers' own writers: no lock (the parent holds it), the same files.
        parent_only = {"batchsize", "_lk", "timeout", "delay"}
        options.setdefault("subargs", {k: v for k, v in options.items() if k not in parent_only})
        writer: SegmentWriter = _ParallelWriter(ix, procs=procs, multisegment=True, **options)
    else:
        writer = _Writer(ix, **options)
    writer.mergetype = tiered_merge  # what commit() merges, unless told otherwise
    return writer


def remove_uncommitted(storage: FileStorage, schema: Schema, indexname: str) -> None:
    """Delete the files of every segment the last commit does not list (those of a
    cancelled writer), and what a commit writes on its way (a TOC or a manifest before
    their renames). Called with the lock held, so no other writer has files of its own
    under way."""
    toc = TOC.read(storage, indexname, schema=schema)
    clean_files(storage, indexname, toc.generation, toc.segments)
    for name in storage.list():
        if is_temporary_file(name):
            with contextlib.suppress(OSError):
                storage.delete_file(name)


def _cancel(writer: SegmentWriter) -> None:
    """Cancel ``writer``: close its files, delete them, release its temporary files (and
    the lock, when it holds it). Closing may fail again on a full disk: the rest is done
    all the same."""
    try:
        with contextlib.suppress(Exception):
            writer._close_segment()
        remove_uncommitted(writer.storage, writer.schema, writer.indexname)
    finally:
        try:
            writer._finish()
        finally:
            _close_files(writer)


def _close_files(writer: SegmentWriter) -> None:
    """Close what a failed writer left open (a storage of ours knows)."""
    close = getattr(getattr(writer, "storage", None), "close_files_being_written", None)
    if close is not None:
        close()


class _MergingWriter:
    """For a Whoosh ``SegmentWriter``, what bypasses its posting pool, where every
    posting would be a tuple sorted in memory, spilled to files and merged back:

    * the pair fields' postings are kept as arrays
      (:class:`~danvan_search.pairwriting.PairPostings`), those of merged segments too,
      and written to the segment's file of pairs;
    * a merged segment's other postings are read when the segment is written, term
      after term, and merged with the new documents' postings on the way to the file.
    """

    # (Attributes of the SegmentWriter this is mixed into.)
    schema: Schema
    storage: Any
    pool: Any
    codec: Any
    perdocwriter: Any
    fieldwriter: Any
    _tempstorage: Any

    def _pair_postings(self) -> dict[str, PairPostings]:
        pairs: dict[str, PairPostings] | None = self.__dict__.get("_pairs")
        if pairs is None:
            folder = self._tempstorage.folder
            pairs = {name: PairPostings(folder, name) for name in sorted(PAIR_FIELD_NAMES)}
            self.__dict__["_pairs"] = pairs
        return pairs

    def _merged(self) -> list[_MergedSegment]:
        return self.__dict__.setdefault("_merged_segments", [])

    def add_postings_to_pool(self, reader: Any, startdoc: int, docmap: Any) -> None:
        """A merged segment's postings (``reader``: that one segment's)."""
        import numpy as np

        # Read again when the segment is written: the caller closes this reader.
        self._merged().append(_MergedSegment(
            SegmentReader(self.storage, self.schema, reader.segment()), startdoc, docmap))
        mapping = None
        if docmap is not None:  # the segment has deletions: its live documents renumbered
            mapping = np.full(reader.doc_count_all(), -1, dtype=np.int64)
            mapping[np.fromiter(docmap.keys(), dtype=np.int64, count=len(docmap))] = (
                np.fromiter(docmap.values(), dtype=np.int64, count=len(docmap)))
        for name, postings in self._pair_postings().items():
            postings.add_segment(reader._terms.pairs.get(name), mapping, startdoc)

    def _flush_segment(self) -> None:
        # Whoosh's, with the merged segments' postings and the pair fields'.
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None  # type: ignore[attr-defined]
        sources = [self.pool.iter_postings(),
                   *(merged.postings(self.schema) for merged in self._merged())]
        # (Postings compare by field, term, then document: never beyond, as no two
        # sources have a document in common.)
        postings = heapq.merge(*sources) if len(sources) > 1 else sources[0]
        self.fieldwriter.add_postings(self.schema,
                                      None if lengths is None else _FieldLengths(lengths),
                                      postings)
        self.fieldwriter.write_pairs(self._pair_postings().values())
        self.fieldwriter.close()
        if lengths is not None:
            lengths.close()
        self._close_merged()

    def _close_segment(self) -> None:
        super()._close_segment()  # type: ignore[misc]
        for postings in self._pair_postings().values():
            postings.discard()
        self._close_merged()

    def _close_merged(self) -> None:
        while self._merged():
            self._merged().pop().reader.close()


class _MergedSegment:
    """A segment merged into the one being written: its reader, and the new numbers of
    its documents (``startdoc`` plus the old, or ``docmap`` when some were deleted)."""

    def __init__(self, reader: SegmentReader, startdoc: int, docmap: dict[int, int] | None):
        self.reader = reader
        self.startdoc = startdoc
        self.docmap = docmap

    def postings(self, schema: Schema) -> Iterator[tuple[str, bytes, int, float, bytes]]:
        """Its postings but the pair fields', as Whoosh's pool hands them over: by
        field name, then term, then document."""
        reader, startdoc, docmap = self.reader, self.startdoc, self.docmap
        terms = reader._terms
        names = sorted(name for name in terms.indexed_field_names()
                       if name in schema and name not in PAIR_FIELD_NAMES)
        for fieldname in names:
            for name, btext in terms.terms_from(fieldname, b""):
                if name != fieldname:
                    break
                matcher = reader.postings(fieldname, btext)  # (deleted documents left out)
                while matcher.is_active():
                    docnum = matcher.id()
                    yield (fieldname, btext,
                           startdoc + docnum if docmap is None else docmap[docnum],
                           matcher.weight(), matcher.value())
                    matcher.next()


class _FieldLengths:
    """Every document's length of a field, read once per field: Whoosh's field writer
    asks for the length of each posting's document (for the bounds of each block)."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.fields: dict[str, list[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        found = self.fields.get(fieldname)
        if found is None:
            length = self.reader.doc_field_length
            found = [length(d, fieldname, default) for d in range(self.reader.doc_count_all())]
            self.fields[fieldname] = found
        return found[docnum]


#: The fields whose postings keep positions: the syllables of each text, both streams.
_POSITIONAL_FIELDS = frozenset(name for pair in STREAM_FIELDS.values() for name in pair)


class _Writer(_MergingWriter, SegmentWriter):
    def __init__(self, ix: FileIndex, **options: Any) -> None:
        try:
            super().__init__(ix, **options)
        except BaseException:
            _abandon_unmade(self)
            raise

    def add_document(self, **fields: Any) -> None:
        # Whoosh's add_document for this library's schema (no term vectors, spelling
        # fields or boosts), the pair fields' terms counted into arrays.
        self._check_state()
        schema, perdoc, docnum = self.schema, self.perdocwriter, self.docnum
        add_post = self.pool.add
        pairs = self._pair_postings()
        counted = []
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if name in pairs:
                    counts = field.analyzer.pair_counts(value)
                    counted.append((pairs[name], counts))
                    length = sum(counts.values())
                elif name in _POSITIONAL_FIELDS:
                    for btext, freq, weight, vbytes in position_postings(field, value):
                        length += freq
                        add_post((name, btext, docnum, weight, vbytes))
                elif field.indexed:
                    scorable = field.scorable
                    for btext, freq, weight, vbytes in field.index(value):
                        if scorable:
                            length += freq
                        add_post((name, btext, docnum, weight, vbytes))
                perdoc.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    perdoc.add_column_value(name, field.column_type,
                                            field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        for postings, counts in counted:  # once nothing can fail: no half document
            postings.add(docnum, counts)
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def cancel(self) -> None:
        self._check_state()
        _cancel(self)


def _abandon_unmade(writer: SegmentWriter) -> None:
    """A writer failed while it was being made (a full disk): close what it opened and
    release the lock it took, if it took it."""
    _close_files(writer)
    temporary = getattr(writer, "_tempstorage", None)
    if temporary is not None:
        with contextlib.suppress(OSError):
            temporary.destroy()
    lock = getattr(writer, "writelock", None)
    if lock is not None and getattr(lock, "locked", False):
        with contextlib.suppress(Exception):
            lock.release()


class WorkerFailed(Exception):
    """A worker process of a parallel writer failed; ``errno`` is kept from an OSError."""

    def __init__(self, message: str, errno: int | None = None, strerror: str | None = None):
        super().__init__(message)
        self.errno = errno
        self.strerror = strerror


#: Seconds the parent waits for a result a finished worker has put in the queue.
_RESULT_TIMEOUT = 5.0


class _Task(SubWriterTask):
    """A worker process. Ctrl-C reaches every process of the terminal's group, and the
    parent alone handles it (it cancels, then stops the workers). An error is handed to
    the parent, not printed here: Whoosh would print its traceback and let the parent
    commit without the worker's documents."""

    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # (In this process only.) Whoosh's task makes a plain SegmentWriter: this
        # library's keeps the pair fields' postings as arrays.
        whoosh_multiproc.SegmentWriter = _Writer
        try:
            super().run()
        except BaseException as error:
            with contextlib.suppress(Exception):  # the first error is the one to report
                self.writer.cancel()
            failure = WorkerFailed(
                f"{type(error).__name__}: {error}",
                getattr(error, "errno", None), getattr(error, "strerror", None),
            )
            self.resultqueue.put((None, None, failure), timeout=5)


class _ParallelWriter(_MergingWriter, MpWriter):
    """``MpWriter`` (multisegment) whose workers' failures reach the parent, and whose
    cancel stops the workers."""

    def __init__(self, ix: FileIndex, **options: Any) -> None:
        try:
            super().__init__(ix, **options)
        except BaseException:
            _abandon_unmade(self)
            raise

    def _new_task(self) -> SubWriterTask:
        task = _Task(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
            self.multisegment,
        )
        self.tasks.append(task)
        task.start()
        return task

    def _enqueue(self) -> None:
        # A worker that stopped early failed: say so now, rather than wait for it (once
        # the job queue is full, for ever).
        if any(task.exitcode is not None for task in self.tasks):
            self._raise_failure(self._drain_results())
            dead = [task for task in self.tasks if task.exitcode]
            if dead:
                raise WorkerFailed(f"a worker process exited with status {dead[0].exitcode}")
        super()._enqueue()

    def _drain_results(self) -> list[Any]:
        results = []
        while True:
            try:
                results.append(self.resultqueue.get_nowait())
            except queue.Empty:
                return results

    @staticmethod
    def _raise_failure(results: list[Any]) -> None:
        for _, _, segment in results:
            if isinstance(segment, WorkerFailed):
                raise segment

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        # MpWriter._commit (multisegment), with every worker's result required.
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self.jobqueue.put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        for task in self.tasks:
            task.join()  # (their results are small: joining first cannot block on them)
        results = []
        for _ in self.tasks:
            try:
                results.append(self.resultqueue.get(timeout=_RESULT_TIMEOUT))
            except queue.Empty:
                break
        self._raise_failure(results)
        if len(results) != len(self.tasks) or any(task.exitcode for task in self.tasks):
            raise WorkerFailed("a worker process stopped without handing in its documents")
        finalsegments += [segment for _, _, segment in results]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def cancel(self) -> None:
        # Whoosh's own cancel only flags its copy of each task: the processes would wait
        # for work forever, and the interpreter for them at exit. They are stopped before
        # their files are deleted.
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
        for task in self.tasks:
            task.join()
        self.jobqueue.cancel_join_thread()  # jobs nobody will read must not block exit
        self._check_state()
        _cancel(self)


# --- where the bytes go -------------------------------------------------------------------

#: Bytes of a term info before its postings' place (flags, weight, frequency, lengths,
#: maximum weight, first and last document) and the place (offset, length) after it.
_TERM_INFO_HEAD = 1 + 4 + 4 + 1 + 1 + 4 + 4 + 4
_TERM_INFO_EXTENT = 8 + 4


def field_sizes(reader: IndexReader) -> dict[str, dict[str, int]]:
    """Per indexed field, over every segment: terms, bytes of the term dictionary
    (keys and term infos, postings found once included) and bytes of postings in the
    postings files. Reads every term's info once (seconds for a large index)."""
    sizes: dict[str, dict[str, int]] = {}
    for leaf, _ in reader.leaf_readers():
        terms = getattr(leaf, "_terms", None)
        table = getattr(terms, "_tindex", None)
        if table is None:  # an empty index
            continue
        names = {number: name for name, number in terms._fieldmap.items()}
        for key, value in table.items():
            name = names.get(int.from_bytes(key[:2], "big"), "?")
            entry = sizes.setdefault(name, {"terms": 0, "dictionary": 0, "postings": 0})
            entry["terms"] += 1
            entry["dictionary"] += len(key) + len(value)
            if value[0] == 0 and len(value) >= _TERM_INFO_HEAD + _TERM_INFO_EXTENT:
                start = _TERM_INFO_HEAD + 8
                entry["postings"] += int.from_bytes(value[start : start + 4], "big",
                                                    signed=True)
        for name, field in getattr(terms, "pairs", {}).items():
            # The pairs file: hashes, order and texts are its dictionary.
            entry = sizes.setdefault(name, {"terms": 0, "dictionary": 0, "postings": 0})
            entry["terms"] += field.terms
            entry["dictionary"] += field.dictionary_bytes()
            entry["postings"] += field.postings_bytes()
    return sizes


def file_sizes(folder: Path) -> dict[str, int]:
    """Bytes on disk by kind of file: postings, term dictionaries, each column (the
    stored documents, field lengths, ids...), and the rest."""
    sizes: dict[str, int] = {}
    for entry in folder.iterdir():
        if not entry.is_file():
            continue
        name = entry.name
        if name.startswith("MAIN_") and "." in name:
            kind = name.split(".", 1)[1]
            kind = {"pst": "postings (.pst)", "trm": "term dictionary (.trm)",
                    "seg": "segment (.seg)",
                    PAIRS_EXT[1:]: f"pairs ({PAIRS_EXT})"}.get(kind, kind)
        else:
            kind = "other"
        sizes[kind] = sizes.get(kind, 0) + entry.stat().st_size
    return sizes
