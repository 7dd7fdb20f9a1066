"""The Whoosh schema of a danvan-search index and the analyzers its text fields use.

Each text field is indexed twice: exact (lowercase, canonical tone placement) and folded
(no diacritics), so a query typed without accents still matches, while one typed with
accents can rank exact matches first. Metadata fields are kept as plain values for
filters (folded) and facets (as written); everything shown to the user is in one
column, ``doc``, as JSON (never a pickle: reading it runs no code).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from whoosh import analysis as whoosh_analysis
from whoosh.columns import CompressedBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema

from .analysis import (
    ANALYSIS_VERSION,
    StreamKind,
    analyze,
    lead_terms,
    pair_tuples,
    term_tuples,
)
from .documents import Document
from .filters import filter_value, place_filter_names
from .metadata import normalize_code
from .normalization import written_without_diacritics

#: Bump when the schema (fields, their types) or the files of an index change. 2:
#: ``plain`` marks documents written without diacritics. 3: documents stored as JSON in
#: a column, not pickled; a manifest of checksums. 4: pairs of adjacent syllables. 5:
#: the pairs' postings as arrays in a file of their own per segment (``pairstore``). 6:
#: the lead of the body (its first syllables) in fields of their own.
FORMAT_VERSION = 6

TEXT_FIELDS = ("title", "body")
#: Whoosh field names for each text field: (exact stream, folded stream).
STREAM_FIELDS = {name: (name, f"{name}_f") for name in TEXT_FIELDS}
#: Whoosh field names of the pairs of adjacent syllables of each text field, per stream
#: (:func:`danvan_search.analysis.pair_tuples`): two syllables next to each other are
#: found, and scored, without reading positions.
PAIR_FIELDS = {name: (f"{name}_p", f"{name}_fp") for name in TEXT_FIELDS}
PAIR_FIELD_NAMES = frozenset(name for pair in PAIR_FIELDS.values() for name in pair)
#: The ``plain`` field's value for a document written without diacritics.
PLAIN_FIELD, PLAIN_MARK = "plain", "1"
#: The body's lead (:func:`danvan_search.analysis.lead_terms`), exact and folded:
#: frequencies only, scored syllable by syllable (``Ranking.lead_weight``).
LEAD = "lead"
LEAD_FIELDS = (LEAD, f"{LEAD}_f")


# The fields of a text (exact and folded, syllables and pairs) get the same string one
# after the other: remember the last few analyses so the CRF runs once per text.
_analysis_of = lru_cache(maxsize=16)(analyze)


class VietnameseAnalyzer(whoosh_analysis.Analyzer):
    """Whoosh analyzer emitting one stream of :func:`danvan_search.analysis.token_stream`.

    Whoosh pickles the schema into the index, analyzers included, so this class must keep
    its import path and stay cheap to pickle (it only holds the stream kind, and whether
    it emits the stream's syllables or pairs of adjacent ones).
    """

    pairs = False
    lead = False

    def __init__(self, stream: StreamKind, pairs: bool = False, lead: bool = False) -> None:
        self.stream = stream
        self.pairs = pairs
        self.lead = lead

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, VietnameseAnalyzer) and other.stream == self.stream
                and other.pairs == self.pairs and other.lead == self.lead)

    def __hash__(self) -> int:
        return hash(("VietnameseAnalyzer", self.stream, self.pairs, self.lead))

    def __repr__(self) -> str:
        return f"VietnameseAnalyzer({self.stream!r}, pairs={self.pairs}, lead={self.lead})"

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[whoosh_analysis.Token]:
        analysis = _analysis_of(value)
        token = whoosh_analysis.Token(positions, chars, removestops=removestops, mode=mode)
        token.boost = 1.0
        token.stopped = False
        if self.lead:  # counted, never positioned or highlighted: no offsets
            for term in lead_terms(analysis, self.stream):
                token.text = term
                if keeporiginal:
                    token.original = term
                yield token
            return
        tuples = pair_tuples if self.pairs else term_tuples
        for term, position, start, end in tuples(analysis, self.stream):
            token.text = term
            if keeporiginal:
                token.original = term
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """The terms of ``value`` and the positions of each, in order: what Whoosh's
        ``Positions`` format collects from :meth:`__call__`, without making tokens."""
        positions: dict[str, list[int]] = {}
        for term, position, _, _ in term_tuples(_analysis_of(value), self.stream):
            found = positions.get(term)
            if found is None:
                positions[term] = [position]
            else:
                found.append(position)
        return positions

    def pair_counts(self, value: str) -> Counter[str]:
        """The pair terms of ``value`` and how often each is in it: what a writer keeps
        of a pair field (:mod:`danvan_search.pairwriting`), without making tokens."""
        return Counter(term for term, _, _, _ in pair_tuples(_analysis_of(value), self.stream))


def position_postings(field: Any, value: str) -> Iterator[tuple[bytes, int, float, bytes]]:
    """What Whoosh's ``field.index(value)`` returns for a text field with positions
    (term, frequency, weight, encoded positions), from the analysis's terms directly:
    Whoosh's way makes a token object of every term first."""
    encode = field.format.encode
    boost = field.format.field_boost
    for term, positions in field.analyzer.term_positions(value).items():
        yield term.encode("utf-8"), len(positions), len(positions) * boost, encode(positions)


def build_schema() -> Schema:
    exact, folded = VietnameseAnalyzer("exact"), VietnameseAnalyzer("folded")
    text_fields: dict[str, Any] = {}
    for exact_name, folded_name in STREAM_FIELDS.values():
        text_fields[exact_name] = TEXT(analyzer=exact, phrase=True)
        text_fields[folded_name] = TEXT(analyzer=folded, phrase=True)
    for exact_name, folded_name in PAIR_FIELDS.values():
        # Frequencies, no positions: a pair is scored like a word, never part of a phrase.
        text_fields[exact_name] = TEXT(analyzer=VietnameseAnalyzer("exact", pairs=True),
                                       phrase=False)
        text_fields[folded_name] = TEXT(analyzer=VietnameseAnalyzer("folded", pairs=True),
                                        phrase=False)
    for name, stream in zip(LEAD_FIELDS, ("exact", "folded"), strict=True):
        text_fields[name] = TEXT(analyzer=VietnameseAnalyzer(stream, lead=True), phrase=False)
    return Schema(
        # Columns (sortable) for id and content hash: re-indexing reads them for every
        # document without loading the stored text.
        id=ID(unique=True, sortable=True),
        content_hash=ID(sortable=True),
        # PLAIN_MARK for a document written without diacritics: only there does a word
        # typed with accents match its folded form ("tham nhũng" finds "tham nhung").
        plain=ID,
        # ISO date (YYYY-MM-DD): sorts and ranges lexicographically.
        date=ID(sortable=True),
        year=ID,
        # Filters match folded, lowercase values ("thua thien hue" finds "Thừa Thiên
        # Huế"); facets count the values as written, kept in fields of their own.
        source=ID,
        places=KEYWORD(commas=True),
        cites=KEYWORD(commas=True),
        source_name=ID,
        place_names=KEYWORD(commas=True),
        cite_codes=KEYWORD(commas=True),
        # Everything shown to the user: original title and body, metadata, content hash,
        # as JSON (see document_bytes).
        doc=COLUMN(CompressedBytesColumn()),
        **text_fields,
    )


def index_metadata() -> dict[str, int]:
    """What an index records about the code that wrote it."""
    return {"format_version": FORMAT_VERSION, "analysis_version": ANALYSIS_VERSION}


# --- stored documents ---------------------------------------------------------------------


def metadata_fields(doc: Document) -> dict[str, str | list[str]]:
    """The values a document is filtered and faceted by (both backends index these):
    filters match folded values, facets count the values as written; lists are the
    many-valued fields."""
    fields: dict[str, str | list[str]] = {}
    if written_without_diacritics(f"{doc.title or ''} {doc.body}"):
        fields[PLAIN_FIELD] = PLAIN_MARK
    if doc.date:
        fields["date"] = doc.date.isoformat()
        fields["year"] = str(doc.date.year)
    if doc.source:
        fields["source"] = filter_value(doc.source)
        fields["source_name"] = doc.source
    if doc.places:
        fields["places"] = [filter_value(p) for p in place_filter_names(doc.places)]
        fields["place_names"] = list(doc.places)
    if doc.cites:
        fields["cites"] = [filter_value(normalize_code(c)) for c in doc.cites]
        fields["cite_codes"] = [normalize_code(c) for c in doc.cites]
    return fields


def document_record(doc: Document, digest: str) -> dict[str, Any]:
    """Everything kept of a document to show it again (both backends keep this)."""
    return {
        "id": doc.id,
        "title": doc.title,
        "body": doc.body,
        "date": doc.iso_date,
        "source": doc.source,
        "url": doc.url,
        "author": doc.author,
        "places": list(doc.places),
        "cites": list(doc.cites),
        "extra": dict(doc.extra),
        "raw": doc.raw,
        "content_hash": digest,
    }


def document_bytes(document: Mapping[str, Any]) -> bytes:
    """What the ``doc`` column holds for a document: its fields as UTF-8 JSON."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
