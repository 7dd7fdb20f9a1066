"""Tests for danvan_search.assist: syllables, Telex/VNI."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from danvan_search.assist import (
    decode_keystrokes,
    decode_telex,
    decode_vni,
    encode_telex,
    encode_vni,
    is_folded_sequence,
    is_folded_syllable,
    is_vietnamese_syllable,
    place_tone,
    valid_syllables,
)
from danvan_search.assist.telex import _ENGLISH
from danvan_search.normalization import fold, has_diacritics, normalize

SYLLABLES = sorted(valid_syllables())
ACCENTED = [s for s in SYLLABLES if has_diacritics(s)]
syllables = st.sampled_from(SYLLABLES)
accented = st.sampled_from(ACCENTED)


# --- syllables ---------------------------------------------------------------------------

VALID = [
    "nghiêng", "khuỷu", "quốc", "gì", "được", "tổ", "việt", "đảng", "nguyễn", "người",
    "gìn", "giữ", "giếng", "quý", "quyết", "quyển", "quở", "thuở", "khuya", "yêu", "yên",
    "uyên", "ủy", "hòa", "thủy", "khỏe", "hoặc", "xoắn", "huế", "khuếch", "huỳnh", "tuất",
    "khuấy", "hươu", "rượu", "ngoéo", "oái", "ý", "ừ", "ư", "a", "ăn", "ấm", "lý", "lí",
    "kỹ", "kĩ", "mỹ", "kìa", "nghĩa", "ghế", "kẻng", "cóc", "học", "sách", "ếch", "ích",
    "pin", "buýt", "tuýp", "boong", "xoong", "goá", "góa", "qui", "quít", "hừm",
]  # fmt: skip
INVALID = [
    "ngiêng", "vieejt", "cqa", "thc", "ddangr", "", " ", "việt nam", "ki ", "cí", "kă",
    "ghá", "nghá", "gé", "quốt", "còc", "hàt", "mảp", "sỉch", "ă", "â", "iê", "uô", "ươ",
    "tươ", "anhg", "inhh", "ing", "ic", "êng", "êc", "ơng", "ơc", "coa", "xyz", "w", "f",
    "ok", "covid", "25", "việtt", "hoà́", "ngy", "qu", "q", "gh", "hoă", "oă", "uâ", "ghy",
]  # fmt: skip


@pytest.mark.parametrize("text", VALID)
def test_valid_syllables(text: str) -> None:
    assert is_vietnamese_syllable(text)


@pytest.mark.parametrize("text", INVALID)
def test_invalid_syllables(text: str) -> None:
    assert not is_vietnamese_syllable(text)


@pytest.mark.parametrize(
    "text", ["Việt", "VIỆT", "hoà", "HOÀ", "thuỷ", "Khoẻ", unicodedata.normalize("NFD", "được")]
)
def test_syllable_check_ignores_case_form_and_tone_style(text: str) -> None:
    assert is_vietnamese_syllable(text)


@pytest.mark.parametrize(
    ("valid", "invalid"),
    [
        ("cát", "càt"), ("cạc", "cảc"), ("sách", "sãch"), ("tiếp", "tiềp"), ("học", "hòc"),
        ("kia", "cia"), ("ghi", "ghu"), ("nghe", "nge"), ("ca", "ka"), ("ga", "gha"),
        ("nga", "ngha"), ("quả", "qả"), ("yên", "iên"), ("kìa", "kià"), ("mưa", "mươ"),
        ("mua", "muô"), ("khuyên", "khuiên"),
    ],
)  # fmt: skip
def test_rules(valid: str, invalid: str) -> None:
    assert is_vietnamese_syllable(valid) and not is_vietnamese_syllable(invalid)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dan", True), ("nghieng", True), ("quoc", True), ("DAN", True), ("Khuyu", True),
        ("duoc", True), ("gi", True), ("vieejt", False), ("xyz", False), ("cqa", False),
        ("dân", False), ("", False), ("dan van", False), ("w", False), ("ngieng", False),
    ],
)  # fmt: skip
def test_folded_syllables(text: str, expected: bool) -> None:
    assert is_folded_syllable(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("dan van kheo", True), ("dan", True), ("dan  van", False), ("dan vna", False),
     ("", False), ("dân vận", False)],
)  # fmt: skip
def test_folded_sequences(text: str, expected: bool) -> None:
    assert is_folded_sequence(text) is expected


@pytest.mark.parametrize(
    ("base", "tone", "expected"),
    [
        ("viêt", "nặng", "việt"), ("viet", "nặng", "viẹt"), ("hoa", "huyền", "hòa"),
        ("thuy", "hỏi", "thủy"), ("khuyu", "hỏi", "khuỷu"), ("nguoi", "huyền", "nguòi"),
        ("người", "ngang", "người"),
        ("ngươi", "huyền", "người"), ("quy", "sắc", "quý"), ("gin", "huyền", "gìn"),
        ("gi", "huyền", "gì"), ("giư", "ngã", "giữ"), ("hoan", "sắc", "hoán"),
        ("khuyên", "sắc", "khuyến"), ("mia", "sắc", "mía"), ("ngoai", "huyền", "ngoài"),
        ("hươu", "sắc", "hướu"), ("tr", "sắc", "tr"),
    ],
)  # fmt: skip
def test_place_tone(base: str, tone: str, expected: str) -> None:
    assert place_tone(base, tone) == expected


def test_syllable_set_size() -> None:
    # Not a magic number to keep: a sanity range, so that a broken rule table shows.
    assert 15_000 < len(SYLLABLES) < 20_000
    assert len({fold(s) for s in SYLLABLES}) > 2_000


@given(syllables)
def test_generated_syllables_are_canonical(syllable: str) -> None:
    assert normalize(syllable) == syllable == syllable.lower()
    assert is_vietnamese_syllable(syllable.upper())
    assert is_vietnamese_syllable(syllable.capitalize())


@given(syllables)
def test_fold_of_a_valid_syllable_is_a_folded_syllable(syllable: str) -> None:
    assert is_folded_syllable(fold(syllable))
    assert is_folded_sequence(f"{fold(syllable)} {fold(syllable).upper()}")


@given(st.text(alphabet="abcdeghiklmnopqrstuvxyđăâêôơư", max_size=8))
def test_any_valid_string_folds_to_a_folded_syllable(text: str) -> None:
    if is_vietnamese_syllable(text):
        assert is_folded_syllable(fold(text))


# --- Telex and VNI ----------------------------------------------------------------------

TELEX = [
    ("vieejt", "việt"), ("ddangr", "đảng"), ("nguyeenx", "nguyễn"), ("quoocs", "quốc"),
    ("Vieejt", "Việt"), ("VIEEJT", "VIỆT"), ("Ddangr", "Đảng"), ("viejet", "việt"),
    ("vieetj", "việt"), ("nguoiwf", "người"), ("nguwowif", "người"), ("dduowcj", "được"),
    ("thuowr", "thuở"), ("quow", "quơ"), ("w", "ư"), ("wf", "ừ"), ("nhw", "như"),
    ("tw", "tư"), ("hojc", "học"), ("awn", "ăn"), ("hoaf", "hòa"), ("hoaf", "hòa"),
    ("thuyr", "thủy"), ("khuyur", "khuỷu"), ("giuwx", "giữ"), ("gif", "gì"),
    ("ginf", "gìn"), ("nghieeng", "nghiêng"), ("khoer", "khỏe"), ("az", "a"),
    ("tieesng", "tiếng"), ("tieengs", "tiếng"), ("cuar", "của"), ("ddi", "đi"),
    ("uyeenr", "uyển"), ("yeeu", "yêu"), ("hoawcj", "hoặc"), ("truwowngf", "trường"),
]  # fmt: skip
TELEX_NONE = [
    "covid", "ok", "xa", "dan", "", "việtj", "25-NQ", "vieejt2", "add", "cars", "vieejtt",
    "aaa", "kaf", "fa", "jet", "zalo", "ww", "new", "show", "iphone", "news",
]  # fmt: skip
VNI = [
    ("vie6t5", "việt"), ("d9a3ng", "đảng"), ("vie65t", "việt"), ("Nguye64n", "Nguyễn"),
    ("dang39", "đảng"), ("thuo73", "thuở"), ("to6i", "tôi"), ("toi6", "tôi"),
    ("ngu7o7i2", "người"), ("nguoi72", "người"), ("a8n", "ăn"), ("hoa2", "hòa"),
    ("quo6c1", "quốc"), ("VIE6T5", "VIỆT"), ("o73", "ở"),
    ("hoa8c5", "hoặc"),
]  # fmt: skip
VNI_NONE = [
    "covid19", "u23", "b52", "f35", "mig21", "a320", "k9", "d9", "h5n1", "vie6t", "viet",
    "123", "", "vie6t5-", "vi6t", "a8", "g7", "25-NQ", "a10", "qu6o1c",
]  # fmt: skip


@pytest.mark.parametrize(("typed", "expected"), TELEX)
def test_decode_telex(typed: str, expected: str) -> None:
    assert decode_telex(typed) == expected


@pytest.mark.parametrize("typed", TELEX_NONE)
def test_decode_telex_none(typed: str) -> None:
    assert decode_telex(typed) is None


@pytest.mark.parametrize(("typed", "expected"), VNI)
def test_decode_vni(typed: str, expected: str) -> None:
    assert decode_vni(typed) == expected


@pytest.mark.parametrize("typed", VNI_NONE)
def test_decode_vni_none(typed: str) -> None:
    assert decode_vni(typed) is None


@pytest.mark.parametrize(
    ("syllable", "telex", "vni"),
    [("việt", "vieetj", "vie6t5"), ("Đảng", "Ddangr", "D9ang3"), ("người", "nguwowif",
     "ngu7o7i2"), ("KHUỶU", "KHUYUR", "KHUYU3"), ("hoà", "hoaf", "hoa2"), ("an", "an", "an")],
)  # fmt: skip
def test_encode(syllable: str, telex: str, vni: str) -> None:
    assert (encode_telex(syllable), encode_vni(syllable)) == (telex, vni)


def test_every_accented_syllable_round_trips() -> None:
    # Exhaustive rather than sampled: 14,000 syllables take well under a second.
    # Loanword rhymes with "oo" (boóng, soóc) read as ô in Telex; an input method
    # needs an escape for them too.
    telex = [s for s in ACCENTED if decode_telex(encode_telex(s)) != s]
    assert telex and all("oo" in fold(s) for s in telex)
    assert [s for s in ACCENTED if decode_vni(encode_vni(s)) != s] == []


@given(accented, st.sampled_from([str.lower, str.upper, str.capitalize]))
def test_typing_then_decoding_gives_the_syllable_back(syllable: str, case) -> None:
    word = case(syllable)
    if "oo" not in fold(syllable):
        assert decode_telex(encode_telex(word)) == word
    assert decode_vni(encode_vni(word)) == word


@given(syllables)
def test_plain_syllables_are_not_keystrokes(syllable: str) -> None:
    plain = fold(syllable)
    assert decode_keystrokes(plain) is None
    if plain == syllable and "oo" not in plain:  # boong, xoong: "oo" is also Telex for ô
        assert decode_telex(syllable) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vieejt nam", "việt nam"), ("ddangr booj vie6t5 nam", "đảng bộ việt nam"),
        ("dan vaajn kheos", "dan vận khéo"), ("  vieejt\tnam ", "  việt\tnam "),
        ('-vieejt "ddangr" (hojc)', '-việt "đảng" (học)'), ("Vieejt Nam", "Việt Nam"),
        ("tinhr uyr xa", "tỉnh ủy xa"), ("hojc sinh test", "học sinh test"),
        ("o73 nha2", "ở nhà"), ("w", "ư"),
    ],
)  # fmt: skip
def test_decode_keystrokes(text: str, expected: str) -> None:
    assert decode_keystrokes(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "covid", "25-NQ/TW", "ok", "xa lộ", "dan van", "", "   ", "UBND tỉnh", "VIEEJT",
        "test covid", "how now", "as of", "a1 b2", "covid-19", "OR", "việt nam",
        "iphone 15", "f1", "title:vieejt", "email@vieejt",
    ],
)  # fmt: skip
def test_decode_keystrokes_leaves_alone(text: str) -> None:
    assert decode_keystrokes(text) is None


@pytest.mark.parametrize("word", sorted(_ENGLISH))
def test_english_stop_words_would_decode(word: str) -> None:
    # The list exists only for words that Telex would otherwise turn into syllables.
    assert decode_telex(word) is not None
    assert decode_keystrokes(word) is None
