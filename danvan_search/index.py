"""The on-disk index: creating, opening, writing and reading documents.

A :class:`SearchIndex` wraps one Whoosh index directory plus a small ``danvan.json``
that records which format and analysis wrote it. Writers commit on success and cancel
on error, so an interrupted run leaves the index as it was at its last commit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from whoosh.index import FileIndex
from whoosh.query import Every
from whoosh.sorting import Count
from whoosh.util.filelock import try_for

from . import __version__, validation
from .assist import Acronyms
from .assistance import QueryAssistant
from .documents import Document
from .errors import (
    ArgumentTypeError,
    CorruptIndexError,
    DanvanError,
    DocumentNotFoundError,
    IncompatibleIndexError,
    IndexClosedError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    IndexWriteError,
    InvalidDocumentError,
    InvalidQueryError,
)
from .filters import FACET_FIELDS, facet_counts, facet_spec
from .normalization import has_lone_surrogates
from .query_syntax import prepare_query_text
from .ranking import DEFAULT_RANKING, Ranking
from .readers import DEFAULT_CACHED_POSTINGS, ReadingPool
from .schema import (
    LEAD_FIELDS,
    PAIR_FIELDS,
    STREAM_FIELDS,
    build_schema,
    document_bytes,
    document_record,
    index_metadata,
    metadata_fields,
)
from .searching import SearchResults, Sort, StoredDocument, run_search
from .segments import (
    ADVISE_MERGE_DOCUMENTS,
    ADVISE_MERGE_SEGMENTS,
    WorkerFailed,
    create_index,
    field_sizes,
    file_sizes,
    has_index,
    merge_everything,
    open_index,
    open_writer,
    remove_uncommitted,
)
from .storage import (
    reading,
    stored_document,
)

T = TypeVar("T")

METADATA_FILE = "danvan.json"
#: Runs with at least this many documents analyse them in one process per core.
PARALLEL_MIN_DOCUMENTS = 300
#: Documents handed to a worker process at a time.
PARALLEL_BATCH = 50
#: How long a writer waits for another writer to finish before giving up.
DEFAULT_LOCK_TIMEOUT = 10.0
#: Searchers an open index keeps at most: calls searching at once beyond it wait.
DEFAULT_SEARCHERS = 4


def _read_safely(method: Callable[..., T]) -> Callable[..., T]:
    """Run an index method with the index read safely (see :func:`storage.reading`):
    restricted unpickling, and damage reported as a :class:`CorruptIndexError`."""

    @functools.wraps(method)
    def read(self: SearchIndex, *args: Any, **kwargs: Any) -> T:
        with reading(self.path):
            return method(self, *args, **kwargs)

    return read


@dataclass
class IndexingReport:
    """What one indexing run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    #: Documents removed because their files are gone (``sync``).
    deleted: int = 0
    #: Inputs read with something repaired (a UTF-8 character cut at the end of a file).
    repaired: list[tuple[str, str]] = field(default_factory=list)  # (where, what)

    @property
    def written(self) -> int:
        return self.added + self.updated


@dataclass(frozen=True)
class IndexStats:
    """A summary of an index."""

    path: Path
    documents: int
    size_bytes: int
    format_version: int
    analysis_version: int
    #: Segments of the index (each adding run writes one or a few; see
    #: :meth:`SearchIndex.optimize`).
    segments: int = 0

    @property
    def merge_advised(self) -> bool:
        """Whether a query's first reading of the disk would be markedly faster with the
        segments merged into one (:meth:`SearchIndex.optimize`): a large index in
        several segments."""
        return (self.documents >= ADVISE_MERGE_DOCUMENTS
                and self.segments >= ADVISE_MERGE_SEGMENTS)


@dataclass(frozen=True)
class IndexSizes:
    """Where an index's bytes go (:meth:`SearchIndex.sizes`)."""

    #: Bytes on disk by kind of file (postings, term dictionary, each column...).
    files: Mapping[str, int]
    #: Per indexed field: ``terms``, ``dictionary`` bytes, ``postings`` bytes.
    fields: Mapping[str, Mapping[str, int]]


