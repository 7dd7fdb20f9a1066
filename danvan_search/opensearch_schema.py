"""What an OpenSearch index of danvan-search holds: its mapping, and each document as
pre-analyzed token strings.

The analysis runs here, in Python, exactly as for the embedded index
(:mod:`danvan_search.analysis`); OpenSearch only splits the strings it receives at
spaces (its built-in ``whitespace`` analyzer), so no plugin is needed on the cluster.
Lucene keeps no position lengths, so a compound and its syllables cannot share a field
the way they share one in the embedded index. Each text field therefore has:

* ``<name>_x`` / ``<name>_f``: its syllables, exact and folded, one position each, so
  phrases of syllables match within the field (what ranking and phrase queries use);
  then, as values of their own (apart, so no phrase runs into them), the parts of
  hyphenated words (``covid`` of ``covid-19``), which are the same terms as syllables
  in the embedded index, and :data:`LENGTH_FILLER` tokens for the word terms of the
  text: the field's length is then the embedded field's (syllables, parts and word
  terms, as near as the one-byte lengths of both engines allow: :func:`field_length`),
  which BM25 divides by;
* ``<name>_wx`` / ``<name>_wf``: its words of several syllables and their sub-spans,
  joined by ``_`` (``dân_vận_khéo``), without positions, and stand-in tokens for the
  same length as the syllable field: what splitting a query into words and matching a
  word the segmenter found look up, and a word scores as in the embedded index;
* ``<name>_px`` / ``<name>_pf``: each two syllables next to each other
  (:func:`~danvan_search.analysis.pair_tuples`, as the embedded index's pair fields),
  one token each, with frequencies and the field's length (its number of pairs) but no
  positions: syllables adjacent in a query are found, and the pair scored by BM25, as
  in the embedded index.

The body also has ``lead_x`` / ``lead_f``: the syllables of its first lines
(:func:`~danvan_search.analysis.lead_terms`), frequencies only, with stand-ins to the
embedded lead field's length.

The stored document (original title and body, metadata) stays in ``_source`` under
``doc``; the token strings are left out of ``_source`` (they can always be made again
from it).
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterable
from typing import Any

from . import __version__
from .analysis import (
    ANALYSIS_VERSION,
    Analysis,
    StreamKind,
    _parts,
    analyze,
    lead_terms,
    pair_tuples,
    term_function,
)
from .documents import Document
from .metadata import normalize_code
from .ranking import DEFAULT_RANKING, Ranking
from .schema import FORMAT_VERSION, LEAD, TEXT_FIELDS, document_record, metadata_fields

#: Bump when the mapping or the token strings change: an index of another version is
#: refused when opened (its terms would no longer match queries). 3: the parts of
#: hyphenated words in the syllable fields, which (and the word fields) have the
#: embedded fields' lengths; no count of terms per document. 4: the body's lead.
OPENSEARCH_FORMAT_VERSION = 4
#: Joins the syllables of a word into one token (a token holds no space).
WORD_JOINER = "_"
#: Joins the two syllables of a pair into one token: U+2060 WORD JOINER, which no term
#: holds (:func:`~danvan_search.normalization.clean_text` removes it from the text and
#: from every term) and which OpenSearch's ``whitespace`` analyzer does not split at.
#: ``_`` would not do: syllables may hold it ("a_b c" and "a b_c" would give one token).
PAIR_JOINER = "\u2060"
STREAMS: dict[StreamKind, str] = {"exact": "x", "folded": "f"}
#: Stands in a syllable field for each word term of the text, only so that the field
#: has the length the embedded index's field has (it holds syllables and words
#: together): BM25 weighs a match by the length, and the ranking is the embedded
#: index's only with the same lengths. No query term can be it (U+2060 is removed from
#: text and terms: see :data:`PAIR_JOINER`).
LENGTH_FILLER = "\u2060"


def syllable_field(name: str, stream: StreamKind) -> str:
    return f"{name}_{STREAMS[stream]}"


def word_field(name: str, stream: StreamKind) -> str:
    return f"{name}_w{STREAMS[stream]}"


def pair_field(name: str, stream: StreamKind) -> str:
    return f"{name}_p{STREAMS[stream]}"


#: The embedded index's length of a document's text fields, as that many
#: :data:`LENGTH_FILLER` tokens (frequencies only): summed over the index (the field's
#: tokens, read from its statistics), the exact denominator of the word model that
#: splits queries, which the syllable fields' rounded lengths only approach.
LENGTH_FIELD = "length"


def stream_fields() -> list[str]:
    return [LENGTH_FIELD, *(field(name, stream) for name in TEXT_FIELDS for stream in STREAMS
                            for field in (syllable_field, word_field, pair_field)),
            *(syllable_field(LEAD, stream) for stream in STREAMS)]


def index_body(shards: int, replicas: int, ranking: Ranking = DEFAULT_RANKING) -> dict[str, Any]:
    """Settings and mapping of a new index."""
    positional = {"type": "text", "analyzer": "whitespace", "similarity": "danvan"}
    # Words: counted, scored (restored accents, required words), never phrased: no
    # positions; norms, of the embedded field's length (stand-in tokens).
    words = {"type": "text", "analyzer": "whitespace", "index_options": "freqs",
             "similarity": "danvan"}
    # Scored like a word, never part of a phrase: frequencies and norms, no positions.
    pairs = {"type": "text", "analyzer": "whitespace", "index_options": "freqs",
             "similarity": "danvan"}
    properties: dict[str, Any] = {
        "id": {"type": "keyword"},
        "content_hash": {"type": "keyword"},
        "plain": {"type": "keyword"},
        "date": {"type": "date", "format": "yyyy-MM-dd"},
        "year": {"type": "keyword"},
        "source": {"type": "keyword"},
        "places": {"type": "keyword"},
        "cites": {"type": "keyword"},
        "source_name": {"type": "keyword"},
        "place_names": {"type": "keyword"},
        "cite_codes": {"type": "keyword"},
        "doc": {"type": "object", "enabled": False},
        LENGTH_FIELD: {"type": "text", "analyzer": "whitespace", "index_options": "freqs",
                       "norms": False},
    }
    for stream in STREAMS:
        for name in TEXT_FIELDS:
            properties[syllable_field(name, stream)] = positional
            properties[word_field(name, stream)] = words
            properties[pair_field(name, stream)] = pairs
        # The body's lead, scored syllable by syllable: frequencies and norms.
        properties[syllable_field(LEAD, stream)] = pairs
    b = {"title": ranking.title_b, "body": ranking.body_b}
    if len(set(b.values())) > 1:  # one similarity serves both fields
        raise ValueError("the OpenSearch backend needs one b for title and body")
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "similarity": {"danvan": {"type": "BM25", "k1": ranking.k1, "b": b["body"]}},
            }
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": metadata(),
            "_source": {"excludes": stream_fields()},
            "properties": properties,
        },
    }


def metadata() -> dict[str, Any]:
    """What an index records about the code that wrote it."""
    return {
        "danvan_format_version": FORMAT_VERSION,
        "opensearch_format_version": OPENSEARCH_FORMAT_VERSION,
        "analysis_version": ANALYSIS_VERSION,
        "created_by": f"danvan-search {__version__}",
    }


def token_strings(analysis: Analysis, stream: StreamKind) -> tuple[list[str], str, int]:
    """The syllable field's values, the word string and the embedded index's length of
    one analysed text, in one stream."""
    to_term = term_function(stream)
    syllables: list[str] = []
    parts: list[str] = []
    words: list[str] = []
    for word in analysis.words:
        if word.kind == "code":  # one term, as in the embedded index
            syllables.append(to_term(normalize_code(word.text)))
            continue
        terms = [to_term(analysis.text[s:e]) for s, e in word.syllables]
        syllables.extend(terms)
        for term in terms:
            parts.extend(_parts(term))
        words.extend(_spans(terms))
    # Each part a value of its own: values are far apart (the field's position gap),
    # so no phrase matches across them, as none does in the embedded index, where a
    # word's parts share its position.
    values = [" ".join(syllables), *parts]
    least = len(syllables) + len(parts)
    embedded = least + len(words)
    fillers = field_length(embedded, least) - least
    if fillers:
        values.append(" ".join([LENGTH_FILLER] * fillers))
    # The words' field has the same length: a word scores as the same term of the
    # embedded field would (no positions: the stand-ins cost a frequency per text).
    word_fillers = field_length(embedded, len(words)) - len(words)
    word_string = " ".join([*words, *[LENGTH_FILLER] * word_fillers])
    return values, word_string, embedded


@functools.lru_cache(maxsize=1)
def _lucene_lengths() -> list[int]:
    """The lengths Lucene's BM25 can tell apart: it keeps a field's length in one byte
    (``SmallFloat.intToByte4``: exact below 24, then four significant bits, rounded
    down), and scores with the length the byte stands for."""
    free = 24  # 255 - longToInt4(Integer.MAX_VALUE)

    def decoded(byte: int) -> int:
        if byte < free:
            return byte
        code = byte - free
        bits, shift = code & 0x07, (code >> 3) - 1
        return free + (bits if shift < 0 else (bits | 0x08) << shift)

    return sorted({decoded(b) for b in range(256)})


def field_length(embedded: int, least: int) -> int:
    """How many tokens to give a syllable field whose embedded counterpart holds
    ``embedded`` terms, so that the length Lucene scores with is the nearest it has to
    the one the embedded index scores with (Whoosh keeps lengths in a byte too, on
    another scale, rounded up); never fewer than ``least``, the field's own tokens."""
    from whoosh.util.numeric import byte_to_length, length_to_byte

    target = byte_to_length(length_to_byte(embedded))
    lengths = _lucene_lengths()
    at = bisect.bisect_left(lengths, target)
    nearest = min(lengths[max(at - 1, 0) : at + 1], key=lambda n: (abs(n - target), n))
    return max(nearest, least)


