"""Exceptions raised by danvan-search.

Every error derives from :class:`DanvanError`; where a builtin exception means the
same thing, the subclass inherits it too, so ``except FileNotFoundError`` keeps
working in code that does not know this library.
"""

from __future__ import annotations


class DanvanError(Exception):
    """Base class of every error this library raises."""


class IndexNotFoundError(DanvanError, FileNotFoundError):
    """No search index exists at the given path."""


class IndexExistsError(DanvanError, FileExistsError):
    """An index already exists where a new one was to be created."""


class IncompatibleIndexError(DanvanError):
    """The index was written by a version of danvan-search this one cannot read."""


class CorruptIndexError(DanvanError):
    """The index files are damaged (truncated, overwritten, missing) or were not written
    by danvan-search; the message says how to rebuild the index."""


class IndexWriteError(DanvanError, OSError):
    """The index could not be written (disk full, permissions); it keeps its last commit."""

    def __str__(self) -> str:  # OSError would prefix "[Errno N]"
        return str(self.strerror) if self.strerror else super().__str__()


class IndexLockedError(DanvanError, TimeoutError):
    """Another writer holds the index lock and did not release it in time."""


class InvalidDocumentError(DanvanError, ValueError):
    """A document lacks a required field or has a field of the wrong type."""


class InvalidArgumentError(DanvanError, ValueError):
    """An argument of a library call has a value it cannot take; the message names it."""


class InvalidQueryError(InvalidArgumentError):
    """A query cannot be run at all (for example, it is empty), or a search option has a
    value it cannot take (the message names the option)."""


class ArgumentTypeError(DanvanError, TypeError):
    """An argument of a library call has the wrong type; the message names the argument."""


class DocumentNotFoundError(DanvanError, KeyError):
    """No document with the given id is in the index."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class IndexClosedError(DanvanError, ValueError):
    """The index was closed; open it again to use it."""


class IndexChangingError(DanvanError, TimeoutError):
    """Commits followed each other too fast for the index to be opened (practically
    never: opening retries a hundred times)."""


class ClusterUnavailableError(DanvanError, ConnectionError):
    """The search cluster (OpenSearch) could not be reached or did not answer in time."""


class MissingExtraError(DanvanError, ImportError):
    """An optional backend was asked for whose packages are not installed; the message
    says which extra to install."""


class DamagedDataError(Exception):
    """Something this library stored in the index cannot be read back (internal: what a
    reader raises while decoding, turned into :class:`CorruptIndexError` for users)."""