class SearchIndex:
    """A Vietnamese full-text index on disk.

    >>> ix = SearchIndex.create("indexes/news")          # doctest: +SKIP
    >>> ix.add([{"id": "1", "body": "Ban Dân vận Tỉnh ủy"}])  # doctest: +SKIP
    1
    >>> [hit.id for hit in ix.search("dan van")]           # doctest: +SKIP
    ['1']
    """

    def __init__(
        self,
        path: Path,
        whoosh_ix: FileIndex,
        lock_timeout: float,
        acronyms: Acronyms | str | os.PathLike[str] | None = None,
        searchers: int = DEFAULT_SEARCHERS,
        ranking: Ranking = DEFAULT_RANKING,
        cached_postings: int = DEFAULT_CACHED_POSTINGS,
    ) -> None:
        self.path = path
        #: How results are ranked (see :class:`~danvan_search.ranking.Ranking`).
        self.ranking = ranking
        self._ix = whoosh_ix
        self.lock_timeout = lock_timeout
        #: Acronyms expanded at query time: the built-in table, plus a file or table given.
        self.acronyms = _acronyms(acronyms)
        # Searchers lent to one call at a time (Whoosh searchers are not meant to be
        # shared across threads), kept between calls: reopening one for every query
        # would cost more than the query.
        self._readings = ReadingPool(whoosh_ix, searchers, str(path), ranking.weighting(),
                                     cached_postings)

    # --- opening ---------------------------------------------------------------------

    @staticmethod
    def exists(path: str | os.PathLike[str]) -> bool:
        """True when ``path`` holds a danvan-search index (or what is left of one: a
        damaged index exists too, and opening it says how to rebuild it)."""
        if _cluster_location(path):
            from .opensearch_index import OpenSearchIndex

            return OpenSearchIndex.exists(path)  # type: ignore[arg-type]
        path = validation.path_value("path", path)
        # Without reading the index: its files are checked when it is opened.
        return (path / METADATA_FILE).is_file() or has_index(path)

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        overwrite: bool = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        acronyms: Acronyms | str | os.PathLike[str] | None = None,
        searchers: int = DEFAULT_SEARCHERS,
        ranking: Ranking = DEFAULT_RANKING,
        cached_postings: int = DEFAULT_CACHED_POSTINGS,
    ) -> SearchIndex:
        """Create an empty index at ``path`` (the directory is made if needed).

        Raises :class:`IndexExistsError` when an index is already there, unless
        ``overwrite`` is true, in which case the old index is deleted first.
        ``opensearch://HOST:PORT/NAME`` creates an index on an OpenSearch cluster (see
        :class:`~danvan_search.opensearch_index.OpenSearchIndex`).
        """
        if _cluster_location(path):
            from .opensearch_index import OpenSearchIndex

            return OpenSearchIndex.create(path, overwrite, acronyms=acronyms,  # type: ignore
                                          ranking=ranking)
        path = validation.path_value("path", path)
        overwrite = validation.flag("overwrite", overwrite)
        lock_timeout = validation.seconds("lock_timeout", lock_timeout)
        searchers = validation.integer("searchers", searchers, minimum=1)
        cached_postings = validation.integer("cached_postings", cached_postings, minimum=1)
        validation.instance("ranking", ranking, Ranking, "a Ranking")
        if cls.exists(path) or (path.is_dir() and has_index(path)):
            if not overwrite:
                raise IndexExistsError(
                    f"an index already exists at {path}: open it with SearchIndex.open, "
                    "or pass overwrite=True (CLI: --overwrite) to replace it"
                )
            shutil.rmtree(path)
        made = not path.exists()
        try:
            path.mkdir(parents=True, exist_ok=True)
            before = set(os.listdir(path))
            meta = {**index_metadata(), "created_by": f"danvan-search {__version__}"}
            (path / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n",
                                              encoding="utf-8")
            with reading(path):
                whoosh_ix = create_index(path, build_schema())
        except OSError as error:
            # Nothing half-made stays behind (a disk full): the next run starts afresh.
            if made:
                shutil.rmtree(path, ignore_errors=True)
            elif path.is_dir():
                for name in set(os.listdir(path)) - before:
                    (path / name).unlink(missing_ok=True)
            raise IndexWriteError(
                error.errno or 0,
                f"cannot create an index at {path} ({error.strerror or error}); "
                "free some space, or fix what the error says, and run again",
            ) from error
        return cls(path, whoosh_ix, lock_timeout, acronyms, searchers, ranking,
                   cached_postings)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        acronyms: Acronyms | str | os.PathLike[str] | None = None,
        searchers: int = DEFAULT_SEARCHERS,
        ranking: Ranking = DEFAULT_RANKING,
        cached_postings: int = DEFAULT_CACHED_POSTINGS,
    ) -> SearchIndex:
        """Open an existing index.

        ``acronyms``: more acronyms to expand in queries, as an :class:`Acronyms` table
        or the path of a file of ``ACRONYM<TAB>expansion`` lines (added to the built-in
        table). ``searchers``: how many searchers the index keeps open at most, each
        used by one call at a time (calls beyond it wait for one). ``cached_postings``:
        how many postings each searcher keeps decoded between queries, 12 bytes each
        (the default, 32 million, is at most 384 MB a searcher; see the README on
        collections of 80,000 articles). ``lock_timeout``:
        seconds a writer waits for another to finish. ``ranking``: the weights of the
        ranking features (the default was chosen on four collections together). Raises
        :class:`IndexNotFoundError` when there is no index, and
        :class:`IncompatibleIndexError` when it was written by an incompatible version.
        ``opensearch://HOST:PORT/NAME`` opens an index on an OpenSearch cluster (see
        :class:`~danvan_search.opensearch_index.OpenSearchIndex`).
        """
        if _cluster_location(path):
            from .opensearch_index import OpenSearchIndex

            return OpenSearchIndex.open(path, acronyms=acronyms, ranking=ranking)  # type: ignore
        path = validation.path_value("path", path)
        lock_timeout = validation.seconds("lock_timeout", lock_timeout)
        searchers = validation.integer("searchers", searchers, minimum=1)
        cached_postings = validation.integer("cached_postings", cached_postings, minimum=1)
        validation.instance("ranking", ranking, Ranking, "a Ranking")
        if not cls.exists(path):
            raise IndexNotFoundError(
                f"no index at {path}: create one with `danvan-search index --index {path} "
                "FILES...` or SearchIndex.create()"
            )
        _check_compatible(path)  # before reading anything else: an older format says so
        with reading(path):
            whoosh_ix = open_index(path, build_schema())
        return cls(path, whoosh_ix, lock_timeout, acronyms, searchers, ranking,
                   cached_postings)

    def close(self) -> None:
        """Close the searchers (one still in use closes when its call returns); using
        the index afterwards raises :class:`IndexClosedError`."""
        self._readings.close()
        self._ix.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SearchIndex({str(self.path)!r})"

    # --- writing ---------------------------------------------------------------------

    @contextmanager
    def _writing(self, procs: int = 1, merge: Any = None) -> Iterator[_Batch]:
        """A writer that commits what the block wrote when it ends, if it wrote anything
        (otherwise no new generation), and cancels on any error or interrupt."""
        if self._readings.closed:
            raise IndexClosedError(f"index {self.path} is closed; open it again to write")
        # Segments as separate files, not one compound file: Whoosh copies a compound
        # file's postings into memory when a searcher opens it (440 MB for 12.5k
        # articles), while separate files are read through the OS cache.
        options: dict[str, Any] = {"compound": False}
        if procs > 1:
            # Each worker process analyses its share and writes a segment of its own: the
            # CRF, the bulk of the work, runs on every core.
            options.update(batchsize=PARALLEL_BATCH)
        # The lock is held here, not by Whoosh's writer: a writer that fails while it is
        # being made (a full disk) would keep it, and the next one would wait in vain.
        lock = self._ix.lock("WRITELOCK")
        if not try_for(lock.acquire, timeout=self.lock_timeout, delay=0.1):
            raise IndexLockedError(
                f"index {self.path} is locked by another writer that did not finish within "
                f"{self.lock_timeout:g} s; wait for it and try again"
            )
        try:
            # An index object of its own: its storage holds every file the writer opens,
            # to close them all if it fails.
            ix = open_index(self.path, build_schema(), for_writing=True)
            try:
                writer = open_writer(ix, procs, _lk=False, **options)
                if merge is not None:
                    writer.mergetype = merge
            except OSError as error:
                remove_uncommitted(ix.storage, ix.schema, ix.indexname)
                raise self._write_error(error) from error
            batch = _Batch(writer)
            try:
                yield batch
                if batch.changed:
                    writer.commit()
                else:
                    writer.cancel()
            except BaseException as error:
                # Also on KeyboardInterrupt: the index keeps its last committed state,
                # and the files of this run are removed before the lock is released.
                if not writer.is_closed:
                    writer.cancel()
                if isinstance(error, (OSError, WorkerFailed)) and not isinstance(
                    error, DanvanError
                ):
                    raise self._write_error(error) from error
                raise
        finally:
            lock.release()

    def _write_error(self, error: OSError | WorkerFailed) -> IndexWriteError:
        if isinstance(error, WorkerFailed) and error.errno is None:
            return IndexWriteError(
                0, f"indexing into {self.path} failed in a worker process ({error}); the "
                "index keeps its last commit"
            )
        reason = error.strerror or str(error)
        advice = "free some space" if error.errno == errno.ENOSPC else "fix what stopped it"
        return IndexWriteError(
            error.errno or 0,
            f"cannot write to index {self.path} ({reason}); it keeps its last commit: "
            f"{advice} and run again",
        )

    def add(
        self, documents: Iterable[Document | Mapping[str, Any]], *, pages: bool = False
    ) -> int:
        """Index documents (dicts or :class:`Document`); return how many were written.

        A document whose id is already in the index replaces it; one that is identical
        to what the index holds is not written again. With ``pages``, each body is read
        as a page copied from a site (:meth:`Document.from_page`: cleaned, metadata
        found where not given), as the command line reads files. Raises
        :class:`InvalidDocumentError` on the first invalid document, before committing
        anything; use :meth:`index_documents` to skip and report bad ones instead.
        """
        return self.index_documents(documents, skip_invalid=False, pages=pages).written

    @_read_safely
    def index_documents(
        self,
        documents: Iterable[Document | Mapping[str, Any] | tuple[str, Exception]],
        *,
        pages: bool = False,
        skip_invalid: bool = True,
        on_document: Callable[[], object] | None = None,
        procs: int | None = None,
    ) -> IndexingReport:
        """Index documents in one commit and report what happened to each.

        Items may also be ``(where, error)`` pairs from a reader that could not make a
        document out of its input: they are recorded as skipped
        (``(where, warning)`` pairs as repaired). ``pages``: as
        in :meth:`add`. With ``skip_invalid``, an invalid document is skipped and reported
        instead of raising. ``on_document`` is called once for each item done (written,
        unchanged or skipped). ``procs`` is the number of processes that analyse
        documents; by default one per core when there are more than a few hundred
        documents. Nothing is committed when nothing changed.
        """
        skip_invalid, pages, procs = validation.indexing_options(
            documents, skip_invalid, pages, procs, on_document
        )
        report = IndexingReport()
        known: dict[str, str] | None = None
        items: Iterator[Any] = iter(documents)
        if procs is None:
            procs, items = worker_processes(items)
        done = on_document or _nothing
        pending: Iterator[Document] | None = documents_to_index(items, report, skip_invalid,
                                                                  done)
        step = _Step(report, pages, done)
        while pending is not None:
            with self._writing(procs) as batch:
                if known is None:  # read with the lock held: no commit can change it
                    known = self._known_hashes()
                pending = self._write(batch, pending, known, step)
        return report

    def index_sources(
        self,
        sources: Sequence[str | os.PathLike[str]],
        *,
        sync: bool = False,
        on_document: Callable[[], object] | None = None,
        procs: int | None = None,
        stdin: BinaryIO | None = None,
    ) -> IndexingReport:
        """Index files as ``danvan-search index`` does: a text file is a page (see
        :meth:`Document.from_page`) whose id is its absolute path; a ``.jsonl`` file
        holds one document a line; a directory is read recursively; ``-`` is JSONL on
        ``stdin``. Bad inputs are skipped and reported.

        With ``sync``, the documents of text files below a directory among ``sources``
        whose files no longer exist are deleted too (counted in ``deleted``).
        """
        from .ingestion import read_sources, vanished_files

        names = validation.paths("sources", sources)
        sync = validation.flag("sync", sync)
        report = self.index_documents(read_sources(names, stdin=stdin),
                                      on_document=on_document, procs=procs)
        if sync:
            gone = vanished_files(names, self._ids_below)
            if gone:
                report.deleted = self.delete(gone)
        return report

    @classmethod
    def build(
        cls,
        path: str | os.PathLike[str],
        sources: Sequence[str | os.PathLike[str]],
        *,
        overwrite: bool = False,
        sync: bool = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        on_document: Callable[[], object] | None = None,
        stdin: BinaryIO | None = None,
    ) -> IndexingReport:
        """:meth:`index_sources` into the index at ``path``, made if missing: what
        ``danvan-search index`` runs. A new index is built aside and put in place only
        when a document was indexed, so a run that indexes nothing leaves no empty
        index; with ``overwrite``, the index at ``path`` stays as it was until the new
        one is complete (and if nothing was indexed).
        """
        if _cluster_location(path):
            from .opensearch_index import OpenSearchIndex

            return OpenSearchIndex.build(path, sources, overwrite=overwrite,  # type: ignore
                                         sync=sync, on_document=on_document, stdin=stdin)
        path = validation.path_value("path", path)
        overwrite = validation.flag("overwrite", overwrite)
        lock_timeout = validation.seconds("lock_timeout", lock_timeout)
        if not overwrite and cls.exists(path):
            with cls.open(path, lock_timeout=lock_timeout) as ix:
                return ix.index_sources(sources, sync=sync, on_document=on_document,
                                        stdin=stdin)
        if path.exists() and not _replaceable(path):
            raise IndexExistsError(
                f"{path} exists and holds something other than an index; give a new or "
                "empty directory for the index"
            )
        made = [parent for parent in path.absolute().parents if not parent.exists()]
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.new-", dir=path.parent))
        report = IndexingReport()
        try:
            with cls.create(staging, lock_timeout=lock_timeout) as ix:
                report = ix.index_sources(sources, on_document=on_document, stdin=stdin)
            if report.written:
                _replace_directory(staging, path)
        except IndexWriteError as error:
            # The index is built aside: say so of the index asked for, as it is.
            cause = error.__cause__
            reason = getattr(cause, "strerror", None) or str(cause or error)
            kept = "it is as it was" if cls.exists(path) else "none was made"
            advice = "free some space" if error.errno == errno.ENOSPC else "fix what stopped it"
            raise IndexWriteError(
                error.errno or 0,
                f"cannot build the index at {path} ({reason}); {kept}: {advice} and run again",
            ) from error
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            if not report.written:
                for parent in made:  # innermost first; only if still empty
                    with contextlib.suppress(OSError):
                        parent.rmdir()
        return report

    def _write(
        self,
        batch: _Batch,
        documents: Iterator[Document],
        known: dict[str, str],
        step: _Step,
    ) -> Iterator[Document] | None:
        """Write documents until they run out (None) or until one repeats an id
        written by this same writer, which cannot replace what it has not committed: the
        rest, that document first, is returned for a writer of its own."""
        written: set[str] = set()
        report = step.report
        for doc in documents:
            if doc.id in written:
                return chain([doc], documents)
            if step.pages:
                doc = doc.page_read()
            digest = doc.content_hash()
            previous = known.get(doc.id)
            if previous == digest:
                report.unchanged += 1
            elif previous is None:
                batch.writer.add_document(**_fields(doc, digest))
                report.added += 1
            else:
                batch.writer.update_document(**_fields(doc, digest))
                report.updated += 1
            if previous != digest:
                batch.changed = True
                known[doc.id] = digest
                written.add(doc.id)
            step.done()
        return None

    @_read_safely
    def delete(self, ids: str | Iterable[str]) -> int:
        """Delete documents by id (one id, or several); return how many were in the
        index. Nothing is committed when none was."""
        ids = validation.document_ids("ids", ids)
        deleted = 0
        with self._writing() as batch:
            for doc_id in ids:
                if not has_lone_surrogates(doc_id):  # (one is never indexed: not text)
                    deleted += batch.writer.delete_by_term("id", doc_id)
            batch.changed = deleted > 0
        return deleted

    @_read_safely
    def optimize(self) -> int:
        """Merge every segment into one (documents deleted or replaced are dropped on
        the way); return how many segments there were.

        Commits merge segments on their own (a few per tier of size, see
        :func:`danvan_search.segments.segments_to_merge`), so an index written in many
        runs stays fast to search; this merges what is left, at the cost of rewriting
        the whole index (minutes for tens of thousands of articles). Searchers keep
        reading the segments they opened until their next query.
        """
        with self._writing(merge=merge_everything) as batch:
            before = len(batch.writer.segments)
            # A single segment is rewritten only to drop deleted documents.
            batch.changed = before > 1 or any(
                s.has_deletions() for s in batch.writer.segments
            )
        return before

    def _known_hashes(self) -> dict[str, str]:
        with self._ix.reader() as reader:
            if reader.doc_count() == 0:
                return {}
            ids, hashes = reader.column_reader("id"), reader.column_reader("content_hash")
            return {ids[n]: hashes[n] for n in reader.all_doc_ids()}

    # --- reading ---------------------------------------------------------------------

    @_read_safely
    def __len__(self) -> int:
        with self._readings.borrow() as reading:
            return reading.searcher.doc_count()

    @_read_safely
    def __contains__(self, doc_id: object) -> bool:
        if not isinstance(doc_id, str) or has_lone_surrogates(doc_id):
            return False
        with self._readings.borrow() as reading:
            return reading.searcher.document_number(id=doc_id) is not None

    @_read_safely
    def get(self, doc_id: str) -> StoredDocument:
        """The stored document with this id; :class:`DocumentNotFoundError` if absent."""
        if not isinstance(doc_id, str):
            raise ArgumentTypeError(f"doc_id must be a string, not {type(doc_id).__name__}")
        docnum = None
        with self._readings.borrow() as reading:
            searcher = reading.searcher
            if not has_lone_surrogates(doc_id):
                docnum = searcher.document_number(id=doc_id)
            if docnum is not None:
                return StoredDocument.from_stored(stored_document(searcher.reader(), docnum))
        raise DocumentNotFoundError(f"no document with id {doc_id!r} in {self.path}")

    @_read_safely
    def ids(self) -> list[str]:
        """Every document's id, sorted."""
        return self._ids_below("")

    def _ids_below(self, prefix: str) -> list[str]:
        with self._readings.borrow() as reading:
            searcher = reading.searcher
            candidates = [term.decode("utf-8") if isinstance(term, bytes) else term
                          for term in searcher.reader().expand_prefix("id", prefix)]
            # Terms outlive their documents until segments merge: keep the live ones.
            return sorted(i for i in candidates if searcher.document_number(id=i) is not None)

    @_read_safely
    def stats(self) -> IndexStats:
        meta = index_metadata()
        size = sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())
        with self._readings.borrow() as reading:
            documents = reading.searcher.doc_count()
        segments = len(self._ix._segments())
        return IndexStats(self.path, documents, size, meta["format_version"],
                          meta["analysis_version"], segments)

    @_read_safely
    def sizes(self) -> IndexSizes:
        """Where the index's bytes go: by kind of file, and per field (terms, term
        dictionary, postings). Reads every term once: seconds on a large index."""
        with self._readings.borrow() as reading:
            fields = field_sizes(reading.searcher.reader())
        return IndexSizes(file_sizes(self.path), fields)

    @_read_safely
    def search(
        self,
        query: str | None,
        limit: int = 10,
        *,
        offset: int = 0,
        page: int | None = None,
        since: str | dt.date | None = None,
        until: str | dt.date | None = None,
        source: str | Sequence[str] | None = None,
        place: str | Sequence[str] | None = None,
        cites: str | Sequence[str] | None = None,
        sort: Sort = "relevance",
        facets: bool = False,
        exact: bool = False,
    ) -> SearchResults:
        """Run a ranked query; return ``limit`` hits, after the first ``offset`` (or on
        ``page``, counted from 1: ``offset = (page - 1) * limit``).

        ``since``/``until``: ISO dates (``2021-03-05``), a year (``2021``) or a month
        (``2021-03``), or :class:`datetime.date`; inclusive (``until="2021"`` ends on
        2021-12-31). ``source``, ``place``, ``cites``: a value or a list. ``sort="date"``:
        newest first. ``facets=True``: counts by year, source, place, cited document.
        ``exact=True``: no query assistance. See
        :func:`danvan_search.searching.run_search`.
        """
        if page is not None:
            if offset:
                raise InvalidQueryError("search(): give offset or page, not both")
            if isinstance(page, bool) or not isinstance(page, int):
                raise ArgumentTypeError(f"search(): page must be an integer, not {page!r}")
            if page < 1:
                raise InvalidQueryError(f"search(): page counts from 1, not {page!r}")
            with validation.for_call("search()", InvalidQueryError):
                limit = validation.integer("limit", limit, minimum=1)
            offset = (page - 1) * limit
        with self._readings.borrow() as reading:
            return run_search(
                reading.searcher, query, limit, offset=offset, since=since, until=until,
                source=source, place=place, cites=cites, sort=sort, facets=facets,
                exact=exact, acronyms=self.acronyms, scorer=reading.scorer(),
                lexicon=reading.lexicon, ranking=self.ranking,
            )

    @_read_safely
    def suggest(self, query: str) -> str | None:
        """A better form of ``query`` (accents restored, keystrokes decoded, unknown
        words corrected), or None when it needs no help."""
        text = prepare_query_text(query)
        with self._readings.borrow() as reading:
            assistant = QueryAssistant(reading.searcher, lexicon=reading.lexicon,
                                       scorer=reading.scorer())
            return assistant.assist(text).suggestion

    @_read_safely
    def facets(self) -> Mapping[str, tuple[tuple[str, int], ...]]:
        """Facet counts (year, source, place, cited document) over the whole index."""
        with self._readings.borrow() as reading:
            results = reading.searcher.search(Every(), limit=1, groupedby=facet_spec(),
                                              maptype=Count)
            return facet_counts({name: results.groups(name) for name in FACET_FIELDS})


