"""danvan-search: full-text search for Vietnamese text.

>>> from danvan_search import SearchIndex
>>> with SearchIndex.open("indexes/default") as ix:          # doctest: +SKIP
...     for hit in ix.search("dan van kheo"):
...         print(hit.title, hit.snippet.render())
"""

__version__ = "0.1.0"

from .documents import Document
from .errors import (
    ArgumentTypeError,
    CorruptIndexError,
    DanvanError,
    DocumentNotFoundError,
    IncompatibleIndexError,
    IndexChangingError,
    IndexClosedError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    IndexWriteError,
    InvalidArgumentError,
    InvalidDocumentError,
    InvalidQueryError,
)
from .index import IndexingReport, SearchIndex
from .ranking import DEFAULT_RANKING, Ranking
from .searching import Hit, SearchResults, StoredDocument
from .snippets import Snippet

__all__ = [
    "DEFAULT_RANKING",
    "ArgumentTypeError",
    "CorruptIndexError",
    "DanvanError",
    "Document",
    "DocumentNotFoundError",
    "Hit",
    "IncompatibleIndexError",
    "IndexChangingError",
    "IndexClosedError",
    "IndexExistsError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexWriteError",
    "IndexingReport",
    "InvalidArgumentError",
    "InvalidDocumentError",
    "InvalidQueryError",
    "Ranking",
    "SearchIndex",
    "SearchResults",
    "Snippet",
    "StoredDocument",
    "__version__",
]
