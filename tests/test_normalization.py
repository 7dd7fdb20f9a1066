"""Tests for danvan_search.normalization: cleaning, tone placement, folding."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from danvan_search.normalization import (
    VIETNAMESE_LETTERS,
    _cluster_start_re,
    clean_text,
    fold,
    has_diacritics,
    normalize,
    normalize_tones,
)

INVISIBLES = "\u200b\u200c\u200d\u2060\u00ad\ufeff"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def strip_invisibles(text: str) -> str:
    return "".join(c for c in text if c not in INVISIBLES)


def in_three_cases(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each (input, expected) pair in lower, UPPER and Title case."""
    return [(f(old), f(new)) for old, new in pairs for f in (str.lower, str.upper, str.title)]


# --- tone placement ----------------------------------------------------------------------

OLD_TO_MODERN = [
    ("hoà", "hòa"), ("thuỷ", "thủy"), ("uỷ", "ủy"), ("khoẻ", "khỏe"), ("hoá", "hóa"),
    ("loà", "lòa"), ("toả", "tỏa"), ("thuý", "thúy"), ("luỹ", "lũy"), ("hoạ", "họa"),
    ("xoè", "xòe"), ("oà", "òa"), ("nghoè", "nghòe"), ("huỷ", "hủy"), ("tuỳ", "tùy"),
]  # fmt: skip
# Each of the five tones on each affected nucleus.
ALL_TONES = [
    ("hoà", "hòa"), ("hoá", "hóa"), ("hoả", "hỏa"), ("hoã", "hõa"), ("hoạ", "họa"),
    ("khoè", "khòe"), ("khoé", "khóe"), ("khoẻ", "khỏe"), ("khoẽ", "khõe"), ("khoẹ", "khọe"),
    ("thuỳ", "thùy"), ("thuý", "thúy"), ("thuỷ", "thủy"), ("thuỹ", "thũy"), ("thuỵ", "thụy"),
]  # fmt: skip
LEAVE_ALONE = [
    "quả", "quý", "quỷ", "quỳ", "quà", "giữ", "gìn", "hoài", "thuở", "khuya", "quyển",
    "nguyễn", "hoàng", "thuyền", "khuỷu", "hòa", "thủy", "toàn", "già", "hoa", "thuy", "khoe",
    "hoặc", "xoắn", "thuế", "huệ", "chloé",
    "xnghoà", "hoàhoà", "quỷhuỷ",  # letter runs longer than one syllable are not touched
]  # fmt: skip
PHRASES = [
    ("Tỉnh uỷ Thừa Thiên Huế", "Tỉnh ủy Thừa Thiên Huế"),
    ("Hoà bình", "Hòa bình"),
    ("BAN DÂN VẬN TỈNH UỶ", "BAN DÂN VẬN TỈNH ỦY"),
    ("Uỷ ban nhân dân, hoà giải (cơ sở)", "Ủy ban nhân dân, hòa giải (cơ sở)"),
    ("thuỷ lợi 2021hoà_hoà", "thủy lợi 2021hòa_hòa"),
    ("quý khách thuý", "quý khách thúy"),
]


@pytest.mark.parametrize(("old", "modern"), in_three_cases(OLD_TO_MODERN + ALL_TONES))
def test_normalize_moves_old_style_tones(old: str, modern: str) -> None:
    assert normalize(old) == modern
    assert normalize_tones(old) == modern
    assert normalize(nfd(old)) == modern


@pytest.mark.parametrize("word", [f(w) for w in LEAVE_ALONE for f in (str.lower, str.upper)])
def test_normalize_leaves_canonical_syllables_alone(word: str) -> None:
    assert normalize(word) == word
    assert normalize(nfd(word)) == word


