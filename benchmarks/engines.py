"""The search engines compared, behind one small interface.

Every engine indexes the same ``{"id", "title", "body"}`` dicts into its own directory
(a temporary one unless given) and answers a query with the ids of its top ``k``
documents. OR semantics everywhere: a document matching any query word is a candidate,
ranked by BM25 (BM25F for Whoosh). No engine weighs one field above the other: the
baselines are configured as the ranking issue specifies them, and on questions about a
body a title boost makes them weaker (measured on the four ranking collections).

- ``danvan``: this project's API, as users call it (``SearchIndex.search`` builds the
  snippets of the hits too: that is part of its cost).
- ``whoosh``: stock Whoosh exactly: ``StandardAnalyzer`` on title and body,
  ``MultifieldParser(["title", "body"], group=OrGroup)``, ``BM25F()`` defaults, no field
  boosts.
- ``sqlite``: SQLite FTS5, ``unicode61 remove_diacritics 2`` (does not fold đ), ``bm25``,
  the query's tokens each quoted and joined by OR.
- ``tantivy``: tantivy-py with a custom analyzer registered through
  ``TextAnalyzerBuilder``: simple tokenizer (splits on non-alphanumerics), lowercase,
  ASCII folding (folds đ → d), on documents and queries alike; the query's words,
  lowercased and alphanumeric only (nothing left for the query grammar to interpret),
  through ``parse_query`` over title and body (BM25).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from common import Doc, dir_size_mb

_WORDS = re.compile(r"[^\W_]+")


class Engine(ABC):
    """A search engine under test, owning one index directory."""

    name: ClassVar[str]
    label: ClassVar[str]

    def __init__(self, path: str | Path | None = None) -> None:
        self._own_dir = path is None
        self.path = Path(path or tempfile.mkdtemp(prefix=f"bench-{self.name}-"))
        self.path.mkdir(parents=True, exist_ok=True)

    @abstractmethod
    def build(self, docs: Iterable[Doc]) -> None:
        """Index ``docs`` into a new index at :attr:`path`, committed when it returns."""

    @abstractmethod
    def open(self) -> None:
        """Open the index already built at :attr:`path` for searching."""

    @abstractmethod
    def search(self, query: str, k: int) -> list[str]:
        """Ids of the top ``k`` documents for ``query``, best first."""

    def close(self) -> None:
        """Release the index; a temporary directory is deleted."""
        if self._own_dir:
            shutil.rmtree(self.path, ignore_errors=True)

    def size_mb(self) -> float:
        return dir_size_mb(self.path)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --- danvan-search ----------------------------------------------------------------------


class DanvanEngine(Engine):
    name = "danvan"
    label = "danvan-search"

    def __init__(self, path: str | Path | None = None) -> None:
        super().__init__(path)
        self._ix: Any = None
        #: The searcher's postings budget (``SearchIndex.open``); None: the default.
        self.cached_postings: int | None = None

    def build(self, docs: Iterable[Doc]) -> None:
        from danvan_search import SearchIndex

        self._ix = SearchIndex.create(self.path / "index", overwrite=True)
        self._ix.index_documents(_for_danvan(d) for d in docs)

    def reindex(self, docs: Iterable[Doc]) -> Any:
        """Index the same documents again; returns the :class:`IndexingReport`."""
        return self._ix.index_documents(_for_danvan(d) for d in docs)

    def open(self) -> None:
        from danvan_search import SearchIndex

        budget = {} if self.cached_postings is None else {"cached_postings": self.cached_postings}
        self._ix = SearchIndex.open(self.path / "index", **budget)

    def search(self, query: str, k: int) -> list[str]:
        return [hit.id for hit in self._ix.search(query, limit=k)]

    def close(self) -> None:
        if self._ix is not None:
            self._ix.close()
            self._ix = None
        super().close()


def _for_danvan(doc: Doc) -> Doc:
    return {"id": doc["id"], "title": doc["title"] or None, "body": doc["body"]}


# --- stock Whoosh -----------------------------------------------------------------------


class WhooshEngine(Engine):
    name = "whoosh"
    label = "Whoosh (stock)"

    def __init__(self, path: str | Path | None = None) -> None:
        super().__init__(path)
        self._ix: Any = None
        self._searcher: Any = None
        self._parser: Any = None

    def build(self, docs: Iterable[Doc]) -> None:
        from whoosh import index
        from whoosh.analysis import StandardAnalyzer
        from whoosh.fields import ID, TEXT, Schema

        analyzer = StandardAnalyzer()
        schema = Schema(
            id=ID(stored=True, unique=True),
            title=TEXT(analyzer=analyzer),
            body=TEXT(analyzer=analyzer),
        )
        self._ix = index.create_in(str(self.path), schema)
        writer = self._ix.writer()
        for doc in docs:
            writer.add_document(id=doc["id"], title=doc["title"], body=doc["body"])
        writer.commit()

    def open(self) -> None:
        from whoosh import index

        self._ix = index.open_dir(str(self.path))

    def search(self, query: str, k: int) -> list[str]:
        if self._searcher is None:
            self._start_searching()
        try:
            parsed = self._parser.parse(query)
        except Exception:  # the stock parser on arbitrary text: count it as no result
            return []
        return [hit["id"] for hit in self._searcher.search(parsed, limit=k)]

    def _start_searching(self) -> None:
        from whoosh.qparser import MultifieldParser, OrGroup
        from whoosh.scoring import BM25F

        if self._ix is None:
            self.open()
        self._searcher = self._ix.searcher(weighting=BM25F())
        self._parser = MultifieldParser(["title", "body"], self._ix.schema, group=OrGroup)

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        if self._ix is not None:
            self._ix.close()
            self._ix = None
        super().close()


# --- SQLite FTS5 ------------------------------------------------------------------------


class SqliteEngine(Engine):
    name = "sqlite"
    label = "SQLite FTS5"

    _SEARCH = (
        "SELECT id FROM docs WHERE docs MATCH ? "
        "ORDER BY bm25(docs) LIMIT ?"
    )

    def __init__(self, path: str | Path | None = None) -> None:
        super().__init__(path)
        self._db: sqlite3.Connection | None = None

    def build(self, docs: Iterable[Doc]) -> None:
        db = self._connect()
        db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        with db:
            db.executemany(
                "INSERT INTO docs (id, title, body) VALUES (?, ?, ?)",
                ((d["id"], d["title"], d["body"]) for d in docs),
            )

    def open(self) -> None:
        self._connect()

    def search(self, query: str, k: int) -> list[str]:
        words = dict.fromkeys(w.lower() for w in _WORDS.findall(query))
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        db = self._db or self._connect()
        return [row[0] for row in db.execute(self._SEARCH, (match, k))]

    def _connect(self) -> sqlite3.Connection:
        self._db = sqlite3.connect(self.path / "fts.sqlite3")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        super().close()


# --- tantivy ----------------------------------------------------------------------------


class TantivyEngine(Engine):
    name = "tantivy"
    label = "tantivy"
    TOKENIZER = "vi_fold"
    WRITER_HEAP = 200_000_000

    def __init__(self, path: str | Path | None = None) -> None:
        super().__init__(path)
        self._ix: Any = None
        self._searcher: Any = None

    def build(self, docs: Iterable[Doc]) -> None:
        import tantivy

        self._ix = tantivy.Index(self._schema(), path=str(self.path), reuse=False)
        self._register()
        writer = self._ix.writer(self.WRITER_HEAP)
        for doc in docs:
            writer.add_document(
                tantivy.Document(id=doc["id"], title=doc["title"], body=doc["body"])
            )
        writer.commit()
        writer.wait_merging_threads()

    def open(self) -> None:
        import tantivy

        self._ix = tantivy.Index.open(str(self.path))
        self._register()

    def search(self, query: str, k: int) -> list[str]:
        words = dict.fromkeys(w.lower() for w in _WORDS.findall(query))
        if not words:
            return []
        if self._searcher is None:
            self._ix.reload()
            self._searcher = self._ix.searcher()
        parsed = self._ix.parse_query(" ".join(words), ["title", "body"])
        result = self._searcher.search(parsed, k, count=False)
        return [self._searcher.doc(address)["id"][0] for _, address in result.hits]

    def _schema(self) -> Any:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", tokenizer_name=self.TOKENIZER)
        builder.add_text_field("body", tokenizer_name=self.TOKENIZER)
        return builder.build()

    def _register(self) -> None:
        import tantivy

        analyzer = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .build()
        )
        self._ix.register_tokenizer(self.TOKENIZER, analyzer)

    def close(self) -> None:
        self._searcher = None
        self._ix = None
        super().close()


ENGINES: dict[str, type[Engine]] = {
    cls.name: cls for cls in (DanvanEngine, WhooshEngine, SqliteEngine, TantivyEngine)
}
OTHERS = ("whoosh", "sqlite", "tantivy")


def available(name: str) -> bool:
    """Whether the engine's package is installed (tantivy is optional)."""
    if name != "tantivy":
        return True
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    return True


def make(name: str, path: str | Path | None = None) -> Engine:
    return ENGINES[name](path)
