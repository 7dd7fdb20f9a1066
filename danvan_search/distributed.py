"""Indexing into an OpenSearch index with the analysis spread over a Dask cluster.

Word segmentation (the CRF) is the cost of indexing, about 50 articles a second per
core. Here documents go to Dask workers in batches; each worker process loads the model
once (it stays loaded in the process), analyses its batch and sends the bulk requests
itself, so neither the analysis nor the writing passes through the process that reads
the input. A bounded number of batches is in flight at once (backpressure: the input is
read only as fast as the workers take it). Needs the ``distributed`` extra
(``pip install "danvan-search[distributed]"``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from .documents import Document
from .errors import InvalidDocumentError, MissingExtraError

#: Documents in one task.
TASK_DOCUMENTS = 200
#: Tasks in flight per worker.
TASKS_PER_WORKER = 2

# One open index per worker process and location: its client (and connections) is kept
# between tasks, as the model is.
_OPEN: dict[str, Any] = {}


def _index_batch(location: str, documents: list[dict[str, Any] | tuple[str, str]],
                 pages: bool) -> dict[str, Any]:
    """Run on a worker: index one batch, return its report as plain data."""
    from .opensearch_index import OpenSearchIndex

    ix = _OPEN.get(location)
    if ix is None:
        ix = _OPEN[location] = OpenSearchIndex.open(location)
    items = [(d[0], ValueError(d[1])) if isinstance(d, tuple) else d for d in documents]
    report = ix.index_documents(items, pages=pages, procs=1, refresh=False)
    return {"added": report.added, "updated": report.updated, "unchanged": report.unchanged,
            "skipped": report.skipped, "repaired": report.repaired}


def _plain(item: Any) -> dict[str, Any] | tuple[str, str]:
    """An item as data a worker can receive (a reader's problem as (where, why))."""
    if isinstance(item, tuple):
        return (item[0], str(item[1]))
    if isinstance(item, Document):
        return {**dict(item.extra), "id": item.id, "body": item.body, "title": item.title,
                "date": item.iso_date, "source": item.source, "url": item.url,
                "author": item.author, "places": list(item.places),
                "cites": list(item.cites), **({"raw": item.raw} if item.raw else {})}
    if isinstance(item, Mapping):
        return dict(item)
    raise InvalidDocumentError(f"a document must be a dict or Document, not {type(item).__name__}")


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield [_plain(item) for item in batch]


def index_with_dask(
    location: str,
    documents: Iterable[Document | Mapping[str, Any] | tuple[str, Exception]],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    pages: bool = False,
    task_documents: int = TASK_DOCUMENTS,
) -> Any:
    """Index ``documents`` into the OpenSearch index at ``location`` (which must exist)
    on a Dask cluster: the one whose scheduler is at ``scheduler``
    (``tcp://host:8786``), else a ``LocalCluster`` of ``workers`` processes (default:
    one per core), one thread each. Returns an
    :class:`~danvan_search.index.IndexingReport`; a task that fails raises its error
    (batches acknowledged before it stay written)."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise MissingExtraError(
            "indexing on Dask needs its extra: pip install \"danvan-search[distributed]\""
        ) from None
    from .index import IndexingReport
    from .opensearch_index import OpenSearchIndex

    with OpenSearchIndex.open(location):  # fails here, not in every task, if it is missing
        pass
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=None)
    report = IndexingReport()
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            slots = TASKS_PER_WORKER * max(1, len(client.scheduler_info()["workers"]))
            batches = _batches(documents, task_documents)
            running = as_completed()
            for batch in islice(batches, slots):
                running.add(client.submit(_index_batch, location, batch, pages, pure=False))
            for future in running:
                part = future.result()
                future.release()
                report.added += part["added"]
                report.updated += part["updated"]
                report.unchanged += part["unchanged"]
                report.skipped += [tuple(s) for s in part["skipped"]]
                report.repaired += [tuple(r) for r in part["repaired"]]
                batch = next(batches, None)
                if batch is not None:
                    running.add(client.submit(_index_batch, location, batch, pages,
                                              pure=False))
    finally:
        if cluster is not None:
            cluster.close()
    with OpenSearchIndex.open(location) as ix:
        ix.refresh()
    return report
