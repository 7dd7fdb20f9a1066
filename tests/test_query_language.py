"""The query language, construct by construct, and the edges of filters.

Parser tests check the clauses each construct becomes; search tests check the exact set of
seed articles each query returns (and ``total``), alone and combined, against what the
articles say (an oracle reading their text). Each would catch a one-line slip such as a
quoted phrase made optional, a negation that takes the next word with it, ``OR`` read as
a word, or an ``until`` that excludes its own day.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest

from danvan_search import SearchIndex
from danvan_search.query_syntax import Clause, parse_query

HUE_2021 = "000_ade4d488ee155d8d"
DVCQ_2018 = "001_53296adb6bb486b7"
LAO_CAI_2022 = "002_6093d6844a4749a0"
THANH_HOA = "003_960197ae100cdfc3"
KIEN_GIANG = "004_1d921b9e94ebeb4d"
ALL = {HUE_2021, DVCQ_2018, LAO_CAI_2022, THANH_HOA, KIEN_GIANG}


# --- the parser -------------------------------------------------------------------------------


def clauses(text: str) -> list[list[Clause]]:
    return [list(alternative) for alternative in parse_query(text).alternatives]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # free words stay together, to be split into words against the index
        ("công tác dân vận", [[Clause("công tác dân vận")]]),
        ('"Dân vận khéo"', [[Clause("Dân vận khéo", phrase=True)]]),
        ("-Huế", [[Clause("Huế", negated=True)]]),
        ('-"Kiên Giang"', [[Clause("Kiên Giang", phrase=True, negated=True)]]),
        ("title:Huế", [[Clause("Huế", in_title=True)]]),
        ('title:"dân vận"', [[Clause("dân vận", phrase=True, in_title=True)]]),
        ("TITLE:Huế", [[Clause("Huế", in_title=True)]]),
        ("-title:Huế", [[Clause("Huế", negated=True, in_title=True)]]),
        ("Huế OR Lào Cai", [[Clause("Huế")], [Clause("Lào Cai")]]),
        # a negated word is one word: the words after it are free words again
        ("dân vận -Huế công tác", [[Clause("dân vận"), Clause("Huế", negated=True),
                                    Clause("công tác")]]),
        ('dân vận -"Kiên Giang" công tác', [[Clause("dân vận"),
                                              Clause("Kiên Giang", phrase=True, negated=True),
                                              Clause("công tác")]]),
        # a phrase, then free words; a title word, then free words
        ('"Giồng Riềng" dân vận', [[Clause("Giồng Riềng", phrase=True), Clause("dân vận")]]),
        ("title:Huế dân vận", [[Clause("Huế", in_title=True), Clause("dân vận")]]),
        # OR between combinations
        ('"Giồng Riềng" OR "Lào Cai" -Huế', [[Clause("Giồng Riềng", phrase=True)],
                                             [Clause("Lào Cai", phrase=True),
                                              Clause("Huế", negated=True)]]),
        ("a OR b OR c", [[Clause("a")], [Clause("b")], [Clause("c")]]),
        # only the upper-case OR is an operator
        ("Huế or Lào Cai", [[Clause("Huế or Lào Cai")]]),
        # typographic quotes are quotes
        ("“Dân vận khéo”", [[Clause("Dân vận khéo", phrase=True)]]),
        # malformed: read as plain text
        ('"unbalanced quote', [[Clause("unbalanced quote")]]),
        ('dân "vận', [[Clause("dân vận")]]),
        ("dân vận OR", [[Clause("dân vận")]]),
        ("OR dân vận", [[Clause("dân vận")]]),
        ("Huế OR OR Lào Cai", [[Clause("Huế")], [Clause("Lào Cai")]]),
        ("OR", []),
        ("-", [[Clause("-")]]),
        ('""', []),
        ('-""', []),
        ("title:", [[Clause("title:")]]),
        ("dân\x00vận\x07", [[Clause("dân vận")]]),
    ],
)
def test_parse(text: str, expected: list[list[Clause]]):
    assert clauses(text) == expected


def test_parse_keeps_the_query_text_cleaned():
    assert parse_query("  dân\tvận  ").text == "dân vận"
    assert parse_query(unicodedata.normalize("NFD", "dân vận")).text == "dân vận"


# --- each construct, alone and combined: exact result sets ------------------------------------


@pytest.fixture(scope="module")
def texts(seeds_index_path) -> dict[str, tuple[str, str]]:
    """Each seed's (title, body), lowercase NFC: what the oracle reads."""
    with SearchIndex.open(seeds_index_path) as ix:
        return {
            doc_id: tuple(unicodedata.normalize("NFC", t or "").lower()  # type: ignore[misc]
                          for t in (ix.get(doc_id).title, ix.get(doc_id).body))
            for doc_id in ix.ids()
        }