def _cluster_location(path: object) -> bool:
    """Whether ``path`` names an index on an OpenSearch cluster, not a directory."""
    return isinstance(path, str) and path.startswith("opensearch://")


def _nothing() -> None:
    pass


def worker_processes(items: Iterator[Any]) -> tuple[int, Iterator[Any]]:
    """How many processes should analyse ``items``, and the items: worker processes
    only pay off for many documents, so the first :data:`PARALLEL_MIN_DOCUMENTS` are read
    ahead to tell (one process per core if there are that many, else one)."""
    head = list(islice(items, PARALLEL_MIN_DOCUMENTS))
    procs = (os.cpu_count() or 1) if len(head) == PARALLEL_MIN_DOCUMENTS else 1
    return procs, chain(head, items)


def documents_to_index(
    items: Iterator[Any], report: IndexingReport, skip_invalid: bool,
    done: Callable[[], object],
) -> Iterator[Document]:
    """The documents of ``items`` (:class:`Document` objects or dicts), in order, for
    either backend's writer. A reader's ``(where, error)`` pair is recorded in ``report``
    as skipped (``(where, warning)`` as repaired: its document follows), and so is an
    invalid document unless not ``skip_invalid`` (then it raises); ``done`` is called
    for each item skipped."""
    for item in items:
        if isinstance(item, tuple):
            where, why = item
            if isinstance(why, Warning):  # read, with a repair; its document follows
                report.repaired.append((where, str(why)))
                continue
            report.skipped.append((where, str(why)))
            done()
            continue
        try:
            doc = item if isinstance(item, Document) else Document.from_dict(item)
        except InvalidDocumentError as error:
            if not skip_invalid:
                raise
            report.skipped.append((str(_describe(item)), str(error)))
            done()
            continue
        yield doc