@pytest.mark.parametrize(("text", "expected"), PHRASES)
def test_normalize_phrases(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_tones_without_tone_marks_is_identity() -> None:
    text = "Dan van kheo, 25-QD/TU; hoa binh!"
    assert normalize_tones(text) is text


# --- cleaning ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\u00d0ảng bộ", "Đảng bộ"),
        ("\u00f0ồng chí", "đồng chí"),
        ("dân\u200b vận", "dân vận"),
        ("khéo\u00ad léo", "khéo léo"),
        ("\ufeffĐảng", "Đảng"),
        ("a\u200cb\u200dc\u2060d", "abcd"),
        ("Tỉnh\u00a0ủy", "Tỉnh ủy"),
        ("25\u202fQĐ\u2007TU", "25 QĐ TU"),
        ("Tỉnh uỷ", "Tỉnh uỷ"),  # clean_text never moves tone marks
    ],
)
def test_clean_text(text: str, expected: str) -> None:
    assert clean_text(text)[0] == expected
    assert clean_text(nfd(text))[0] == expected


def test_clean_text_fast_path_returns_none_offsets() -> None:
    text = "Ban Dân vận Tỉnh ủy hoàn thành nhiệm vụ."
    cleaned, offsets = clean_text(text)
    assert cleaned is text
    assert offsets is None
    # Length-preserving substitutions keep every index where it was.
    assert clean_text("Ðảng\u00a0bộ") == ("Đảng bộ", None)


def assert_offsets_valid(text: str, cleaned: str, offsets: list[int] | None) -> None:
    if offsets is None:
        assert len(cleaned) == len(text)
        return
    assert len(offsets) == len(cleaned) + 1
    assert offsets[-1] == len(text)
    assert all(a <= b for a, b in itertools.pairwise(offsets))
    assert offsets[0] >= 0


@pytest.mark.parametrize(
    "text",
    [
        nfd("Nguyễn Quốc Đoàn, Tỉnh ủy Thừa Thiên Huế"),
        "Đảng\u200b bộ\u00ad dân\ufeff vận",
        "\u200bđầu" + nfd(" nhiệm kỳ\u2060") + "\u200d",
        nfd("ĐỒNG CHÍ") + "\u200c" + "khéo",
        "a\u200b\u0301",  # the mark still composes with the base across a removed character
        "Tỉnh ủy 😀\u200b" + nfd("Thừa Thiên Huế 👍"),  # astral characters take the slower route
        nfd("é\u0302") + "\u200b",  # a mark with no precomposed form stays a separate character
    ],
)
def test_clean_text_offsets_map_each_char_to_its_source(text: str) -> None:
    cleaned, offsets = clean_text(text)
    assert offsets is not None
    assert_offsets_valid(text, cleaned, offsets)
    for i, char in enumerate(cleaned):
        assert char == nfc(strip_invisibles(text[offsets[i] : offsets[i + 1]]))


def test_clean_text_composes_hangul_and_other_class_zero_followers() -> None:
    for word in ("한국어", "각", "கொ ஔ"):  # Hangul; Tamil vowel signs with U+0BBE/U+0BD7
        assert clean_text(nfd(word))[0] == nfc(word)


# --- folding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đảng bộ", "Dang bo"),
        ("dân vận khéo", "dan van kheo"),
        ("Hélène Müller", "Helene Muller"),
        ("ĐỒNG CHÍ", "DONG CHI"),
        ("Nguyễn", "Nguyen"),
        ("25-QĐ/TU", "25-QD/TU"),
        ("Quốc hội", "Quoc hoi"),
        ("ăâêôơư ĂÂÊÔƠƯ", "aaeoou AAEOOU"),
        ("søster łódź façade", "soster lodz facade"),
        ("straße Æsir œuvre", "straße Æsir œuvre"),  # no one-letter ASCII base: unchanged
        (nfd("Nguyễn Đoàn"), "Nguyen Doan"),  # stray combining marks are dropped
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_fold_keeps_length_on_nfc_input() -> None:
    text = "Tập trung nâng cao hiệu quả hoạt động, Hélène Müller"
    assert len(fold(text)) == len(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Đảng", True), ("dan van", False), ("đ", True), ("café", True), ("25-QD", False)],
)
def test_has_diacritics(text: str, expected: bool) -> None:
    assert has_diacritics(text) is expected


def test_vietnamese_letters() -> None:
    assert len(VIETNAMESE_LETTERS) == len(set(VIETNAMESE_LETTERS)) == 2 * (26 + 7 + 12 * 5)
    assert all(nfc(c) == c for c in VIETNAMESE_LETTERS)
    assert {"ỵ", "Ỹ", "đ", "Đ", "ơ", "z"} <= set(VIETNAMESE_LETTERS)


