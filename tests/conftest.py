"""Shared fixtures: an index of the five seed articles, built once per test session."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from danvan_search import SearchIndex

# No per-example deadline: timing belongs to benchmarks, and a shared machine would make
# a timed test fail at random.
settings.register_profile("danvan", deadline=None)
settings.load_profile("danvan")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seeds_index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed pages, read as pages as the command line reads them, under short ids
    (their file names without .txt) rather than their absolute paths."""
    path = tmp_path_factory.mktemp("seeds-index")
    pages = [{"id": page.stem, "body": page.read_text(encoding="utf-8")}
             for page in sorted(SEEDS.glob("*.txt"))]
    with SearchIndex.create(path, overwrite=True) as ix:
        report = ix.index_documents(pages, pages=True)
    assert report.added == 5 and not report.skipped
    return path


@pytest.fixture
def seeds_index(seeds_index_path: Path) -> Iterator[SearchIndex]:
    with SearchIndex.open(seeds_index_path) as ix:
        yield ix


@pytest.fixture
def empty_index(tmp_path: Path) -> Iterator[SearchIndex]:
    with SearchIndex.create(tmp_path / "ix") as ix:
        yield ix


@pytest.fixture
def world_readable_tmp() -> Iterator[Path]:
    """A temporary directory that a user other than the one running the tests can enter
    (pytest's own are private to it), for :func:`read_unprivileged`."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="danvan-test-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def read_unprivileged(world_readable_tmp: Path) -> Callable[[list[str]], list]:
    """``read_sources`` as a user without privileges would see it, as a list of document
    ids and ``(where, why)`` pairs: as root, permissions would not stop anything, so the
    reading runs in a forked process that drops them first."""
    import os

    def read(sources: list[str]) -> list:
        if os.geteuid() != 0:
            return [tuple(i) if isinstance(i, list) else i for i in _read_items(sources)]
        # Whatever the reading loads on first use (data tables), loaded before the fork.
        warm_up = world_readable_tmp / "warm-up.txt"
        warm_up.write_text("Ban Dân vận Tỉnh ủy họp ngày 05/03/2021 tại Huế.", encoding="utf-8")
        _read_items([str(warm_up)])
        return _in_unprivileged_child(lambda: _read_items(sources))

    return read


def _read_items(sources: list[str]) -> list:
    from danvan_search.ingestion import read_sources

    return [[item[0], str(item[1])] if isinstance(item, tuple) else item.id
            for item in read_sources(sources)]


def _in_unprivileged_child(work: Callable[[], list]) -> list:
    """``work()``'s result (JSON data), computed in a child process running as nobody."""
    import json
    import os
    import traceback
    import warnings

    readable, writable = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # forking with threads alive
        pid = os.fork()
    if pid == 0:  # the child: drop privileges, work, report, exit without cleanup
        code = 1
        try:
            os.close(readable)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            with os.fdopen(writable, "w", encoding="utf-8") as out:
                out.write(json.dumps(work()))
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(writable)
    with os.fdopen(readable, encoding="utf-8") as result:
        data = result.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the unprivileged reader failed"
    return [tuple(item) if isinstance(item, list) else item for item in json.loads(data)]


# --- a real OpenSearch cluster ------------------------------------------------------------

#: Set (as CI does) to make the OpenSearch tests fail, not skip, when they cannot run.
OPENSEARCH_REQUIRED = os.environ.get("DANVAN_OPENSEARCH_TESTS") == "required"


def _cannot_run_opensearch(reason: str) -> None:
    if OPENSEARCH_REQUIRED:
        pytest.fail(f"the OpenSearch tests are required here and cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def opensearch_cluster() -> Iterator[Any]:
    """Three OpenSearch nodes on loopback, started once per test session, green, and
    stopped at its end (see tests/opensearch_cluster.py)."""
    try:
        import opensearchpy  # noqa: F401
    except ImportError:
        _cannot_run_opensearch('opensearch-py is missing: pip install -e ".[test,opensearch]"')
    from opensearch_cluster import ClusterUnavailable, LocalCluster

    try:
        cluster = LocalCluster(3)
    except ClusterUnavailable as error:
        _cannot_run_opensearch(str(error))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def cluster_location(cluster: Any, name: str) -> str:
    """An opensearch:// location naming every node, so that a client carries on when
    one of them stops."""
    hosts = ",".join(f"127.0.0.1:{node.http_port}" for node in cluster.nodes)
    return f"opensearch://{hosts}/{name}"


@pytest.fixture(scope="session")
def os_seeds(opensearch_cluster: Any) -> Iterator[Any]:
    """The seed pages in an index on the test cluster, as ``seeds_index_path`` holds them."""
    pages = [{"id": page.stem, "body": page.read_text(encoding="utf-8")}
             for page in sorted(SEEDS.glob("*.txt"))]
    location = cluster_location(opensearch_cluster, "seeds")
    with SearchIndex.create(location, overwrite=True) as ix:
        report = ix.index_documents(pages, pages=True)
        assert (report.added, report.skipped) == (5, [])
        yield ix


@contextlib.contextmanager
def _serving(app: Any) -> Iterator[int]:
    """``app`` served by uvicorn in a thread on a free loopback port (yielded), stopped
    on the way out."""
    import socket
    import threading
    import time

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started, "the server did not start within 10 s"
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    assert not thread.is_alive(), "the server did not stop within 10 s"


@pytest.fixture(scope="session")
def serving() -> Callable[[Any], contextlib.AbstractContextManager[int]]:
    """Serve an ASGI app over real HTTP: ``with serving(app) as port: ...``."""
    return _serving


#: What the seeds' index suggests for queries typed without accents, in Telex or VNI, or
#: misspelt (both backends are held to it).
SEED_SUGGESTIONS = [
        ("dan van kheo", "dân vận khéo"),
        ("tinh uy", "tỉnh ủy"),
        ("mat tran to quoc", "mặt trận tổ quốc"),
        ("Kien Giang", "Kiên Giang"),
        ("dân vậm", "dân vận"),  # did you mean
        ("cong tacs", "công tác"),  # Telex tone key left in
        ("vieejt nam", "việt nam"),  # Telex
        ("ddangr booj", "đảng bộ"),
        ("vie6t5 nam", "việt nam"),  # VNI
        ("d9a3ng bo65", "đảng bộ"),
]