def pair_string(analysis: Analysis, stream: StreamKind) -> str:
    """The pairs of adjacent syllables of one analysed text, in one stream, as
    whitespace-separated tokens: the terms of the embedded index's pair field, each
    joined by :data:`PAIR_JOINER` (so the field's length is its number of pairs, as
    Whoosh counts it)."""
    # A pair term is "left right", and neither syllable holds a space.
    return " ".join(term.replace(" ", PAIR_JOINER) for term, *_ in pair_tuples(analysis, stream))


def lead_string(analysis: Analysis, stream: StreamKind) -> str:
    """The lead of one analysed text (:func:`~danvan_search.analysis.lead_terms`) as
    whitespace-separated tokens, with stand-ins to the length Lucene should score it
    with (the embedded lead field's, see :func:`field_length`)."""
    terms = lead_terms(analysis, stream)
    fillers = field_length(len(terms), len(terms)) - len(terms)
    return " ".join([*terms, *[LENGTH_FILLER] * fillers])


def join_pair(left: str, right: str) -> str:
    return f"{left}{PAIR_JOINER}{right}"


def _spans(terms: list[str]) -> Iterable[str]:
    """A word's multi-syllable sub-spans (see ``analysis.MAX_SUBSPAN_SYLLABLES``) and
    itself, joined into single tokens."""
    from .analysis import MAX_SUBSPAN_SYLLABLES

    for i in range(len(terms)):
        for j in range(i + 2, min(len(terms), i + MAX_SUBSPAN_SYLLABLES) + 1):
            yield WORD_JOINER.join(terms[i:j])
    if len(terms) > MAX_SUBSPAN_SYLLABLES:
        yield WORD_JOINER.join(terms)


