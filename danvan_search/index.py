"""The on-disk index: creating, opening, writing and reading documents.

A :class:`SearchIndex` wraps one Whoosh index directory plus a small ``danvan.json``
that records which format and analysis wrote it. Writers commit on success and cancel
on error, so an interrupted run leaves the index as it was at its last commit.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any

from whoosh.index import FileIndex, LockError
from whoosh.query import Every
from whoosh.sorting import Count

from . import __version__
from .assist import Acronyms
from .assistance import QueryAssistant
from .documents import Document
from .errors import (
    DocumentNotFoundError,
    IncompatibleIndexError,
    IndexClosedError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    InvalidDocumentError,
)
from .filters import FACET_FIELDS, facet_counts, facet_spec, filter_value, place_filter_names
from .metadata import normalize_code
from .query import prepare_query_text
from .readers import ReadingPool
from .schema import build_schema, index_metadata
from .searching import SearchResults, StoredDocument, run_search
from .segments import create_index, has_index, open_index, open_writer

METADATA_FILE = "danvan.json"
#: Runs with at least this many documents analyse them in one process per core.
PARALLEL_MIN_DOCUMENTS = 300
#: Documents handed to a worker process at a time.
PARALLEL_BATCH = 50
#: How long a writer waits for another writer to finish before giving up.
DEFAULT_LOCK_TIMEOUT = 10.0
#: Searchers an open index keeps at most: calls searching at once beyond it wait.
DEFAULT_SEARCHERS = 4


class _Batch:
    """A writer, and whether anything was written through it."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self.changed = False