def having(texts, phrase: str, title_only: bool = False) -> set[str]:
    """The seeds whose text has ``phrase``, as words (the oracle)."""
    words = r"\s+".join(map(re.escape, phrase.lower().split()))
    pattern = re.compile(rf"(?<!\w){words}(?!\w)")
    return {
        doc_id for doc_id, (title, body) in texts.items()
        if pattern.search(title) or (not title_only and pattern.search(body))
    }


def test_the_oracle_agrees_with_what_the_seeds_are_about(texts):
    assert having(texts, "Giồng Riềng") == {KIEN_GIANG}
    assert having(texts, "Lào Cai") == {LAO_CAI_2022}
    assert having(texts, "Huế") == {HUE_2021, DVCQ_2018}
    assert having(texts, "dân vận") == ALL
    assert having(texts, "trực tuyến") == {DVCQ_2018, LAO_CAI_2022}
    assert having(texts, "Hội nghị", title_only=True) == {DVCQ_2018, LAO_CAI_2022}


def found(ix: SearchIndex, query: str, **options) -> set[str]:
    results = ix.search(query, limit=50, **options)
    assert results.total == len(results), query  # limit 50: every match is listed
    return {hit.id for hit in results}


def test_a_quoted_phrase_is_required(seeds_index, texts):
    assert found(seeds_index, '"Giồng Riềng"') == having(texts, "Giồng Riềng") == {KIEN_GIANG}
    # with optional words beside it, the phrase still decides what matches
    assert found(seeds_index, '"Giồng Riềng" dân vận') == {KIEN_GIANG}
    assert found(seeds_index, 'dân vận "Giồng Riềng" công tác') == {KIEN_GIANG}
    assert found(seeds_index, '"trực tuyến" "Lào Cai"') == {LAO_CAI_2022}


def test_free_words_are_optional(seeds_index, texts):
    assert found(seeds_index, "dân vận") == ALL
    assert found(seeds_index, "Huế Giồng Riềng") == having(texts, "Huế") | {KIEN_GIANG}


def test_an_excluded_word_excludes_only_itself(seeds_index, texts):
    without_hue = ALL - having(texts, "Huế")
    assert found(seeds_index, "dân vận -Huế") == without_hue == {
        LAO_CAI_2022, THANH_HOA, KIEN_GIANG,
    }
    # the words after the exclusion are searched, not excluded
    assert found(seeds_index, "dân vận -Huế công tác") == without_hue
    assert found(seeds_index, "-Huế Giồng Riềng") == {KIEN_GIANG}
    assert found(seeds_index, "-Huế") == without_hue  # exclusions alone: all but them


def test_an_excluded_phrase(seeds_index, texts):
    assert found(seeds_index, 'dân vận -"Kiên Giang"') == ALL - {KIEN_GIANG}
    assert found(seeds_index, 'dân vận -"trực tuyến"') == ALL - having(texts, "trực tuyến")
    assert found(seeds_index, 'Huế -"Thừa Thiên"') == {HUE_2021}


def test_or_between_alternatives(seeds_index, texts):
    assert found(seeds_index, '"Giồng Riềng" OR "Lào Cai"') == {KIEN_GIANG, LAO_CAI_2022}
    assert found(seeds_index, '"Giồng Riềng" OR "Lào Cai" OR "Thanh Hóa"') == (
        {KIEN_GIANG, LAO_CAI_2022} | having(texts, "Thanh Hóa")
    )
    # an exclusion applies to the whole query
    assert found(seeds_index, '"Thanh Hóa" OR "Kiên Giang" -"Lào Cai"') == (
        having(texts, "Thanh Hóa") | {KIEN_GIANG}
    ) - {LAO_CAI_2022}


