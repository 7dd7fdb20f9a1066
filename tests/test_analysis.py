"""Segmentation, offsets and token streams (the analysis shared by index and query)."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from danvan_search.analysis import (
    LEAD_SYLLABLES,
    analyze,
    lead_terms,
    pair_tuples,
    split_syllables,
    token_stream,
)
from danvan_search.normalization import fold, normalize

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def terms(text: str, kind: str = "exact") -> list[str]:
    return [t.term for t in token_stream(analyze(text), kind)]


def words(text: str) -> list[str]:
    return [w.text for w in analyze(text).words]


def test_compound_and_its_syllables_are_terms() -> None:
    exact = terms("phong trào thi đua “Dân vận khéo” của hệ thống chính trị")
    assert "dân vận khéo" in exact  # the whole compound
    assert "dân vận" in exact  # a word inside it
    assert {"dân", "vận", "khéo"} <= set(exact)  # and each syllable


def test_syllables_take_consecutive_positions_and_compounds_their_first() -> None:
    tokens = list(token_stream(analyze("thi đua “Dân vận khéo” của"), "exact"))
    position = {t.term: t.position for t in tokens}
    assert position["thi"] == position["thi đua"] == 0
    assert position["dân"] == position["dân vận khéo"] == position["dân vận"] == 2
    assert position["vận"] == position["vận khéo"] == 3
    assert position["khéo"] == 4
    assert position["của"] == 5


def test_pairs_are_the_adjacent_syllables_across_words_codes_and_parts() -> None:
    text = "Dân vận khéo theo 25-NQ/TW, covid-19 giảm"
    exact = [(t, p) for t, p, _, _ in pair_tuples(analyze(text), "exact")]
    assert exact == [
        ("dân vận", 0), ("vận khéo", 1), ("khéo theo", 2), ("theo 25-nq/tw", 3),
        ("25-nq/tw covid-19", 4), ("25-nq/tw covid", 4), ("25-nq/tw 19", 4),
        ("covid-19 giảm", 5), ("covid giảm", 5), ("19 giảm", 5),
    ]
    folded = [t for t, _, _, _ in pair_tuples(analyze(text), "folded")]
    assert folded[:3] == ["dan van", "van kheo", "kheo theo"]


@pytest.mark.parametrize(
    "variant", ["dân vận", "DÂN VẬN", "Dân Vận", unicodedata.normalize("NFD", "dân vận")]
)
def test_case_and_unicode_form_do_not_change_terms(variant: str) -> None:
    assert terms(variant) == ["dân", "dân vận", "vận"]
    assert terms(variant, "folded") == ["dan", "dan van", "van"]


def test_old_and_new_tone_styles_give_the_same_terms() -> None:
    # The CRF may join or split differently by tone style (it was trained on the old
    # one), but every syllable, and every word it does find, is spelt the new way.
    def syllables(text: str) -> list[str]:
        return [t for t in terms(text) if " " not in t]

    assert syllables("Tỉnh uỷ") == syllables("Tỉnh ủy") == ["tỉnh", "ủy"]
    assert "tỉnh ủy" in terms("Ban Dân vận Tỉnh uỷ")
    assert syllables("Hoà bình") == syllables("Hòa bình") == ["hòa", "bình"]


def test_folded_stream_drops_every_diacritic_and_folds_d_bar() -> None:
    assert terms("Đảng bộ", "folded") == ["dang", "dang bo", "bo"]
    assert "hoa binh" in terms("Hoà bình", "folded")


@pytest.mark.parametrize(
    ("code", "exact", "folded"),
    [
        ("25-NQ/TW", "25-nq/tw", "25-nq/tw"),
        ("11-QĐi/TW", "11-qđi/tw", "11-qdi/tw"),
        ("2083-QĐ/TU", "2083-qđ/tu", "2083-qd/tu"),
        ("42/NQ-CP", "42/nq-cp", "42/nq-cp"),
        ("763-QĐ/TU", "763-qđ/tu", "763-qd/tu"),
        ("23-qd/tw", "23-qd/tw", "23-qd/tw"),
    ],
)
def test_document_codes_stay_one_token(code: str, exact: str, folded: str) -> None:
    text = f"Thực hiện Nghị quyết số {code}, ngày 3/6/2013"
    assert code in words(text)
    assert exact in terms(text)
    assert folded in terms(text, "folded")


@pytest.mark.parametrize("number", ["2021", "03/3/2021", "19.200", "59,22"])
def test_numbers_and_dates_stay_tokens(number: str) -> None:
    assert number in terms(f"với hơn {number} mô hình")


@pytest.mark.parametrize("short", ["ở", "y", "ý", "an", "to"])
def test_no_stoplist_and_no_minimum_length(short: str) -> None:
    assert normalize(short) in terms(f"ông {short} đây")


def test_punctuation_is_not_a_token() -> None:
    got = terms("“Dân vận khéo” - (2021); …!")
    assert all(any(c.isalnum() for c in term) for term in got)
    assert "2021" in got


def test_hyphenated_words_are_also_found_by_their_parts() -> None:
    got = terms("dịch Covid-19 bùng phát")
    assert {"covid-19", "covid", "19"} <= set(got)


def test_parts_of_a_syllable_in_a_compound_are_terms_at_its_position() -> None:
    tokens = [(t.term, t.position) for t in token_stream(analyze("Chủ tịch Kim Jong-un nói"),
                                                          "exact")]
    assert [t for t in tokens if t[1] == 3] == [("jong-un", 3), ("jong", 3), ("un", 3)]


@pytest.mark.parametrize("apostrophe", ["'", "\u2019"])
def test_a_word_with_an_apostrophe_is_one_term_and_its_parts(apostrophe: str) -> None:
    text = f"ông Donald Trump{apostrophe}s nói"
    expected = [("ông", 0), ("donald", 1), ("trump's", 2), ("trump", 2), ("s", 2), ("nói", 3)]
    indexed = [(t.term, t.position) for t in token_stream(analyze(text), "exact")]
    # (leaving out the compound "donald trump's" the segmenter may make)
    assert [t for t in indexed if " " not in t[0]] == expected
    # A query, split without the segmenter, makes the same terms.
    query = [(t.term, t.position) for t in token_stream(split_syllables(text), "exact")]
    assert query == expected


def test_importing_the_package_does_not_load_the_segmenter_or_numpy() -> None:
    # Both take a noticeable time to import: only analysing text and ranking need them.
    code = (
        "import danvan_search.cli, sys; "
        "print('underthesea' in sys.modules, 'numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def assert_offsets_point_at_source(text: str) -> None:
    analysis = analyze(text)
    for word in analysis.words:
        source = text[word.start : word.end]
        # The span holds what the word was made from, up to invisible characters.
        assert normalize(source) == normalize(word.text)
    for kind in ("exact", "folded"):
        for token in token_stream(analysis, kind):
            source = text[token.start : token.end]
            expected = normalize(source).lower()
            if kind == "folded":
                expected = fold(expected)
            expected = " ".join(expected.split()).replace("\u2019", "'")
            # Parts of a hyphenated word ("covid" of "Covid-19") point at the whole word.
            assert token.term in (expected, *re.split(r"[-_./:,']+", expected)), (token, source)


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_offsets_point_at_the_original_text_of_each_seed(seed: Path) -> None:
    assert_offsets_point_at_source(seed.read_text(encoding="utf-8"))


OLD_STYLE = ["hoà", "Tỉnh uỷ", "khoẻ", "thuỷ", "Hoá", "loà", "toả"]
NEW_STYLE = ["hòa", "Tỉnh ủy", "khỏe", "thủy", "Hóa", "lòa", "tỏa"]
PLAIN = ["dân vận", "Đảng bộ", "công tác", "Nghị quyết", "25-NQ/TW", "ở", "y tế", "Quảng Trị"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(OLD_STYLE + NEW_STYLE + PLAIN + [",", ".", "\n", "\u200b"]),
             min_size=1, max_size=25),
    st.sampled_from(["NFC", "NFD"]),
)
def test_offsets_hold_on_mixed_tone_styles_and_nfd(pieces: list[str], form: str) -> None:
    text = unicodedata.normalize(form, " ".join(pieces))
    assert_offsets_point_at_source(text)


def test_the_lead_is_the_first_80_syllables_with_their_parts_and_no_words():
    assert LEAD_SYLLABLES == 80
    numbered = " ".join(f"x{i}" for i in range(3, LEAD_SYLLABLES + 5))
    # "Covid-19" is one syllable (position 0) with its parts; "Hà Nội" is a word of two
    # (positions 1 and 2), which the lead keeps as syllables only.
    analysis = analyze(f"Covid-19 Hà Nội {numbered}")
    exact = lead_terms(analysis, "exact")
    assert exact[:5] == ["covid-19", "covid", "19", "hà", "nội"]
    # Positions 0 to 79: x3 is at position 3, so x79 is the last one in.
    assert exact[5:] == [f"x{i}" for i in range(3, LEAD_SYLLABLES)]
    assert lead_terms(analysis, "folded")[3:5] == ["ha", "noi"]
    assert lead_terms(analyze(""), "exact") == []
