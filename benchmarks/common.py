"""Shared helpers of the benchmarks: data paths, corpora, timing, memory, machine facts.

The data is read from ``../shared/data`` (relative to the repository root) and never
copied into the repository; derived corpora are written to temporary directories only.
"""

from __future__ import annotations

import json
import lzma
import os
import platform
import random
import re
import resource
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DANVAN_BENCH_DATA", REPO_ROOT.parent / "shared" / "data"))
VIQUAD_DIR = DATA_DIR / "viquad-dev"
VNTC_CTXH = DATA_DIR / "vntc-ctxh.jsonl.xz"
VNTC_ALL = DATA_DIR / "vntc.jsonl.xz"
SEEDS_DIR = REPO_ROOT / "seeds"

#: Every random choice of the benchmarks uses this seed: same data, same figures.
SEED = 20261121

Doc = dict[str, Any]


# --- reading data -----------------------------------------------------------------------


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Lines of a JSONL file, plain or ``.xz``, as a stream."""
    opener = lzma.open if path.suffix == ".xz" else open
    with opener(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)


def slim(doc: dict[str, Any]) -> Doc:
    """The fields every engine indexes: id, title (may be empty), body."""
    return {"id": str(doc["id"]), "title": (doc.get("title") or "").strip(), "body": doc["body"]}


def doc_text(doc: Doc) -> str:
    """Title and body as one text: what the segmentation-only bound segments."""
    return f"{doc['title']}\n{doc['body']}" if doc["title"] else doc["body"]


def doc_bytes(doc: Doc) -> int:
    return len(doc["title"].encode("utf-8")) + len(doc["body"].encode("utf-8"))


#: The ranking collections: one configuration of the library must do well on all four.
#: Each holds documents and questions (accented, and the same with diacritics removed),
#: each question with the ids of its relevant documents.
COLLECTIONS = {
    "viquad-dev": VIQUAD_DIR,  # Wikipedia paragraphs, titled by article
    "vinewsqa_dev": DATA_DIR / "dev" / "vinewsqa_dev",  # health news articles
    "vicov19qa_val": DATA_DIR / "dev" / "vicov19qa_val",  # COVID-19 answers, no titles
    "baomoi_title_dev": DATA_DIR / "dev" / "baomoi_title_dev",  # headline -> its article
}


def collection_docs(name: str) -> list[Doc]:
    folder = COLLECTIONS[name]
    path = folder / "docs.jsonl"
    return [slim(d) for d in read_jsonl(path if path.exists() else folder / "docs.jsonl.xz")]


def collection_queries(name: str, folded: bool) -> list[dict[str, Any]]:
    file = "queries-folded.jsonl" if folded else "queries.jsonl"
    return list(read_jsonl(COLLECTIONS[name] / file))


def viquad_docs() -> list[Doc]:
    return collection_docs("viquad-dev")


def viquad_queries(folded: bool) -> list[dict[str, Any]]:
    return collection_queries("viquad-dev", folded)


_QUERY_WORDS = re.compile(r"[^\W_]+")


def query_words(query: str) -> str:
    """The words of a question, and nothing else: what every engine is given, so that no
    punctuation is query syntax for one engine and not for another ("?" is a wildcard
    to Whoosh's parser, quotes make phrases, "-" excludes)."""
    return " ".join(_QUERY_WORDS.findall(query))


def seed_docs() -> list[Doc]:
    """The seeds as the CLI indexes text files: id from the name, first line as title."""
    docs = []
    for path in sorted(SEEDS_DIR.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        title = next((line.strip() for line in text.splitlines() if line.strip()), "")
        docs.append({"id": path.stem, "title": title, "body": text})
    return docs


def write_jsonl(docs: Iterable[Doc], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for doc in docs:
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
            count += 1
    return count


def sample(items: list[Any], count: int, salt: str) -> list[Any]:
    """A deterministic sample (order kept) of ``count`` items."""
    if count >= len(items):
        return list(items)
    rng = random.Random(f"{SEED}:{salt}")
    chosen = sorted(rng.sample(range(len(items)), count))
    return [items[i] for i in chosen]


# --- timing and memory ------------------------------------------------------------------


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "mean_ms": statistics.fmean(ms) if ms else float("nan"),
        "max_ms": max(ms) if ms else float("nan"),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mb() -> float:
    """The largest peak RSS of this process's finished children (e.g. indexing workers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


# --- machine ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    ram_gb: float
    python: str
    system: str
    packages: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


PACKAGES = ("danvan-search", "whoosh-reloaded", "underthesea", "underthesea-core", "tantivy")


def machine() -> Machine:
    return Machine(
        cpu=_cpu_model(),
        cores=os.cpu_count() or 1,
        ram_gb=_ram_gb(),
        python=sys.version.split()[0],
        system=platform.platform(),
        packages={name: _version(name) for name in PACKAGES},
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def _version(name: str) -> str:
    if name == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def sqlite_version() -> str:
    return _version("sqlite")


def fold(text: str) -> str:
    """Remove every diacritic (đ → d), as people type without accents."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


# --- which danvan-search is measured ----------------------------------------------------


def use_revision(revision: str) -> dict[str, str]:
    """Measure danvan-search as committed at ``revision`` instead of the working tree.

    Exports the package with ``git archive`` into a temporary directory (outside the
    repository) and puts it first on ``sys.path`` and ``PYTHONPATH``, so this process,
    the benchmark's subprocesses and the ``danvan-search`` script all import it. Call
    before anything imports ``danvan_search``.
    """
    import atexit
    import shutil
    import subprocess
    import tarfile
    import tempfile

    def git(*args: str) -> bytes:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, check=True,
                              capture_output=True).stdout

    commit = git("rev-parse", revision).decode().strip()
    target = Path(tempfile.mkdtemp(prefix="danvan-rev-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    archive = target / "package.tar"
    archive.write_bytes(git("archive", "--format=tar", commit, "danvan_search"))
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    archive.unlink()
    sys.path.insert(0, str(target))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(target), os.environ.get("PYTHONPATH", "")) if p
    )
    subject = git("log", "-1", "--format=%s", commit).decode().strip()
    return {"source": f"commit {commit[:10]} ({subject[:70]})", "path": str(target)}


def working_tree() -> str:
    """The commit the working tree is at, and whether it holds uncommitted changes to
    the library (which the figures then measure, not the commit)."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, check=True, capture_output=True,
                              text=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        changed = git("status", "--porcelain", "--", "danvan_search", "pyproject.toml")
    except (OSError, subprocess.CalledProcessError):
        return "working tree (not a git checkout)"
    state = "with uncommitted changes to the library" if changed else "clean"
    return f"working tree at commit {commit[:10]} ({state})"


def danvan_origin() -> str:
    """Where the imported danvan_search comes from."""
    import danvan_search

    return str(Path(danvan_search.__file__).parent)
