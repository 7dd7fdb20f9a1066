"""danvan-search: full-text search for Vietnamese text.

>>> from danvan_search import SearchIndex
>>> with SearchIndex.open("indexes/default") as ix:          # doctest: +SKIP
...     for hit in ix.search("dan van kheo"):
...         print(hit.title, hit.snippet.render())
"""

__version__ = "0.1.0"

from .documents import Document  # noqa: E402
from .errors import (  # noqa: E402
    DanvanError,
    DocumentNotFoundError,
    IncompatibleIndexError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    InvalidDocumentError,
    InvalidQueryError,
)
from .index import IndexingReport, SearchIndex  # noqa: E402
from .searching import Hit, SearchResults, StoredDocument  # noqa: E402
from .snippets import Snippet  # noqa: E402

__all__ = [
    "DanvanError",
    "Document",
    "DocumentNotFoundError",
    "Hit",
    "IncompatibleIndexError",
    "IndexExistsError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexingReport",
    "InvalidDocumentError",
    "InvalidQueryError",
    "SearchIndex",
    "SearchResults",
    "Snippet",
    "StoredDocument",
    "__version__",
]
