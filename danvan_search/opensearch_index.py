"""An index on an OpenSearch cluster, with the library API of :class:`SearchIndex`.

``OpenSearchIndex.open("opensearch://127.0.0.1:9200/news")`` (or
``SearchIndex.open`` with such a location) gives the same calls and the same result
types as the embedded index: the analysis runs in Python (:mod:`.opensearch_schema`),
queries are translated by :mod:`.opensearch_query`, snippets and highlights are made
in Python from the stored text as for the embedded index. Needs the ``opensearch``
extra (``pip install "danvan-search[opensearch]"``); the client is imported only here.

Writing goes through :class:`BulkWriter`: documents in batches (by count and bytes), one
request in flight per writer, items the cluster could not take now (429: queues full;
5xx: a shard moving after a node left) retried with growing pauses, and only
acknowledged items counted. Unchanged documents (same content hash) are not sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

from . import validation
from .assist import Acronyms
from .documents import Document
from .errors import (
    ArgumentTypeError,
    ClusterUnavailableError,
    DocumentNotFoundError,
    IncompatibleIndexError,
    IndexClosedError,
    IndexExistsError,
    IndexNotFoundError,
    IndexWriteError,
    InvalidArgumentError,
    InvalidQueryError,
    MissingExtraError,
)
from .filters import Filters, facet_counts
from .normalization import has_lone_surrogates
from .opensearch_assistance import ClusterVocabulary, Statistics, assist
from .opensearch_query import (
    QueryPlan,
    build_query,
    facet_aggregations,
    facet_groups,
    filter_clauses,
    lexicon_keys,
    statistics_fields,
)
from .opensearch_schema import LENGTH_FILLER, document_source, index_body, metadata
from .query_syntax import parse_query, prepare_query_text
from .ranking import DEFAULT_RANKING, Ranking
from .searching import SearchResults, Sort, StoredDocument, _hit

if TYPE_CHECKING:
    from opensearchpy import OpenSearch

    from .index import IndexingReport

SCHEME = "opensearch://"
#: Documents per bulk request, and the most bytes one request carries.
DEFAULT_BATCH_SIZE = 200
MAX_BATCH_BYTES = 8_000_000
#: Tries of a bulk item the cluster could not take now, and the pauses between them.
BULK_TRIES = 10
FIRST_PAUSE, LONGEST_PAUSE = 0.5, 30.0
#: HTTP statuses of bulk items worth sending again: queues full, shards moving.
RETRYABLE = frozenset({429, 502, 503, 504})
#: Seconds a request may take before it is tried on another node.
REQUEST_TIMEOUT = 60
#: How long a bulk request's items wait on the cluster for a shard that is not active
#: (a node has just left, a master is being elected) before they come back as
#: unavailable (503) and are sent again. Below REQUEST_TIMEOUT: otherwise a live node,
#: waiting for the cluster (OpenSearch waits a minute by default), timed out on the
#: client and was set aside as if it were down.
BULK_WAIT = "20s"
#: Seconds a node that failed is set aside before it is tried again (doubled at each
#: failure in a row). The client's default, a minute, left a 2-3 node cluster without
#: a node it could reach for minutes after one stopped.
DEAD_NODE_PAUSE = 5
#: OpenSearch's ``index.max_result_window`` unless an index sets its own.
DEFAULT_RESULT_WINDOW = 10_000
#: How long a point in time of a deep page is kept between two of its requests.
POINT_IN_TIME_KEEP_ALIVE = "2m"
_SPACE = re.compile(r"\s")


def is_location(value: object) -> bool:
    """Whether ``value`` names an OpenSearch index (``opensearch://host:port/name``)."""
    return isinstance(value, str) and value.startswith(SCHEME)


@dataclass(frozen=True)
class Location:
    """Hosts (``host:port``, one or more) and the index name of an OpenSearch location."""

    hosts: tuple[tuple[str, int], ...]
    name: str

    @classmethod
    def parse(cls, value: object) -> Location:
        if not isinstance(value, str):
            raise ArgumentTypeError(f"location must be a string, not {type(value).__name__}")
        if not is_location(value):
            raise InvalidArgumentError(
                f"location must look like opensearch://HOST:PORT/INDEX, not {value!r}"
            )
        parts = urlsplit("http://" + value[len(SCHEME):])
        name = parts.path.strip("/")
        hosts = []
        for host in parts.netloc.split(","):
            hostname, _, port = host.rpartition(":")
            if not hostname or not port.isdigit():
                hostname, port = host, "9200"
            hosts.append((hostname.strip("[]"), int(port)))
        # OpenSearch's own rules for index names, checked here for a clear message.
        if (not name or "/" in name or name != name.lower() or name.startswith(("_", "-", "+"))
                or any(c in name for c in ' "*\\<|,>?#:')):
            raise InvalidArgumentError(
                f"{value!r}: the index name must be lowercase, without spaces or any of "
                '"*\\<|,>?/#: and not start with _, - or +'
            )
        return cls(tuple(hosts), name)

    def __str__(self) -> str:
        hosts = ",".join(f"{h}:{p}" for h, p in self.hosts)
        return f"{SCHEME}{hosts}/{self.name}"


def _client(location: Location) -> OpenSearch:
    try:
        from opensearchpy import OpenSearch
    except ImportError:
        raise MissingExtraError(
            "the OpenSearch backend needs its extra: pip install \"danvan-search[opensearch]\""
        ) from None
    return OpenSearch(
        hosts=[{"host": h, "port": p} for h, p in location.hosts],
        timeout=REQUEST_TIMEOUT,
        # A node that stops answering is left for the others, and retried later.
        max_retries=len(location.hosts) + 1,
        retry_on_timeout=True,
        retry_on_status=(502, 503, 504),
        dead_timeout=DEAD_NODE_PAUSE,
    )


def _check_similarity(where: Location, client: Any, ranking: Ranking) -> None:
    """The index's BM25 parameters were fixed when it was created: refuse a ranking with
    others (its scores would no longer be the embedded index's, silently)."""
    answer = _call(where, lambda: client.indices.get_settings(index=where.name))
    index_settings = next(iter(answer.values()), {}).get("settings", {}).get("index", {})
    similarity = index_settings.get("similarity", {}).get("danvan", {})
    # (Lucene's defaults where a setting is absent.)
    found = {"k1": float(similarity.get("k1", 1.2)), "b": float(similarity.get("b", 0.75))}
    wanted = {"k1": ranking.k1, "b": ranking.body_b}
    if found != wanted or ranking.title_b != ranking.body_b:
        raise IncompatibleIndexError(
            f"index {where} scores with BM25 k1={found['k1']:g}, b={found['b']:g} (set when it "
            f"was created); this ranking has k1={ranking.k1:g}, b={ranking.body_b:g} (title "
            f"{ranking.title_b:g}). Open it with Ranking(k1={found['k1']:g}, "
            f"body_b={found['b']:g}, title_b={found['b']:g}), or rebuild it: `danvan-search "
            f"index --index {where} --overwrite FILES...`"
        )


def _unavailable(location: Location, error: Exception) -> ClusterUnavailableError:
    return ClusterUnavailableError(
        f"cannot reach OpenSearch at {location} ({type(error).__name__}: {error}); check "
        "that the cluster is running and the address is right"
    )


@dataclass(frozen=True)
class ClusterIndexStats:
    """A summary of an index on a cluster (as :class:`~danvan_search.index.IndexStats`)."""

    path: str
    documents: int
    size_bytes: int
    format_version: int
    analysis_version: int
    shards: int
    replicas: int


class OpenSearchIndex:
    """A Vietnamese full-text index on an OpenSearch cluster.

    >>> ix = OpenSearchIndex.create("opensearch://127.0.0.1:9200/news")  # doctest: +SKIP
    >>> ix.add([{"id": "1", "body": "Ban Dân vận Tỉnh ủy"}])             # doctest: +SKIP
    1
    """

    def __init__(
        self, location: Location, client: OpenSearch, acronyms: Acronyms | None = None,
        ranking: Ranking = DEFAULT_RANKING, batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        from .index import _acronyms

        self.location = location
        self.path = str(location)
        self.ranking = ranking
        self.acronyms = _acronyms(acronyms)
        self.batch_size = batch_size
        self._client: OpenSearch | None = client
        self._settings: dict[str, int] = {}
        self._pool: ThreadPoolExecutor | None = None

    # --- opening ---------------------------------------------------------------------

    @classmethod
    def exists(cls, location: str) -> bool:
        where = Location.parse(location)
        client = _client(where)
        try:
            return bool(_call(where, lambda: client.indices.exists(index=where.name)))
        finally:
            client.close()

    @classmethod
    def create(
        cls, location: str, overwrite: bool = False, *, shards: int = 2, replicas: int = 1,
        acronyms: Acronyms | str | os.PathLike[str] | None = None,
        ranking: Ranking = DEFAULT_RANKING, batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> OpenSearchIndex:
        """Create an empty index on the cluster, with ``shards`` primary shards each
        copied on ``replicas`` other nodes. Raises :class:`IndexExistsError` when the
        index exists, unless ``overwrite`` (then it is deleted first)."""
        where = Location.parse(location)
        overwrite = validation.flag("overwrite", overwrite)
        shards = validation.integer("shards", shards, minimum=1)
        replicas = validation.integer("replicas", replicas, minimum=0)
        batch_size = validation.integer("batch_size", batch_size, minimum=1)
        validation.instance("ranking", ranking, Ranking, "a Ranking")
        client = _client(where)
        from opensearchpy import RequestError

        try:
            if _call(where, lambda: client.indices.exists(index=where.name)):
                if not overwrite:
                    raise IndexExistsError(
                        f"an index already exists at {where}: open it with "
                        "OpenSearchIndex.open, or pass overwrite=True (CLI: --overwrite)"
                    )
                _call(where, lambda: client.indices.delete(index=where.name))
            body = index_body(shards, replicas, ranking)
            try:
                _call(where, lambda: client.indices.create(
                    index=where.name, body=body, params={"wait_for_active_shards": "1"}))
            except RequestError as error:
                if error.error == "resource_already_exists_exception":
                    raise IndexExistsError(f"an index was created at {where} meanwhile") from None
                raise
        except BaseException:
            client.close()
            raise
        return cls(where, client, acronyms, ranking, batch_size)  # type: ignore[arg-type]

    @classmethod
    def open(
        cls, location: str, *, acronyms: Acronyms | str | os.PathLike[str] | None = None,
        ranking: Ranking = DEFAULT_RANKING, batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> OpenSearchIndex:
        """Open an index on the cluster: :class:`IndexNotFoundError` when there is
        none, :class:`IncompatibleIndexError` when another version wrote it."""
        where = Location.parse(location)
        batch_size = validation.integer("batch_size", batch_size, minimum=1)
        validation.instance("ranking", ranking, Ranking, "a Ranking")
        client = _client(where)
        try:
            from opensearchpy import NotFoundError

            try:
                mapping = _call(where, lambda: client.indices.get_mapping(index=where.name))
            except NotFoundError:
                raise IndexNotFoundError(
                    f"no index at {where}: create one with `danvan-search index --index "
                    f"{where} FILES...` or OpenSearchIndex.create()"
                ) from None
            found = next(iter(mapping.values()), {}).get("mappings", {}).get("_meta", {})
            expected = metadata()
            keys = [k for k in expected if k != "created_by"]
            if any(found.get(k) != expected[k] for k in keys):
                raise IncompatibleIndexError(
                    f"index {where} was written by {found.get('created_by', 'something else')}"
                    f" ({ {k: found.get(k) for k in keys} }); this version needs "
                    f"{ {k: expected[k] for k in keys} }. Rebuild it: `danvan-search index "
                    f"--index {where} --overwrite FILES...`"
                )
            _check_similarity(where, client, ranking)
        except BaseException:
            client.close()
            raise
        return cls(where, client, acronyms, ranking, batch_size)  # type: ignore[arg-type]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def _shard_pool(self, shards: int) -> ThreadPoolExecutor:
        """Threads that send one request per shard at once (the client is thread-safe;
        an index's shard count never changes)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(shards, thread_name_prefix="danvan-shard")
        return self._pool

    def __enter__(self) -> OpenSearchIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OpenSearchIndex({self.path!r})"

    @property
    def client(self) -> OpenSearch:
        if self._client is None:
            raise IndexClosedError(f"index {self.path} is closed; open it again to use it")
        return self._client

    def _call(self, request: Callable[[], Any]) -> Any:
        self.client  # noqa: B018 - raises when closed
        return _call(self.location, request)

    # --- writing ---------------------------------------------------------------------

    def add(
        self, documents: Iterable[Document | Mapping[str, Any]], *, pages: bool = False
    ) -> int:
        """Index documents; return how many were written (see ``SearchIndex.add``)."""
        return self.index_documents(documents, skip_invalid=False, pages=pages).written

    def index_documents(
        self,
        documents: Iterable[Document | Mapping[str, Any] | tuple[str, Exception]],
        *,
        pages: bool = False,
        skip_invalid: bool = True,
        on_document: Callable[[], object] | None = None,
        procs: int | None = None,
        refresh: bool = True,
    ) -> IndexingReport:
        """Index documents in batches and report what happened to each, as
        ``SearchIndex.index_documents`` does. Unlike there, there is no single commit:
        each acknowledged batch stays, and a failure after all retries raises
        :class:`IndexWriteError` saying how many were written (run again: unchanged
        documents are skipped). ``procs`` processes analyse the documents (default:
        one per core for more than a few hundred). With ``refresh`` the documents are
        searchable when the call returns."""
        from .index import IndexingReport, documents_to_index, worker_processes

        skip_invalid, pages, procs = validation.indexing_options(
            documents, skip_invalid, pages, procs, on_document
        )
        done = on_document or (lambda: None)
        report = IndexingReport()
        items: Iterator[Any] = iter(documents)
        if procs is None:
            procs, items = worker_processes(items)
        valid = documents_to_index(items, report, skip_invalid, done)
        writer = BulkWriter(self, report, done, procs)
        try:
            writer.write(doc.page_read() if pages else doc for doc in valid)
        finally:
            writer.close()
            if refresh and (report.written or report.deleted):
                self.refresh()
        return report

    def refresh(self) -> None:
        """Make every acknowledged write searchable now."""
        self._call(lambda: self.client.indices.refresh(index=self.location.name))

    def index_sources(
        self,
        sources: Sequence[str | os.PathLike[str]],
        *,
        sync: bool = False,
        on_document: Callable[[], object] | None = None,
        procs: int | None = None,
        stdin: BinaryIO | None = None,
    ) -> IndexingReport:
        """Index files as ``danvan-search index`` does (see ``SearchIndex.index_sources``)."""
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
        location: str,
        sources: Sequence[str | os.PathLike[str]],
        *,
        overwrite: bool = False,
        sync: bool = False,
        on_document: Callable[[], object] | None = None,
        stdin: BinaryIO | None = None,
        shards: int = 2,
        replicas: int = 1,
    ) -> IndexingReport:
        """:meth:`index_sources` into the index at ``location``, created if missing
        (anew with ``overwrite``)."""
        overwrite = validation.flag("overwrite", overwrite)
        if not overwrite and cls.exists(location):
            ix = cls.open(location)
        else:
            ix = cls.create(location, overwrite=overwrite, shards=shards, replicas=replicas)
        with ix:
            return ix.index_sources(sources, sync=sync, on_document=on_document, stdin=stdin)

    def delete(self, ids: str | Iterable[str]) -> int:
        """Delete documents by id; return how many were in the index."""
        ids = [i for i in validation.document_ids("ids", ids) if not has_lone_surrogates(i)]
        deleted = 0
        for start in range(0, len(ids), self.batch_size):
            actions = [{"delete": {"_index": self.location.name, "_id": doc_id}}
                       for doc_id in dict.fromkeys(ids[start : start + self.batch_size])]
            for status, item in _send_bulk(self, actions, [None] * len(actions)):
                if status == 200 and item.get("result") == "deleted":
                    deleted += 1
        if deleted:
            self.refresh()
        return deleted

    def known_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """The content hashes the index holds for ``ids`` (real time: writes not yet
        refreshed count)."""
        if not ids:
            return {}
        answer = self._call(lambda: self.client.mget(
            index=self.location.name, body={"ids": list(ids)},
            params={"_source_includes": "content_hash"},
        ))
        return {d["_id"]: d["_source"]["content_hash"]
                for d in answer["docs"] if d.get("found")}

    # --- reading ---------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._call(lambda: self.client.count(index=self.location.name))["count"])

    def __contains__(self, doc_id: object) -> bool:
        if not isinstance(doc_id, str) or has_lone_surrogates(doc_id) or not doc_id:
            return False
        return bool(self._call(lambda: self.client.exists(index=self.location.name,
                                                          id=doc_id)))

    def get(self, doc_id: str) -> StoredDocument:
        """The stored document with this id; :class:`DocumentNotFoundError` if absent."""
        if not isinstance(doc_id, str):
            raise ArgumentTypeError(f"doc_id must be a string, not {type(doc_id).__name__}")
        if doc_id and not has_lone_surrogates(doc_id):
            from opensearchpy import NotFoundError

            try:
                answer = self._call(lambda: self.client.get(
                    index=self.location.name, id=doc_id, params={"_source_includes": "doc"}))
                return StoredDocument.from_stored(answer["_source"]["doc"])
            except NotFoundError:
                pass
        raise DocumentNotFoundError(f"no document with id {doc_id!r} in {self.path}")

    def ids(self) -> list[str]:
        """Every document's id, sorted."""
        return self._ids_below("")

    def _ids_below(self, prefix: str) -> list[str]:
        query: dict[str, Any] = {"prefix": {"id": prefix}} if prefix else {"match_all": {}}
        ids: list[str] = []
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"query": query, "size": 5000, "_source": False,
                                    "sort": [{"id": "asc"}]}
            if after is not None:
                body["search_after"] = after
            hits = self._call(lambda b=body: self.client.search(
                index=self.location.name, body=b))["hits"]["hits"]
            if not hits:
                return ids
            ids.extend(h["_id"] for h in hits)
            after = hits[-1]["sort"]

    def stats(self) -> ClusterIndexStats:
        name = self.location.name
        answer = self._call(lambda: self.client.indices.stats(index=name, metric="store"))
        settings = self._call(lambda: self.client.indices.get_settings(index=name))
        index_settings = settings[name]["settings"]["index"]
        meta = metadata()
        return ClusterIndexStats(
            self.path, len(self), int(answer["_all"]["primaries"]["store"]["size_in_bytes"]),
            meta["opensearch_format_version"], meta["analysis_version"],
            int(index_settings["number_of_shards"]), int(index_settings["number_of_replicas"]),
        )

    def facets(self) -> Mapping[str, tuple[tuple[str, int], ...]]:
        """Facet counts (year, source, place, cited document) over the whole index."""
        answer = self._search({"size": 0, "aggs": facet_aggregations()})
        return facet_counts(facet_groups(answer.get("aggregations", {})))

    def _setting(self, name: str, default: int) -> int:
        """An integer setting of the index (``index.NAME``), read once per opened index."""
        if name not in self._settings:
            index = self.location.name
            answer = self._call(lambda: self.client.indices.get_settings(
                index=index, name=f"index.{name}", params={"include_defaults": "true"}))
            found = answer.get(index, {})
            value = (found.get("settings", {}).get("index", {}).get(name)
                     or found.get("defaults", {}).get("index", {}).get(name) or default)
            self._settings[name] = int(value)
        return self._settings[name]

    def result_window(self) -> int:
        """How far ``from`` + ``size`` may reach in one request (the index's
        ``index.max_result_window``, 10,000 unless set otherwise): pages beyond it are
        reached by :meth:`_search_deep`."""
        return self._setting("max_result_window", DEFAULT_RESULT_WINDOW)

    def term_statistics(self, keys: Collection[tuple[str, str]]) -> Statistics:
        """For each (field, term): the documents holding the term and its occurrences;
        for each field of :func:`~.opensearch_query.statistics_fields`: the documents
        with it and its tokens; over the whole index. Read from the term dictionaries,
        no posting visited: the term vectors, with term and field statistics, of an
        artificial document made of the terms, once per shard (a shard's statistics are
        its own), summed."""
        terms: dict[str, dict[str, None]] = {field: {} for field in statistics_fields()}
        for field, term in keys:
            if term and not _SPACE.search(term):  # one token each
                terms.setdefault(field, {})[term] = None
        # A field is in the answer only if the document has it: a stand-in token then.
        body = {"doc": {field: " ".join(words) or LENGTH_FILLER
                        for field, words in terms.items()},
                "term_statistics": True, "field_statistics": True, "positions": False,
                "offsets": False, "payloads": False}
        found: dict[tuple[str, str], tuple[int, int]] = {}
        fields: dict[str, tuple[int, int]] = {}

        def read(shard: int) -> Any:
            return self._call(lambda: self.client.termvectors(
                index=self.location.name, body=body,
                params={"preference": f"_shards:{shard}", "realtime": "false"}))

        shards = range(self._setting("number_of_shards", 1))
        # The shards are asked at once: a query waits for the slowest, not for the sum.
        answers = self._shard_pool(len(shards)).map(read, shards) if len(shards) > 1 \
            else map(read, shards)
        for answer in answers:
            for field, vectors in answer.get("term_vectors", {}).items():
                stats = vectors.get("field_statistics", {})
                documents, tokens = fields.get(field, (0, 0))
                fields[field] = (documents + max(int(stats.get("doc_count", 0)), 0),
                                 tokens + max(int(stats.get("sum_ttf", 0)), 0))
                for term, counts in vectors.get("terms", {}).items():
                    documents, occurrences = found.get((field, term), (0, 0))
                    found[(field, term)] = (documents + int(counts.get("doc_freq", 0)),
                                            occurrences + int(counts.get("ttf", 0)))
        return Statistics(found, fields)

    def _search_deep(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` (``from`` + ``size`` beyond the result window) over one point in time:
        the sort values of the hit before ``from`` are found by walking the ranking in
        steps of the window (sort values only, no documents), then the page is read after
        them (``search_after``), with the total and the facets. The point in time keeps
        the documents and their statistics still between the requests, so the scores,
        and the order, are those of a single request. A page longer than the window is
        read in steps too."""
        window = self.result_window()
        offset = body["from"]
        pit = self._call(lambda: self.client.create_pit(
            index=self.location.name, params={"keep_alive": POINT_IN_TIME_KEEP_ALIVE}))
        pit_id = pit["pit_id"]
        try:
            at = {"id": pit_id, "keep_alive": POINT_IN_TIME_KEEP_ALIVE}
            after: list[Any] | None = None
            skipped = 0
            while skipped < offset:
                step: dict[str, Any] = {
                    "query": body["query"], "sort": body["sort"], "pit": at,
                    "size": min(window, offset - skipped), "_source": False,
                    "track_total_hits": False,
                }
                if after is not None:
                    step["search_after"] = after
                hits = self._search(step, dfs=True, in_point_in_time=True)["hits"]["hits"]
                if not hits:
                    break  # fewer hits than the offset: the page is empty
                skipped += len(hits)
                after = hits[-1]["sort"]
            # The page itself, in steps of the window too when it is longer; the first
            # request counts the hits and the facets.
            first: dict[str, Any] | None = None
            hits = []
            while True:
                page = {k: v for k, v in body.items() if k != "from"}
                page.update(pit=at, size=min(window, body["size"] - len(hits)))
                if first is not None:
                    page.pop("aggs", None)
                    page["track_total_hits"] = False
                if after is not None:
                    page["search_after"] = after
                answer = self._search(page, dfs=True, in_point_in_time=True)
                first = first or answer
                found = answer["hits"]["hits"]
                hits.extend(found)
                if len(found) < page["size"] or len(hits) >= body["size"]:
                    break
                after = found[-1]["sort"]
            first["hits"]["hits"] = hits
            return first
        finally:
            from opensearchpy import TransportError

            # Left behind, it expires by itself after POINT_IN_TIME_KEEP_ALIVE.
            with contextlib.suppress(TransportError, ClusterUnavailableError):
                self._call(lambda: self.client.delete_pit(body={"pit_id": [pit_id]}))

    def _search(self, body: dict[str, Any], dfs: bool = False,
                in_point_in_time: bool = False) -> dict[str, Any]:
        params = {"search_type": "dfs_query_then_fetch"} if dfs else {}
        if in_point_in_time:  # the point in time names the index
            return self._call(lambda: self.client.search(body=body, params=params))
        return self._call(lambda: self.client.search(index=self.location.name, body=body,
                                                     params=params))

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
        """Run a ranked query, as ``SearchIndex.search`` does (same options, same
        results, the same query assistance: :mod:`.opensearch_assistance`). Scores use
        statistics over every shard (``dfs_query_then_fetch``)."""
        with validation.for_call("search()", InvalidQueryError):
            if page is not None:
                if offset:
                    raise InvalidQueryError("give offset or page, not both")
                page = validation.integer("page", page, minimum=1)
            query = validation.optional_text("query", query)
            limit = validation.integer("limit", limit, minimum=1)
            offset = validation.integer("offset", offset, minimum=0)
            if page is not None:
                offset = (page - 1) * limit
            sort = validation.choice("sort", sort, ("relevance", "date"))  # type: ignore[assignment]
            facets, exact = validation.flag("facets", facets), validation.flag("exact", exact)
        restrict = Filters.build(since, until, source, place, cites)
        assistance = corrected_from = None
        if restrict and (query is None or not query.strip()):
            text, highlight, main = "", (), {"match_all": {}}
            sort = "date"
        else:
            text = prepare_query_text(query or "")
            acronyms = None if exact else self.acronyms
            # One set of statistics per search: the query's terms are read with the
            # assistant's first round.
            vocabulary = ClusterVocabulary(self.term_statistics)
            if not exact:
                vocabulary.note(lexicon_keys(parse_query(text), acronyms))
                assistance = assist(text, vocabulary)
            restored = assistance.restored if assistance else None
            plan = self._plan(text, vocabulary, acronyms, restored)
            if assistance and assistance.correction is not None:
                # As in the embedded index: the correction replaces what was typed only
                # when that finds nothing, with the same filters, and it finds something.
                filters = filter_clauses(restrict)
                if not self._finds_any(plan.query, filters):
                    corrected = self._plan(assistance.correction, vocabulary, acronyms,
                                           restored)
                    if self._finds_any(corrected.query, filters):
                        text, plan = assistance.correction, corrected
                        corrected_from = assistance.typed
            highlight, main = plan.highlight, plan.query
        suggestion = assistance.suggestion if assistance else None
        if main is None:
            return SearchResults(text, (), 0, suggestion, corrected_from,
                                 facets=facet_counts({}) if facets else {}, offset=offset)
        body: dict[str, Any] = {
            "query": {"bool": {"must": [main], "filter": filter_clauses(restrict)}},
            "from": offset,
            "size": limit,
            "track_total_hits": True,
            "_source": ["doc"],
        }
        if sort == "date":
            body["sort"] = [{"date": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
        else:  # ties as the embedded index breaks them: the earlier document first
            body["sort"] = [{"_score": "desc"}, {"id": "asc"}]
        if facets:
            body["aggs"] = facet_aggregations()
        try:
            answer = self._run_search(body, offset + limit)
        except TooManyClausesError:
            if not text:  # every document, by date: not a query of words
                raise
            # A long query on an index whose limit it passes (a cluster with a lower
            # indices.query.bool.max_clause_count, or documents written without
            # diacritics doubling the clauses): its syllables alone, as a query longer
            # than the ranking's max_proximity_syllables is scored.
            plan = self._plan(text, vocabulary, acronyms, restored,
                              replace(self.ranking, max_proximity_syllables=0))
            body["query"]["bool"]["must"] = [plan.query]
            answer = self._run_search(body, offset + limit)
        total = int(answer["hits"]["total"]["value"])
        hits = tuple(
            _hit(rank, h["_source"]["doc"], highlight,
                 0.0 if sort == "date" else float(h.get("_score") or 0.0))
            for rank, h in enumerate(answer["hits"]["hits"], offset + 1)
        )
        counts = None
        if facets:
            counts = facet_counts(facet_groups(answer.get("aggregations", {})) if total else {})
        return SearchResults(text, hits, total, suggestion, corrected_from,
                             facets=counts or {}, offset=offset)

    def _run_search(self, body: dict[str, Any], end: int) -> dict[str, Any]:
        if end > self.result_window():
            return self._search_deep(body)
        return self._search(body, dfs=True)

    def _plan(self, text: str, vocabulary: ClusterVocabulary, acronyms: Acronyms | None,
              restored: Mapping[str, str] | None, ranking: Ranking | None = None) -> QueryPlan:
        """The query for ``text``, weighed with the statistics of its terms (read unless
        ``vocabulary`` has them)."""
        parsed = parse_query(text)
        lexicon = vocabulary.lexicon(lexicon_keys(parsed, acronyms, restored))
        return build_query(parsed, lexicon, acronyms=acronyms, restored=restored,
                           ranking=ranking or self.ranking)

    def _finds_any(self, query: dict[str, Any] | None, filters: list[dict[str, Any]]) -> bool:
        if query is None:
            return False
        body = {"size": 0, "terminate_after": 1, "track_total_hits": True,
                "query": {"bool": {"must": [query], "filter": filters}}}
        return bool(self._search(body)["hits"]["total"]["value"])

    def suggest(self, query: str) -> str | None:
        """A better form of ``query`` (accents restored, keystrokes decoded, unknown
        words corrected), or None when it needs no help: as ``SearchIndex.suggest``,
        from the cluster's statistics."""
        text = prepare_query_text(query)
        return assist(text, ClusterVocabulary(self.term_statistics)).suggestion


def _call(location: Location, request: Callable[[], Any]) -> Any:
    """Run a client request; a cluster that cannot be reached is a
    :class:`ClusterUnavailableError`."""
    from opensearchpy import ConnectionError as ClientConnectionError
    from opensearchpy import ConnectionTimeout, TransportError

    try:
        return request()
    except (ClientConnectionError, ConnectionTimeout) as error:
        raise _unavailable(location, error) from None
    except TransportError as error:
        if _too_many_clauses(error):
            raise TooManyClausesError(
                f"the query has more clauses than OpenSearch at {location} allows; shorten "
                "it, or raise the cluster's indices.query.bool.max_clause_count"
            ) from None
        if isinstance(error.status_code, int) and error.status_code >= 500:
            raise _unavailable(location, error) from None
        raise


class TooManyClausesError(InvalidQueryError):
    """The cluster refused a query for its number of clauses (a search then retries
    without the proximity features, the bulk of a long query's clauses)."""


def _too_many_clauses(error: Exception) -> bool:
    # Lucene's TooManyNestedClauses / TooManyClauses, as OpenSearch reports them (a 500
    # for a search phase whose shards all failed, or a 400).
    said = f"{error} {getattr(error, 'info', '')}"
    return any(sign in said for sign in ("too_many_nested_clauses", "too_many_clauses",
                                         "maxClauseCount"))


# --- bulk writing ---------------------------------------------------------------------------


def _analyse(batch: list[tuple[Document, str]]) -> list[dict[str, Any]]:
    """The OpenSearch documents of a batch (in a worker process: the CRF runs there)."""
    return [document_source(doc, digest) for doc, digest in batch]


class BulkWriter:
    """Writes documents to one index in batches (see the module's docstring)."""

    def __init__(self, ix: OpenSearchIndex, report: IndexingReport,
                 done: Callable[[], object], procs: int = 1) -> None:
        self.ix = ix
        self.report = report
        self.done = done
        self.procs = procs
        self._pool: Any = None
        #: Content hashes written by this writer: a repeated id is compared with them.
        self._written: dict[str, str] = {}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def write(self, documents: Iterable[Document]) -> None:
        batch: list[Document] = []
        for doc in documents:
            batch.append(doc)
            if len(batch) >= self.ix.batch_size:
                self._batch(batch)
                batch = []
        if batch:
            self._batch(batch)

    def _batch(self, docs: list[Document]) -> None:
        report = self.report
        known = self.ix.known_hashes([d.id for d in docs if d.id not in self._written])
        known.update({d.id: self._written[d.id] for d in docs if d.id in self._written})
        changed: dict[str, tuple[Document, str]] = {}
        for doc in docs:
            digest = doc.content_hash()
            if doc.id in changed:
                # The same id again in one batch: what came before is written first, so
                # each version is counted as the embedded index counts it.
                self._write_changed(changed, known)
                changed = {}
            if known.get(doc.id) == digest:
                report.unchanged += 1
                self.done()
                continue
            changed[doc.id] = (doc, digest)
        self._write_changed(changed, known)

    def _write_changed(self, changed: dict[str, tuple[Document, str]],
                       known: dict[str, str]) -> None:
        if not changed:
            return
        sources = self._analysed(list(changed.values()))
        actions: list[dict[str, Any]] = []
        payloads: list[Any] = []
        size = 0
        for (doc, digest), source in zip(changed.values(), sources, strict=True):
            payload = json.dumps(source, ensure_ascii=False)
            if actions and size + len(payload) > MAX_BATCH_BYTES:
                self._send(actions, payloads, known)
                actions, payloads, size = [], [], 0
            actions.append({"index": {"_index": self.ix.location.name, "_id": doc.id}})
            payloads.append((payload, doc.id, digest))
            size += len(payload)
        if actions:
            self._send(actions, payloads, known)

    def _analysed(self, batch: list[tuple[Document, str]]) -> list[dict[str, Any]]:
        if self.procs <= 1 or len(batch) < 2 * self.procs:
            return _analyse(batch)
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(self.procs)
        step = -(-len(batch) // self.procs)
        parts = [batch[i : i + step] for i in range(0, len(batch), step)]
        return [source for part in self._pool.map(_analyse, parts) for source in part]

    def _send(self, actions: list[dict[str, Any]], payloads: list[Any],
              known: dict[str, str]) -> None:
        for (status, item), (_, doc_id, digest) in zip(
            _send_bulk(self.ix, actions, payloads), payloads, strict=True
        ):
            if status not in (200, 201):  # _send_bulk raises on what it cannot write
                continue
            if item.get("result") == "created":
                self.report.added += 1
            else:
                self.report.updated += 1
            known[doc_id] = self._written[doc_id] = digest
            self.done()


def _send_bulk(ix: OpenSearchIndex, actions: list[dict[str, Any]],
               payloads: list[Any]) -> list[tuple[int, dict[str, Any]]]:
    """Send bulk actions (``payloads``: each action's JSON source and id, or None for a
    delete) until every item is acknowledged, retrying what the cluster could not take
    now with growing pauses; the answer of each item, in order. Raises
    :class:`IndexWriteError` for items it could not write."""
    from opensearchpy import ConnectionError as ClientConnectionError
    from opensearchpy import ConnectionTimeout, TransportError

    results: list[tuple[int, dict[str, Any]] | None] = [None] * len(actions)
    pending = list(range(len(actions)))
    pause = FIRST_PAUSE
    reason = ""
    for attempt in range(BULK_TRIES):
        if attempt:
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)
        lines = []
        for i in pending:
            lines.append(json.dumps(actions[i], ensure_ascii=False))
            if payloads[i] is not None:
                lines.append(payloads[i][0])
        body = "\n".join(lines) + "\n"
        try:
            # (The client reads ``timeout`` as its own request timeout unless given a
            # ``request_timeout``: with both, ``timeout`` goes to the cluster.)
            answer = ix.client.bulk(body=body.encode("utf-8"), timeout=BULK_WAIT,
                                    request_timeout=REQUEST_TIMEOUT)
        except (ClientConnectionError, ConnectionTimeout) as error:
            reason = f"{type(error).__name__}: {error}"
            continue  # nothing is known of this request: send it all again
        except TransportError as error:
            if error.status_code in RETRYABLE:
                reason = f"HTTP {error.status_code}"
                continue
            raise
        still = []
        for i, item in zip(pending, answer["items"], strict=True):
            result = next(iter(item.values()))
            status = int(result.get("status", 500))
            if status in RETRYABLE:
                still.append(i)
                reason = str(result.get("error", {}).get("reason", status))
            elif status >= 400 and not (status == 404 and payloads[i] is None):
                raise IndexWriteError(
                    0, f"OpenSearch refused a document for {ix.path} (HTTP {status}: "
                    f"{result.get('error', {}).get('reason', result)}); documents "
                    "acknowledged before it are kept"
                )
            else:
                results[i] = (status, result)
        pending = still
        if not pending:
            return results  # type: ignore[return-value]
    raise IndexWriteError(
        0, f"{len(pending)} document(s) could not be written to {ix.path} after "
        f"{BULK_TRIES} tries ({reason}); those acknowledged are kept: when the cluster is "
        "healthy again, run the same indexing again (unchanged documents are skipped)"
    )


# --- copying an embedded index ---------------------------------------------------------------


def export_index(
    source: Any, location: str, *, overwrite: bool = False, shards: int = 2,
    replicas: int = 1, on_document: Callable[[], object] | None = None,
) -> IndexingReport:
    """Copy every document of the embedded index ``source`` (a ``SearchIndex``) to the
    OpenSearch index at ``location``, created if missing (anew with ``overwrite``).
    Documents are copied as stored (title, body, metadata, extra fields, raw text), so
    a second export skips the documents that did not change."""
    if not overwrite and OpenSearchIndex.exists(location):
        target = OpenSearchIndex.open(location)
    else:
        target = OpenSearchIndex.create(location, overwrite=overwrite, shards=shards,
                                        replicas=replicas)

    def documents() -> Iterator[Document]:
        for doc_id in source.ids():
            stored = source.get(doc_id)
            yield Document(
                id=stored.id, body=stored.body, title=stored.title, date=stored.date,
                source=stored.source, url=stored.url, author=stored.author,
                places=stored.places, cites=stored.cites, extra=dict(stored.extra),
                raw=stored.raw,
            )

    with target:
        return target.index_documents(documents(), on_document=on_document)