def test_title_field(seeds_index, texts):
    assert found(seeds_index, 'title:"Hội nghị"') == having(texts, "Hội nghị", title_only=True)
    assert found(seeds_index, "title:Huế") == set() != having(texts, "Huế")
    assert found(seeds_index, 'title:"Kiên Giang" dân vận') == {KIEN_GIANG}
    assert found(seeds_index, 'title:"công tác dân vận" -Huế') == ALL - having(texts, "Huế")
    assert found(seeds_index, 'title:"trực tuyến" OR "Giồng Riềng"') == {
        DVCQ_2018, LAO_CAI_2022, KIEN_GIANG,
    }


@pytest.mark.parametrize(
    ("query", "same_as"),
    [
        ('"dân vận khéo', "dân vận khéo"),
        ('"Giồng Riềng', "Giồng Riềng"),
        ("(Giồng Riềng]", "Giồng Riềng"),
        ("Giồng Riềng 😀 OR", "Giồng Riềng"),
        ("😀 dân vận 🎉", "dân vận"),
        ("dân\x00vận\x07", "dân vận"),
        ("dân vận OR", "dân vận"),
        ("OR dân vận", "dân vận"),
        ("title: dân vận", "dân vận"),
        ("dân*", "dân"),
        ("[Giồng] {Riềng}", "Giồng Riềng"),
    ],
)
def test_malformed_syntax_is_plain_text(seeds_index, query: str, same_as: str):
    expected = seeds_index.search(same_as, limit=10)
    results = seeds_index.search(query, limit=10)
    assert [h.id for h in results] == [h.id for h in expected]
    assert results.total == expected.total > 0


@pytest.mark.parametrize(
    "query", ["OR", "-", "- -", "title:", "title:title:", '""', '-""', "[{()}]", "*", "😀",
              "\udcff"],
)
def test_queries_with_nothing_to_search_find_nothing(seeds_index, query: str):
    results = seeds_index.search(query, limit=10)
    assert (results.total, results.hits) == (0, ())


def test_a_very_long_word_is_searched(seeds_index):
    results = seeds_index.search("a" * 5000, limit=5, exact=True)
    assert (results.total, len(results.query)) == (0, 1000)


# --- filters at their edges ---------------------------------------------------------------------

# Seed dates: HUE 2021-03-05, DVCQ 2019-01-11, LAO_CAI 2022-07-15, KIEN_GIANG 2023-10-03,
# THANH_HOA undated.


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"since": "2023-10-03"}, {KIEN_GIANG}),  # dated exactly on since: included
        ({"since": "2023-10-04"}, set()),
        ({"until": "2019-01-11"}, {DVCQ_2018}),  # dated exactly on until: included
        ({"until": "2019-01-10"}, set()),
        ({"since": "2021-03-05", "until": "2021-03-05"}, {HUE_2021}),  # one day
        ({"since": "2019-01-11", "until": "2022-07-15"}, {DVCQ_2018, HUE_2021, LAO_CAI_2022}),
        ({"since": "2019-01-12", "until": "2022-07-14"}, {HUE_2021}),
        ({"since": dt.date(2021, 3, 5), "until": dt.datetime(2021, 3, 5, 23, 59)}, {HUE_2021}),
        ({"until": "2021-03-05T00:00:00"}, {DVCQ_2018, HUE_2021}),
    ],
)
def test_date_filters_are_inclusive_at_both_ends(seeds_index, options, expected):
    assert found(seeds_index, "dân vận", **options) == expected
    # the same through date order, facets and a listing without a query
    assert found(seeds_index, "dân vận", sort="date", **options) == expected
    assert found(seeds_index, "dân vận", facets=True, **options) == expected
    assert found(seeds_index, "", **options) == expected


def test_undated_documents_are_outside_any_date_range(seeds_index):
    assert THANH_HOA not in found(seeds_index, "dân vận", since="1900-01-01")
    assert THANH_HOA in found(seeds_index, "dân vận")


@pytest.mark.parametrize(
    ("query", "options", "expected"),
    [
        ('"Dân vận khéo" -Huế', {"since": "2022-07-15"}, {LAO_CAI_2022, KIEN_GIANG}),
        ('"Dân vận khéo" OR "Lào Cai"', {"until": "2022-07-15"}, {HUE_2021, LAO_CAI_2022}),
        ("dân vận", {"place": "Thừa Thiên Huế", "until": "2019-01-11"}, {DVCQ_2018}),
        ("title:\"công tác\" -\"trực tuyến\"", {"source": "thuathienhue.gov.vn"}, {HUE_2021}),
    ],
)
def test_syntax_and_filters_together(seeds_index, query, options, expected):
    assert found(seeds_index, query, **options) == expected
