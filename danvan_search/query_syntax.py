"""The query language: from what people type in a search box to clauses.

Syntax, all of it forgiving: free words (all optional, documents with all of them rank
first, adjacent words rank higher when adjacent in the text), ``"quoted phrase"``
(required), ``-word`` / ``-"phrase"`` (excluded), ``OR`` between alternatives, and
``title:word`` / ``title:"phrase"`` (required, in the title). Anything malformed (an
unbalanced quote, a lone ``-`` or ``OR``, ``title:`` with nothing after it, brackets,
emoji, control characters) is read as plain text: parsing never fails.

What the clauses become is :mod:`danvan_search.query_builder`'s to decide.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .errors import ArgumentTypeError, InvalidQueryError
from .normalization import clean_text, replace_lone_surrogates

#: Longer queries are cut (at a space) to this many characters: a pasted page is not a
#: query, and Whoosh's cost grows with every term.
MAX_QUERY_CHARS = 1000

_TOKEN = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[Tt][Ii][Tt][Ll][Ee]):)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))'
)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


@dataclass(frozen=True)
class Clause:
    """One unit of a parsed query."""

    text: str
    phrase: bool = False
    negated: bool = False
    in_title: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """The query as alternatives (joined by OR), each a sequence of clauses."""

    text: str
    alternatives: tuple[tuple[Clause, ...], ...]


def prepare_query_text(text: str) -> str:
    """Clean a raw query: control characters out, NFC, cut to :data:`MAX_QUERY_CHARS`.

    Raises :class:`InvalidQueryError` when nothing is left to search for, and
    :class:`ArgumentTypeError` when ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise ArgumentTypeError(f"query must be a string, not {type(text).__name__}")
    text = replace_lone_surrogates(text)  # not text: cannot be looked up in the index
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    text = clean_text(text)[0].translate(_QUOTES).strip()
    if not text:
        raise InvalidQueryError("empty query: type some words to search for")
    if len(text) > MAX_QUERY_CHARS:
        cut = text.rfind(" ", 0, MAX_QUERY_CHARS)
        text = text[: cut if cut > 0 else MAX_QUERY_CHARS]
    return text


def parse_query(text: str) -> ParsedQuery:
    """Parse query syntax; never raises on malformed input (it becomes plain text)."""
    text = prepare_query_text(text)
    if text.count('"') % 2:  # an unbalanced quote is just a character typed by mistake
        last = text.rfind('"')
        text = text[:last] + " " + text[last + 1 :]
    alternatives: list[list[Clause]] = [[]]
    for match in _TOKEN.finditer(text):
        word, phrase = match["word"], match["phrase"]
        negated, in_title = bool(match["neg"]), bool(match["field"])
        if word == "OR" and not negated and not in_title:
            if alternatives[-1]:
                alternatives.append([])
            continue
        if phrase is not None:
            if phrase.strip():
                alternatives[-1].append(Clause(phrase, True, negated, in_title))
            continue
        current = alternatives[-1]
        last = current[-1] if current else None
        if (
            last is not None
            and not (negated or in_title or last.phrase or last.negated or last.in_title)
        ):
            # Free words stay together so "công tác dân vận" is split into words whole.
            current[-1] = Clause(f"{last.text} {word}")
        else:
            current.append(Clause(word, False, negated, in_title))
    return ParsedQuery(text, tuple(tuple(a) for a in alternatives if a))