# --- properties --------------------------------------------------------------------------

ONSETS = ["", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng",
          "ngh", "nh", "ph", "qu", "s", "t", "th", "tr", "v", "x"]  # fmt: skip
NUCLEI = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "oa", "oe", "uy",
          "ua", "uô", "ươ", "iê", "ưa", "ai", "oi", "ui", "ưu", "oai", "uya", "uyê", "oă",
          "uê"]  # fmt: skip
CODAS = ["", "", "", "c", "ch", "m", "n", "ng", "nh", "p", "t", "u", "o", "i", "y"]
TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]


@st.composite
def syllables(draw: st.DrawFn) -> str:
    """A syllable-like word, its tone on any vowel of the nucleus (old, modern or odd style)."""
    nucleus = draw(st.sampled_from(NUCLEI))
    at = draw(st.integers(0, len(nucleus) - 1))
    nucleus = nucleus[:at] + nfc(nucleus[at] + draw(st.sampled_from(TONES))) + nucleus[at + 1 :]
    word = draw(st.sampled_from(ONSETS)) + nucleus + draw(st.sampled_from(CODAS))
    return draw(st.sampled_from([str.lower, str.upper, str.title]))(word)


vietnamese_text = st.lists(
    st.one_of(syllables(), st.text(VIETNAMESE_LETTERS, max_size=6)), max_size=12
).map(" ".join)


@given(vietnamese_text)
def test_normalize_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


@given(st.text())
def test_normalize_is_idempotent_on_any_text(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


@given(vietnamese_text)
def test_normalize_ignores_normalization_form(text: str) -> None:
    assert normalize(nfd(text)) == normalize(text)


@given(vietnamese_text)
def test_normalize_tones_preserves_length(text: str) -> None:
    assert len(normalize_tones(text)) == len(text)


@given(st.lists(st.tuples(syllables(), st.sampled_from([" ", ", ", "-", "_", "2", "\n"]))))
def test_normalize_tones_works_syllable_by_syllable(parts: list[tuple[str, str]]) -> None:
    text = "".join(word + sep for word, sep in parts)
    assert normalize_tones(text) == "".join(normalize_tones(word) + sep for word, sep in parts)


@given(vietnamese_text)
def test_tone_moves_do_not_change_folded_form(text: str) -> None:
    assert fold(normalize(text)) == fold(text)


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text(VIETNAMESE_LETTERS + " "))
def test_fold_of_vietnamese_letters_is_ascii_and_same_length(text: str) -> None:
    assert fold(text).isascii()
    assert len(fold(text)) == len(text)
    assert has_diacritics(text) == (not text.isascii())


@given(st.text())
def test_clean_text_equals_whole_string_nfc(text: str) -> None:
    cleaned, offsets = clean_text(text)
    expected = nfc(strip_invisibles(text)).translate(
        str.maketrans("\u00a0\u202f\u2007\u00d0\u00f0", "   \u0110\u0111")
    )
    assert cleaned == expected
    assert_offsets_valid(text, cleaned, offsets)


@given(st.text())
def test_clusters_compose_independently(text: str) -> None:
    # clean_text maps characters to clusters on the premise that NFC never crosses a
    # cluster boundary: check it on arbitrary text, including Hangul and Indic scripts.
    starts = [0] + [m.start() for m in _cluster_start_re().finditer(text) if m.start()]
    pieces = [text[a:b] for a, b in itertools.pairwise([*starts, len(text)])]
    assert "".join(nfc(strip_invisibles(p)) for p in pieces) == nfc(strip_invisibles(text))


@given(st.lists(st.one_of(syllables(), st.sampled_from([" ", *INVISIBLES]))).map("".join))
def test_clean_text_offsets_on_decomposed_vietnamese(text: str) -> None:
    source = nfd(text)
    cleaned, offsets = clean_text(source)
    assert_offsets_valid(source, cleaned, offsets)
    if offsets is not None:
        for i, char in enumerate(cleaned):
            assert char == nfc(strip_invisibles(source[offsets[i] : offsets[i + 1]]))
