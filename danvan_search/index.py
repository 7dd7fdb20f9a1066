"""The on-disk index: creating, opening, writing and reading documents.

A :class:`SearchIndex` wraps one Whoosh index directory plus a small ``danvan.json``
that records which format and analysis wrote it. Writers commit on success and cancel
on error, so an interrupted run leaves the index as it was at its last commit.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh import index as whoosh_index
from whoosh.index import LockError
from whoosh.query import Every
from whoosh.searching import Searcher
from whoosh.sorting import Count

from . import __version__
from .assist import Acronyms
from .assistance import QueryAssistant
from .documents import Document
from .errors import (
    DocumentNotFoundError,
    IncompatibleIndexError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    InvalidDocumentError,
)
from .filters import FACET_FIELDS, facet_counts, facet_spec, filter_value, place_filter_names
from .metadata import normalize_code
from .query import Lexicon, prepare_query_text
from .schema import build_schema, index_metadata
from .searching import WEIGHTING, SearchResults, StoredDocument, run_search

if TYPE_CHECKING:
    from .scoring import ArrayScorer

METADATA_FILE = "danvan.json"
#: Runs with at least this many documents analyse them in one process per core.
PARALLEL_MIN_DOCUMENTS = 300
#: Documents handed to a worker process at a time.
PARALLEL_BATCH = 50
#: How long a writer waits for another writer to finish before giving up.
DEFAULT_LOCK_TIMEOUT = 10.0


class _Reading:
    """One thread's searcher, with what its queries read kept for as long as it lives:
    term statistics (for splitting queries) and, once it has ranked a query, the array
    scorer's postings."""

    def __init__(self, searcher: Searcher, generation: int) -> None:
        self.searcher = searcher
        self.generation = generation
        self._scorer: ArrayScorer | None = None
        self.lexicon = Lexicon(searcher.reader())

    def scorer(self) -> ArrayScorer:
        if self._scorer is None:
            from .scoring import ArrayScorer  # numpy: imported only to rank

            self._scorer = ArrayScorer(self.searcher)
        return self._scorer


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
        whoosh_ix: whoosh_index.Index,
        lock_timeout: float,
        acronyms: Acronyms | str | os.PathLike[str] | None = None,
    ) -> None:
        self.path = path
        self._ix = whoosh_ix
        self.lock_timeout = lock_timeout
        #: Acronyms expanded at query time: the built-in table, plus a file or table given.
        self.acronyms = _acronyms(acronyms)
        # One searcher per thread: Whoosh searchers are not meant to be shared across
        # threads, and reopening one for every query would cost more than the query.
        self._local = threading.local()
        self._searchers: list[Searcher] = []  # every thread's, to close them all
        self._searchers_lock = threading.Lock()

    # --- opening ---------------------------------------------------------------------

    @staticmethod
    def exists(path: str | os.PathLike[str]) -> bool:
        """True when ``path`` holds a danvan-search index."""
        path = Path(path)
        return (path / METADATA_FILE).is_file() and whoosh_index.exists_in(str(path))

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        overwrite: bool = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        acronyms: Acronyms | str | os.PathLike[str] | None = None,
    ) -> SearchIndex:
        """Create an empty index at ``path`` (the directory is made if needed).

        Raises :class:`IndexExistsError` when an index is already there, unless
        ``overwrite`` is true, in which case the old index is deleted first.
        """
        path = Path(path)
        if cls.exists(path) or (path.is_dir() and whoosh_index.exists_in(str(path))):
            if not overwrite:
                raise IndexExistsError(
                    f"an index already exists at {path}: open it with SearchIndex.open, "
                    "or pass overwrite=True (CLI: --overwrite) to replace it"
                )
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        whoosh_ix = whoosh_index.create_in(str(path), build_schema())
        meta = {**index_metadata(), "created_by": f"danvan-search {__version__}"}
        (path / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return cls(path, whoosh_ix, lock_timeout, acronyms)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        acronyms: Acronyms | str | os.PathLike[str] | None = None,
    ) -> SearchIndex:
        """Open an existing index.

        ``acronyms``: more acronyms to expand in queries, as an :class:`Acronyms` table
        or the path of a file of ``ACRONYM<TAB>expansion`` lines (added to the built-in
        table). Raises :class:`IndexNotFoundError` when there is no index, and
        :class:`IncompatibleIndexError` when it was written by an incompatible version.
        """
        path = Path(path)
        if not cls.exists(path):
            raise IndexNotFoundError(
                f"no index at {path}: create one with `danvan-search index --index {path} "
                "FILES...` or SearchIndex.create()"
            )
        _check_compatible(path)
        return cls(path, whoosh_index.open_dir(str(path)), lock_timeout, acronyms)

    def close(self) -> None:
        with self._searchers_lock:
            for searcher in self._searchers:
                searcher.close()
            self._searchers.clear()
        self._local = threading.local()
        self._ix.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SearchIndex({str(self.path)!r})"

    # --- writing ---------------------------------------------------------------------

    @contextmanager
    def _writer(self, procs: int = 1) -> Iterator[Any]:
        # Segments as separate files, not one compound file: Whoosh copies a compound
        # file's postings into memory when a searcher opens it (440 MB for 12.5k
        # articles), while separate files are read through the OS cache.
        options: dict[str, Any] = {"timeout": self.lock_timeout, "compound": False}
        if procs > 1:
            # Each worker process analyses its share and writes a segment of its own: the
            # CRF, the bulk of the work, runs on every core.
            options.update(procs=procs, multisegment=True, batchsize=PARALLEL_BATCH)
        try:
            writer = self._ix.writer(**options)
        except LockError:
            raise IndexLockedError(
                f"index {self.path} is locked by another writer that did not finish within "
                f"{self.lock_timeout:g} s; wait for it and try again"
            ) from None
        try:
            yield writer
        except BaseException:
            writer.cancel()  # also on KeyboardInterrupt: keep the last committed state
            raise
        writer.commit()

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
        known = self._known_hashes()
        pending: Iterator[Any] | None = iter(documents)
        if procs is None:  # look ahead: worker processes only pay off for many documents
            head = list(islice(pending, PARALLEL_MIN_DOCUMENTS))
            many = len(head) == PARALLEL_MIN_DOCUMENTS
            procs = (os.cpu_count() or 1) if many else 1
            pending = chain(head, pending)
        while pending is not None:
            with self._writer(procs) as writer:
                pending = self._write(writer, pending, known, report, skip_invalid, on_document)
        return report

    def _write(
        self,
        writer: Any,
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
                writer.add_document(**_fields(doc, digest))
                report.added += 1
            else:
                writer.update_document(**_fields(doc, digest))
                report.updated += 1
            known[doc.id] = digest
            written.add(doc.id)
        return None

    def delete(self, ids: Iterable[str]) -> int:
        """Delete documents by id; return how many were in the index."""
        deleted = 0
        with self._writer() as writer:
            for doc_id in ids:
                deleted += writer.delete_by_term("id", doc_id)
        return deleted

    def _known_hashes(self) -> dict[str, str]:
        with self._ix.reader() as reader:
            if reader.doc_count() == 0:
                return {}
            ids, hashes = reader.column_reader("id"), reader.column_reader("content_hash")
            return {ids[n]: hashes[n] for n in reader.all_doc_ids()}

    # --- reading ---------------------------------------------------------------------

    def _searcher(self) -> Searcher:
        return self._reading().searcher

    def _reading(self) -> _Reading:
        reading: _Reading | None = getattr(self._local, "reading", None)
        latest = self._ix.latest_generation()
        if reading is not None and reading.generation == latest:
            return reading
        # Opened anew rather than with Searcher.refresh(): that reuses segment readers and
        # so misses documents deleted from an old segment (an update), and
        # Searcher.up_to_date() cannot be trusted (a one-segment reader has no generation).
        fresh = self._ix.searcher(weighting=WEIGHTING)
        with self._searchers_lock:
            if reading is not None:
                reading.searcher.close()
                self._searchers.remove(reading.searcher)
            self._searchers.append(fresh)
        self._local.reading = _Reading(fresh, latest)
        return self._local.reading

    def __len__(self) -> int:
        return self._searcher().doc_count()

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._searcher().document_number(id=doc_id) is not None

    def get(self, doc_id: str) -> StoredDocument:
        """The stored document with this id; :class:`DocumentNotFoundError` if absent."""
        fields = self._searcher().document(id=doc_id)
        if fields is None:
            raise DocumentNotFoundError(f"no document with id {doc_id!r} in {self.path}")
        return StoredDocument.from_stored(fields["doc"])

    def ids(self) -> list[str]:
        return sorted(fields["id"] for fields in self._searcher().all_stored_fields())

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
        reading = self._reading()
        return run_search(reading.searcher, query, limit=limit, scorer=reading.scorer(),
                          lexicon=reading.lexicon, **options)

    def suggest(self, query: str) -> str | None:
        """A better form of ``query`` (accents restored, keystrokes decoded, unknown
        words corrected), or None when it needs no help."""
        text = prepare_query_text(query)
        return QueryAssistant(self._searcher().reader()).assist(text).suggestion

    def facets(self) -> Mapping[str, tuple[tuple[str, int], ...]]:
        """Facet counts (year, source, place, cited document) over the whole index."""
        results = self._searcher().search(Every(), limit=1, groupedby=facet_spec(),
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