@dataclass
class IndexingReport:
    """What one indexing run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, why)

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
    ) -> None:
        self.path = path
        self._ix = whoosh_ix
        self.lock_timeout = lock_timeout
        #: Acronyms expanded at query time: the built-in table, plus a file or table given.
        self.acronyms = _acronyms(acronyms)
        # Searchers lent to one call at a time (Whoosh searchers are not meant to be
        # shared across threads), kept between calls: reopening one for every query
        # would cost more than the query.
        self._readings = ReadingPool(whoosh_ix, searchers, str(path))

    # --- opening ---------------------------------------------------------------------

    @staticmethod
    def exists(path: str | os.PathLike[str]) -> bool:
        """True when ``path`` holds a danvan-search index."""
        path = Path(path)
        return (path / METADATA_FILE).is_file() and has_index(path)

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        overwrite: bool = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        acronyms: Acronyms | str | os.PathLike[str] | None = None,
        searchers: int = DEFAULT_SEARCHERS,
    ) -> SearchIndex:
        """Create an empty index at ``path`` (the directory is made if needed).

        Raises :class:`IndexExistsError` when an index is already there, unless
        ``overwrite`` is true, in which case the old index is deleted first.
        """
        path = Path(path)
        if cls.exists(path) or (path.is_dir() and has_index(path)):
            if not overwrite:
                raise IndexExistsError(
                    f"an index already exists at {path}: open it with SearchIndex.open, "
                    "or pass overwrite=True (CLI: --overwrite) to replace it"
                )
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        whoosh_ix = create_index(path, build_schema())
        meta = {**index_metadata(), "created_by": f"danvan-search {__version__}"}
        (path / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return cls(path, whoosh_ix, lock_timeout, acronyms, searchers)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        acronyms: Acronyms | str | os.PathLike[str] | None = None,
        searchers: int = DEFAULT_SEARCHERS,
    ) -> SearchIndex:
        """Open an existing index.

        ``acronyms``: more acronyms to expand in queries, as an :class:`Acronyms` table
        or the path of a file of ``ACRONYM<TAB>expansion`` lines (added to the built-in
        table). ``searchers``: how many searchers the index keeps open at most, each
        used by one call at a time (calls beyond it wait for one). ``lock_timeout``:
        seconds a writer waits for another to finish. Raises
        :class:`IndexNotFoundError` when there is no index, and
        :class:`IncompatibleIndexError` when it was written by an incompatible version.
        """
        path = Path(path)
        if not cls.exists(path):
            raise IndexNotFoundError(
                f"no index at {path}: create one with `danvan-search index --index {path} "
                "FILES...` or SearchIndex.create()"
            )
        _check_compatible(path)
        return cls(path, open_index(path), lock_timeout, acronyms, searchers)

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
    def _writing(self, procs: int = 1) -> Iterator[_Batch]:
        """A writer that commits what the block wrote when it ends, if it wrote anything
        (otherwise no new generation), and cancels on any error or interrupt."""
        if self._readings.closed:
            raise IndexClosedError(f"index {self.path} is closed; open it again to write")
        # Segments as separate files, not one compound file: Whoosh copies a compound
        # file's postings into memory when a searcher opens it (440 MB for 12.5k
        # articles), while separate files are read through the OS cache.
        options: dict[str, Any] = {"timeout": self.lock_timeout, "compound": False}
        if procs > 1:
            # Each worker process analyses its share and writes a segment of its own: the
            # CRF, the bulk of the work, runs on every core.
            options.update(batchsize=PARALLEL_BATCH)
        try:
            writer = open_writer(self._ix, procs, **options)
        except LockError:
            raise IndexLockedError(
                f"index {self.path} is locked by another writer that did not finish within "
                f"{self.lock_timeout:g} s; wait for it and try again"
            ) from None
        batch = _Batch(writer)
        try:
            yield batch
            if batch.changed:
                writer.commit()
            else:
                writer.cancel()
        except BaseException:
            # Also on KeyboardInterrupt: keep the last committed state.
            if not writer.is_closed:
                writer.cancel()
            raise

    def add(self, documents: Iterable[Document | Mapping[str, Any]]) -> int:
        """Index documents (dicts or :class:`Document`); return how many were written.

        A document whose id is already in the index replaces it; one that is identical
        to what the index holds is not written again. Raises
        :class:`InvalidDocumentError` on the first invalid document, before committing
        anything; use :meth:`index_documents` to skip and report bad ones instead.
        """
        return self.index_documents(documents, skip_invalid=False).written

    def index_documents(
        self,
        documents: Iterable[Document | Mapping[str, Any] | tuple[str, Exception]],
        *,
        skip_invalid: bool = True,
        on_document: Callable[[], None] | None = None,
        procs: int | None = None,
    ) -> IndexingReport:
        """Index documents in one commit and report what happened to each.

        Items may also be ``(where, error)`` pairs from a reader that could not make a
        document out of its input: they are recorded as skipped. With ``skip_invalid``,
        an invalid document is skipped and reported instead of raising. ``procs`` is the
        number of processes that analyse documents; by default one per core when there
        are more than a few hundred documents.
        """
        report = IndexingReport()
        known: dict[str, str] | None = None
        pending: Iterator[Any] | None = iter(documents)
        if procs is None:  # look ahead: worker processes only pay off for many documents
            head = list(islice(pending, PARALLEL_MIN_DOCUMENTS))
            many = len(head) == PARALLEL_MIN_DOCUMENTS
            procs = (os.cpu_count() or 1) if many else 1
            pending = chain(head, pending)
        while pending is not None:
            with self._writing(procs) as batch:
                if known is None:  # read with the lock held: no commit can change it
                    known = self._known_hashes()
                pending = self._write(batch, pending, known, report, skip_invalid, on_document)
        return report

    def _write(
        self,
        batch: _Batch,
        items: Iterator[Any],
        known: dict[str, str],
        report: IndexingReport,
        skip_invalid: bool,
        on_document: Callable[[], None] | None,
    ) -> Iterator[Any] | None:
        """Write items until they run out (None) or until a document repeats an id
        written by this same writer, which cannot replace what it has not committed: the
        rest, that document first, is returned for a writer of its own."""
        written: set[str] = set()
        for item in items:
            if isinstance(item, tuple):
                report.skipped.append((item[0], str(item[1])))
                continue
            try:
                doc = item if isinstance(item, Document) else Document.from_dict(item)
            except InvalidDocumentError as error:
                if not skip_invalid:
                    raise
                report.skipped.append((str(_describe(item)), str(error)))
                continue
            if doc.id in written:
                return chain([doc], items)
            if on_document is not None:
                on_document()
            digest = doc.content_hash()
            previous = known.get(doc.id)
            if previous == digest:
                report.unchanged += 1
                continue
            if previous is None:
                batch.writer.add_document(**_fields(doc, digest))
                report.added += 1
            else:
                batch.writer.update_document(**_fields(doc, digest))
                report.updated += 1
            batch.changed = True
            known[doc.id] = digest
            written.add(doc.id)
        return None

    def delete(self, ids: str | Iterable[str]) -> int:
        """Delete documents by id (one id, or several); return how many were in the
        index. Nothing is committed when none was."""
        deleted = 0
        with self._writing() as batch:
            for doc_id in [ids] if isinstance(ids, str) else ids:
                deleted += batch.writer.delete_by_term("id", doc_id)
            batch.changed = deleted > 0
        return deleted

    def _known_hashes(self) -> dict[str, str]:
        with self._ix.reader() as reader:
            if reader.doc_count() == 0:
                return {}
            ids, hashes = reader.column_reader("id"), reader.column_reader("content_hash")
            return {ids[n]: hashes[n] for n in reader.all_doc_ids()}

    # --- reading ---------------------------------------------------------------------

    def __len__(self) -> int:
        with self._readings.borrow() as reading:
            return reading.searcher.doc_count()

    def __contains__(self, doc_id: object) -> bool:
        if not isinstance(doc_id, str):
            return False
        with self._readings.borrow() as reading:
            return reading.searcher.document_number(id=doc_id) is not None

    def get(self, doc_id: str) -> StoredDocument:
        """The stored document with this id; :class:`DocumentNotFoundError` if absent."""
        with self._readings.borrow() as reading:
            fields = reading.searcher.document(id=doc_id)
        if fields is None:
            raise DocumentNotFoundError(f"no document with id {doc_id!r} in {self.path}")
        return StoredDocument.from_stored(fields["doc"])

    def ids(self) -> list[str]:
        with self._readings.borrow() as reading:
            return sorted(fields["id"] for fields in reading.searcher.all_stored_fields())

    def stats(self) -> IndexStats:
        meta = index_metadata()
        size = sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())
        return IndexStats(self.path, len(self), size, meta["format_version"],
                          meta["analysis_version"])

    def search(self, query: str | None, limit: int = 10, **options: Any) -> SearchResults:
        """Run a ranked query.

        Options: ``since``, ``until`` (ISO dates or ``datetime.date``), ``source``,
        ``place``, ``cites`` (a value or a list), ``sort="date"``, ``facets=True``,
        ``exact=True`` (no query assistance); see
        :func:`danvan_search.searching.run_search`.
        """
        options.setdefault("acronyms", self.acronyms)
        with self._readings.borrow() as reading:
            return run_search(reading.searcher, query, limit=limit, scorer=reading.scorer(),
                              lexicon=reading.lexicon, **options)

    def suggest(self, query: str) -> str | None:
        """A better form of ``query`` (accents restored, keystrokes decoded, unknown
        words corrected), or None when it needs no help."""
        text = prepare_query_text(query)
        with self._readings.borrow() as reading:
            return QueryAssistant(reading.searcher.reader()).assist(text).suggestion

    def facets(self) -> Mapping[str, tuple[tuple[str, int], ...]]:
        """Facet counts (year, source, place, cited document) over the whole index."""
        with self._readings.borrow() as reading:
            results = reading.searcher.search(Every(), limit=1, groupedby=facet_spec(),
                                              maptype=Count)
            return facet_counts({name: results.groups(name) for name in FACET_FIELDS})


def _acronyms(extra: Acronyms | str | os.PathLike[str] | None) -> Acronyms:
    table = Acronyms.builtin()
    if extra is None:
        return table
    return table.merged(extra if isinstance(extra, Acronyms) else Acronyms.from_file(extra))


def _check_compatible(path: Path) -> None:
    try:
        meta = json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IncompatibleIndexError(
            f"cannot read {path / METADATA_FILE} ({error}); rebuild the index with "
            f"`danvan-search index --index {path} --overwrite FILES...`"
        ) from None
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
            # The same string object for both streams: the analyzer segments it once.
            fields[name] = fields[f"{name}_f"] = text
    if doc.date:
        fields["date"] = doc.iso_date
        fields["year"] = str(doc.date.year)
    if doc.source:
        fields["source"] = filter_value(doc.source)
        fields["source_name"] = doc.source
    if doc.places:
        fields["places"] = ",".join(filter_value(p) for p in place_filter_names(doc.places))
        fields["place_names"] = ",".join(doc.places)
    if doc.cites:
        fields["cites"] = ",".join(filter_value(normalize_code(c)) for c in doc.cites)
        fields["cite_codes"] = ",".join(normalize_code(c) for c in doc.cites)
    fields["doc"] = {
        "id": doc.id,
        "title": doc.title,
        "body": doc.body,
        "date": doc.iso_date,
        "source": doc.source,
        "url": doc.url,
        "author": doc.author,
        "places": list(doc.places),
        "cites": list(doc.cites),
        "extra": dict(doc.extra),
        "raw": doc.raw,
        "content_hash": digest,
    }
    return fields