def join_word(terms: Iterable[str]) -> str:
    return WORD_JOINER.join(terms)


def document_source(doc: Document, digest: str,
                    analyse: Callable[[str], Analysis] = analyze) -> dict[str, Any]:
    """The OpenSearch document for ``doc``: stored fields, filters, facets and the token
    strings of each text in each stream (the text segmented once, by ``analyse``)."""
    source: dict[str, Any] = {"id": doc.id, "content_hash": digest}
    length = 0
    for name, text in (("title", doc.title), ("body", doc.body)):
        if not text:
            continue
        analysis = analyse(text)
        for stream in STREAMS:
            syllables, words, embedded = token_strings(analysis, stream)
            length += embedded if stream == "exact" else 0  # both streams: as many terms
            source[syllable_field(name, stream)] = syllables
            source[word_field(name, stream)] = words
            pairs = pair_string(analysis, stream)
            if pairs:  # a field without a token: no norm, not counted with the field
                source[pair_field(name, stream)] = pairs
            if name == "body":
                source[syllable_field(LEAD, stream)] = lead_string(analysis, stream)
    if length:
        source[LENGTH_FIELD] = " ".join([LENGTH_FILLER] * length)
    source.update(metadata_fields(doc))
    source["doc"] = document_record(doc, digest)
    return source