@dataclass(frozen=True)
class _Step:
    """How one indexing run treats each document."""

    report: IndexingReport
    pages: bool
    done: Callable[[], object]


class _Batch:
    """A writer, and whether anything was written through it."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self.changed = False


def _replaceable(path: Path) -> bool:
    """Whether ``path`` may be replaced by a new index: an index (damaged ones too), or
    an empty directory."""
    return path.is_dir() and (SearchIndex.exists(path) or not any(path.iterdir()))


def _replace_directory(new: Path, path: Path) -> None:
    """Put the directory ``new`` where ``path`` is, the old one (if any) removed after."""
    if path.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
        path.rename(old / path.name)
        new.rename(path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(path)


def _acronyms(extra: Acronyms | str | os.PathLike[str] | None) -> Acronyms:
    table = Acronyms.builtin()
    if extra is None:
        return table
    if not isinstance(extra, (Acronyms, str, os.PathLike)):
        raise ArgumentTypeError(
            f"acronyms must be an Acronyms table or the path of a file, not "
            f"{type(extra).__name__}"
        )
    return table.merged(extra if isinstance(extra, Acronyms) else Acronyms.from_file(extra))


def _rebuild_hint(path: Path) -> str:
    return f"rebuild it with `danvan-search index --index {path} --overwrite FILES...`"


def _check_compatible(path: Path) -> None:
    try:
        meta = json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CorruptIndexError(
            f"cannot read {path / METADATA_FILE} ({error}); {_rebuild_hint(path)}"
        ) from None
    if not isinstance(meta, dict):
        raise CorruptIndexError(
            f"{path / METADATA_FILE} holds a JSON {type(meta).__name__}, not the object "
            f"danvan-search writes; {_rebuild_hint(path)}"
        )
    expected = index_metadata()
    found = {key: meta.get(key) for key in expected}
    if found != expected:
        raise IncompatibleIndexError(
            f"index {path} was written by {meta.get('created_by', 'another version')} "
            f"(format {found['format_version']}, analysis {found['analysis_version']}); this "
            f"version needs format {expected['format_version']}, analysis "
            f"{expected['analysis_version']}. Rebuild it: "
            f"`danvan-search index --index {path} --overwrite FILES...`"
        )


def _describe(item: object) -> object:
    if isinstance(item, Mapping) and "id" in item:
        return f"document {item['id']!r}"
    return "document"


def _fields(doc: Document, digest: str) -> dict[str, Any]:
    """Whoosh fields of a document: each text analysed once, fed to both its streams."""
    fields: dict[str, Any] = {"id": doc.id, "content_hash": digest}
    for name, text in (("title", doc.title), ("body", doc.body)):
        if text:
            # The same string for every stream: the analyzer segments it once.
            for field in (*STREAM_FIELDS[name], *PAIR_FIELDS[name]):
                fields[field] = text
            if name == "body":
                fields.update(dict.fromkeys(LEAD_FIELDS, text))
    for name, value in metadata_fields(doc).items():
        # Whoosh's KEYWORD fields take many values as one comma-separated string.
        fields[name] = ",".join(value) if isinstance(value, list) else value
    fields["doc"] = document_bytes(document_record(doc, digest))
    return fields
