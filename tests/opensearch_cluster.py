"""A real OpenSearch cluster on loopback, for the tests and benchmarks of the OpenSearch
backend.

The distribution is the "integ-test-zip" one from Maven Central (no bundled JDK, no
plugins, plain HTTP), fetched by ``scripts/fetch-opensearch.sh`` into ``.opensearch/``
(git-ignored). :class:`LocalCluster` starts several nodes from it, each with its own
configuration, data and ports, as an unprivileged user when run as root (OpenSearch
refuses to run as root), and stops them all.

Run on its own to try a cluster by hand::

    python tests/opensearch_cluster.py   # starts 3 nodes, prints the URL, Ctrl-C stops them
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: 2.19.x runs on Java 17 (3.x needs Java 21).
VERSION = os.environ.get("DANVAN_OPENSEARCH_VERSION", "2.19.6")
CACHE = ROOT / ".opensearch"
#: The user nodes run as when the tests run as root.
SERVICE_USER = "danvan-opensearch"
HEAP = "512m"


class ClusterUnavailable(Exception):
    """The distribution or Java is missing: the cluster cannot be started here."""


def distribution_zip(version: str = VERSION) -> Path:
    return CACHE / f"opensearch-{version}.zip"


def java_home() -> Path:
    """A Java 17+ home: $OPENSEARCH_JAVA_HOME, $JAVA_HOME, else the ``java`` on PATH."""
    for name in ("OPENSEARCH_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(name):
            return Path(os.environ[name])
    java = shutil.which("java")
    if java is None:
        raise ClusterUnavailable("no java on PATH and no JAVA_HOME: install a JDK 17+")
    return Path(java).resolve().parent.parent


def unpacked_home(version: str = VERSION) -> Path:
    """The distribution, unpacked once next to its zip (file modes kept)."""
    archive = distribution_zip(version)
    home = CACHE / f"opensearch-{version}"
    if (home / "bin" / "opensearch").is_file():
        return home
    if not archive.is_file():
        raise ClusterUnavailable(
            f"{archive} is missing: run `bash scripts/fetch-opensearch.sh` (Maven) first"
        )
    partial = CACHE / f".unpacking-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            target = partial / info.filename
            zipped.extract(info, partial)
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                target.chmod(mode)
    (partial / f"opensearch-{version}").rename(home)
    shutil.rmtree(partial, ignore_errors=True)
    return home


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _service_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run nodes as (made if missing), or None when the tests
    are not root (then nodes run as the current user)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             SERVICE_USER],
            check=True, capture_output=True,
        )
        return pwd.getpwnam(SERVICE_USER)


def _chown_tree(path: Path, user: pwd.struct_passwd) -> None:
    for root, dirs, files in os.walk(path):
        os.chown(root, user.pw_uid, user.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid, follow_symlinks=False)


class Node:
    def __init__(self, cluster: LocalCluster, index: int, http_port: int,
                 transport_port: int) -> None:
        self.cluster = cluster
        self.name = f"node-{index}"
        self.http_port = http_port
        self.transport_port = transport_port
        self.directory = cluster.workdir / self.name
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def configure(self, seed_hosts: list[str], managers: list[str]) -> None:
        config = self.directory / "config"
        shutil.copytree(self.cluster.home / "config", config)
        for sub in ("data", "logs", "tmp"):
            (self.directory / sub).mkdir()
        # The stock options log GC and dump heaps to paths relative to the directory the
        # launcher runs in (the home, not writable by the node): into the node's logs.
        options = (config / "jvm.options").read_text(encoding="utf-8")
        logs = self.directory / "logs"
        options = (options.replace("file=logs/", f"file={logs}/")
                   .replace("=logs/hs_err", f"={logs}/hs_err")
                   .replace("HeapDumpPath=data", f"HeapDumpPath={logs}"))
        (config / "jvm.options").write_text(options, encoding="utf-8")
        settings = {
            "cluster.name": self.cluster.name,
            "node.name": self.name,
            "path.data": str(self.directory / "data"),
            "path.logs": str(self.directory / "logs"),
            "network.host": "127.0.0.1",
            "http.port": self.http_port,
            "transport.port": self.transport_port,
            "discovery.seed_hosts": seed_hosts,
            "cluster.initial_cluster_manager_nodes": managers,
            # Test machines' disks may be nearly full: never refuse shards for it.
            "cluster.routing.allocation.disk.threshold_enabled": False,
        }
        (config / "opensearch.yml").write_text(
            "".join(f"{key}: {json.dumps(value)}\n" for key, value in settings.items()),
            encoding="utf-8",
        )

    def start(self) -> None:
        env = {
            **os.environ,
            "OPENSEARCH_JAVA_HOME": str(self.cluster.java_home),
            "OPENSEARCH_PATH_CONF": str(self.directory / "config"),
            "OPENSEARCH_JAVA_OPTS": (f"-Xms{self.cluster.heap} -Xmx{self.cluster.heap} "
                                     "-XX:ActiveProcessorCount=1"),
            "OPENSEARCH_TMPDIR": str(self.directory / "tmp"),
        }
        command = [str(self.cluster.home / "bin" / "opensearch"), "-q"]
        if self.cluster.user is not None:
            command = ["runuser", "-u", self.cluster.user.pw_name, "--", *command]
        log = (self.directory / "stdout.log").open("ab")
        self.process = subprocess.Popen(
            command, cwd=self.directory, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the node cleanly (SIGTERM to its process group), killing it after
        ``timeout`` seconds."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        group = os.getpgid(process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            process.wait()
        # The JVM may outlive the wrapper for a moment: wait for the group to be gone.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.killpg(group, signal.SIGKILL)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        path = self.directory / "stdout.log"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class LocalCluster:
    """``size`` OpenSearch nodes on 127.0.0.1, each a cluster-manager-eligible data node."""

    def __init__(self, size: int = 3, version: str = VERSION, heap: str = HEAP) -> None:
        self.heap = heap  # each node's (-Xms and -Xmx)
        self.home = unpacked_home(version)
        self.java_home = java_home()
        self.user = _service_user()
        self.name = f"danvan-test-{os.getpid()}"
        self.workdir = Path(tempfile.mkdtemp(prefix="danvan-opensearch-"))
        ports = _free_ports(2 * size)
        self.nodes = [Node(self, i, ports[2 * i], ports[2 * i + 1]) for i in range(size)]
        seeds = [f"127.0.0.1:{n.transport_port}" for n in self.nodes]
        for node in self.nodes:
            node.configure(seeds, [n.name for n in self.nodes])
        if self.user is not None:
            self.workdir.chmod(0o755)
            _chown_tree(self.workdir, self.user)
            # The node writes below its home (extensions/, plugins' cache).
            extensions = self.home / "extensions"
            extensions.mkdir(exist_ok=True)
            _chown_tree(extensions, self.user)

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    def start(self, timeout: float = 150.0) -> None:
        for node in self.nodes:
            node.start()
        self.wait_for("green", len(self.nodes), timeout)

    def running_node(self) -> Node:
        for node in self.nodes:
            if node.running:
                return node
        raise RuntimeError("no node is running")

    def health(self, wait: str = "", timeout: float = 5.0) -> dict:
        request = f"{self.running_node().url}/_cluster/health{wait}"
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.load(answer)

    def wait_for(self, status: str, nodes: int, timeout: float = 120.0) -> dict:
        """Wait until the cluster has ``nodes`` nodes and at least ``status``."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.process is not None and node.process.poll() is not None:
                    raise RuntimeError(f"{node.name} exited:\n{node.log_tail()}")
            try:
                health = self.health(
                    f"?wait_for_nodes={nodes}&wait_for_status={status}&timeout=5s", 15.0
                )
                if not health.get("timed_out"):
                    return health
                last = health
            except (OSError, urllib.error.URLError, RuntimeError) as error:
                last = error
            time.sleep(0.5)
        logs = "\n".join(f"--- {n.name}\n{n.log_tail()}" for n in self.nodes)
        raise TimeoutError(f"cluster not {status} with {nodes} nodes ({last}):\n{logs}")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


if __name__ == "__main__":
    cluster = LocalCluster()
    try:
        cluster.start()
        print(" ".join(cluster.urls), flush=True)
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
