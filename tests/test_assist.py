"""Tests for danvan_search.assist: syllables, Telex/VNI, acronyms, did-you-mean, accents."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from danvan_search.assist import (
    Acronyms,
    InvalidAcronymFileError,
    SpellingIndex,
    closest_words,
    damerau_levenshtein,
    decode_keystrokes,
    decode_telex,
    decode_vni,
    decode_word,
    encode_telex,
    encode_vni,
    is_folded_sequence,
    is_folded_syllable,
    is_vietnamese_syllable,
    place_tone,
    restore_accents,
    sound_alike,
    syllable_parts,
    valid_syllables,
)
from danvan_search.assist.telex import _ENGLISH
from danvan_search.errors import DanvanError
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nguyễn", ("ng", "uyê", "n", "ngã")), ("quốc", ("qu", "ô", "c", "sắc")),
        ("giá", ("gi", "a", "", "sắc")), ("hoà", ("h", "oa", "", "huyền")),
        ("ĐƯỢC", ("đ", "ươ", "c", "nặng")), ("ủy", ("", "uy", "", "hỏi")),
        ("dan", ("d", "a", "n", "ngang")), ("xyz", None), ("quôc", None), ("", None),
    ],
)  # fmt: skip
def test_syllable_parts(text: str, expected: tuple[str, str, str, str] | None) -> None:
    assert syllable_parts(text) == expected


@given(syllables)
def test_syllable_parts_put_back_together(syllable: str) -> None:
    onset, vowels, final, tone = syllable_parts(syllable)
    assert place_tone(onset + vowels + final, tone) == syllable


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


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("vieejt", "việt"), ("Ddangr", "Đảng"), ("vie6t5", "việt"), ("tacs", "tác"),
        ("xa", None), ("dan", None), ("UBND", None), ("VIEEJT", None), ("test", None),
        ("a1", None), ("covid", None), ("iphone", None), ("Obama", None), ("DROP", None),
        ("việt", None),
    ],
)  # fmt: skip
def test_decode_word(word: str, expected: str | None) -> None:
    assert decode_word(word) == expected


# --- acronyms ----------------------------------------------------------------------------

REQUIRED = {
    "MTTQ": "Mặt trận Tổ quốc", "UBND": "Ủy ban nhân dân", "HĐND": "Hội đồng nhân dân",
    "QCDC": "Quy chế dân chủ", "DVCQ": "Dân vận chính quyền", "UVTW": "Ủy viên Trung ương",
    "UVTV": "Ủy viên Ban Thường vụ", "BCH": "Ban Chấp hành", "BTV": "Ban Thường vụ",
    "TW": "Trung ương", "TU": "Tỉnh ủy", "ĐBQH": "Đại biểu Quốc hội",
    "CCHC": "Cải cách hành chính", "KT-XH": "Kinh tế - xã hội", "THCS": "Trung học cơ sở",
    "THPT": "Trung học phổ thông", "CNH-HĐH": "Công nghiệp hóa, hiện đại hóa",
    "XHCN": "Xã hội chủ nghĩa", "CT-XH": "Chính trị - xã hội", "BCĐ": "Ban Chỉ đạo",
    "ĐTN": "Đoàn Thanh niên", "HLHPN": "Hội Liên hiệp Phụ nữ", "HND": "Hội Nông dân",
    "HCCB": "Hội Cựu chiến binh", "LĐLĐ": "Liên đoàn Lao động", "CAND": "Công an nhân dân",
    "QĐND": "Quân đội nhân dân", "NQ": "Nghị quyết", "QĐ": "Quyết định", "KL": "Kết luận",
    "CT": "Chỉ thị", "TTg": "Thủ tướng", "CP": "Chính phủ", "ATGT": "An toàn giao thông",
    "NTM": "Nông thôn mới", "GD-ĐT": "Giáo dục và Đào tạo", "BHXH": "Bảo hiểm xã hội",
}  # fmt: skip
BUILTIN = Acronyms.builtin()


@pytest.mark.parametrize(("acronym", "expansion"), REQUIRED.items())
def test_builtin_has_the_common_acronyms(acronym: str, expansion: str) -> None:
    assert (acronym, expansion) in BUILTIN.entries
    assert BUILTIN.expansions(acronym)[0] == expansion


def test_builtin_size_and_cache() -> None:
    assert len({a for a, _ in BUILTIN}) >= 60
    assert Acronyms.builtin() is BUILTIN


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("mttq", ("Mặt trận Tổ quốc",)), ("MTTQ", ("Mặt trận Tổ quốc",)),
        ("UBND", ("Ủy ban nhân dân",)), ("ubnd", ("Ủy ban nhân dân",)),
        ("HDND", ("Hội đồng nhân dân",)), ("hđnd", ("Hội đồng nhân dân",)),
        ("KTXH", ("Kinh tế - xã hội",)), ("kt-xh", ("Kinh tế - xã hội",)),
        ("KH&CN", ("Khoa học và Công nghệ",)), ("ttg", ("Thủ tướng",)),
        ("TU", ("Tỉnh ủy", "Thành ủy", "Trung ương")),
        ("TƯ", ("Trung ương", "Tỉnh ủy", "Thành ủy")),
        ("ĐH", ("Đại học", "Đại hội")), ("TP.HCM", ("Thành phố Hồ Chí Minh",)),
        ("xyz", ()), ("", ()), ("UBNDD", ()),
        # A Vietnamese word is not an acronym unless it is written in capitals.
        ("từ", ()), ("Từ", ()), ("tu", ()), ("Tu", ()), ("đu", ()), ("hu", ()),
        ("ĐU", ("Đảng ủy",)), ("HU", ("Huyện ủy",)),
    ],
)  # fmt: skip
def test_expansions(token: str, expected: tuple[str, ...]) -> None:
    assert BUILTIN.expansions(token) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("uy ban nhan dan", [(0, 15, "UBND")]), ("Ủy ban nhân dân", [(0, 15, "UBND")]),
        ("Uỷ ban nhân dân tỉnh", [(0, 15, "UBND")]), ("ỦY BAN NHÂN DÂN", [(0, 15, "UBND")]),
        ("họp Hội đồng nhân dân xã", [(4, 21, "HĐND")]),
        ("ủy viên ban thường vụ tỉnh ủy",
         [(0, 21, "UVTV"), (0, 21, "UVBTV"), (22, 29, "TU")]),
        ("phát triển kinh tế - xã hội", [(11, 27, "KT-XH")]),
        ("phát triển kinh tế–xã hội", [(11, 25, "KT-XH")]),
        ("công nghiệp hóa, hiện đại hóa", [(0, 29, "CNH-HĐH")]),
        ("trung ương", [(0, 10, "TW"), (0, 10, "TƯ")]),
        ("ban\nchấp hành", []), ("ban. chấp hành", []), ("nhân dân", []), ("", []),
        ("ủy ban nhân dân, hội đồng nhân dân",
         [(0, 15, "UBND"), (17, 34, "HĐND")]),
        ("mặt trận tổ quốc", [(0, 16, "MTTQ")]),
        ("Ủy ban Mặt trận Tổ quốc", [(0, 23, "UBMTTQ")]),
        ("ủyban nhân dân", []),
    ],
)  # fmt: skip
def test_find_expansions_in(text: str, expected: list[tuple[int, int, str]]) -> None:
    assert BUILTIN.find_expansions_in(text) == expected


def test_find_expansions_offsets_index_the_text_as_given() -> None:
    text = "Họp " + unicodedata.normalize("NFD", "Hội đồng nhân dân") + "\u200b xã"
    [(start, end, acronym)] = BUILTIN.find_expansions_in(text)
    assert acronym == "HĐND"
    assert unicodedata.normalize("NFC", text[start:end]) == "Hội đồng nhân dân"


@pytest.mark.parametrize(("acronym", "expansion"), BUILTIN.entries)
def test_every_builtin_row_round_trips(acronym: str, expansion: str) -> None:
    assert expansion in BUILTIN.expansions(acronym)
    lowercase = fold(acronym).lower()
    if is_vietnamese_syllable(lowercase):  # "tu" is a word; only "TU" is the acronym
        assert BUILTIN.expansions(lowercase) == ()
    else:
        assert expansion in BUILTIN.expansions(lowercase)
    spans = BUILTIN.find_expansions_in(fold(expansion).upper())
    assert (0, len(expansion), acronym) in spans


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "acronyms.tsv"
    path.write_bytes(text.encode(encoding))
    return path


def test_from_file_and_merged(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\ufeff# local additions\n\nDVK\tDân vận khéo\n  \nUBND\tỦy ban nhân dân\r\n"
        "TU\tTrung ương\n",
    )
    local = Acronyms.from_file(path)
    assert local.entries == (
        ("DVK", "Dân vận khéo"), ("UBND", "Ủy ban nhân dân"), ("TU", "Trung ương"),
    )  # fmt: skip
    merged = BUILTIN.merged(local)
    assert len(merged) == len(BUILTIN) + 2  # UBND → Ủy ban nhân dân was there already
    assert merged.expansions("dvk") == ("Dân vận khéo",)
    assert merged.find_expansions_in("dan van kheo") == [(0, 12, "DVK")]
    assert BUILTIN.expansions("dvk") == ()  # the original is unchanged
    assert local.merged(BUILTIN).entries[:3] == local.entries


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("UBND Ủy ban nhân dân\n", 1), ("# ok\nUBND\n", 2), ("A\tB\tC\n", 1),
        ("\tỦy ban\n", 1), ("UBND\t\n", 1), ("U BND\tỦy ban\n", 1), ("X\t - \n", 1),
    ],
)  # fmt: skip
def test_from_file_rejects_malformed_lines(tmp_path: Path, content: str, line: int) -> None:
    path = write(tmp_path, content)
    with pytest.raises(InvalidAcronymFileError, match=f"acronyms.tsv:{line}:") as error:
        Acronyms.from_file(path)
    assert isinstance(error.value, DanvanError) and isinstance(error.value, ValueError)


def test_from_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidAcronymFileError, match="not UTF-8"):
        Acronyms.from_file(write(tmp_path, "UBND\tỦy ban nhân dân\n", "utf-16"))
    with pytest.raises(FileNotFoundError):
        Acronyms.from_file(tmp_path / "missing.tsv")


def test_empty_table() -> None:
    empty = Acronyms()
    assert len(empty) == 0 and empty.expansions("UBND") == ()
    assert empty.find_expansions_in("Ủy ban nhân dân") == []
    assert repr(empty) == "<Acronyms: 0 entries>"


# --- did-you-mean ------------------------------------------------------------------------

DISTANCES = [
    ("", "", 0), ("dan", "dan", 0), ("dan", "dna", 1), ("dan", "da", 1), ("dan", "dann", 1),
    ("dan", "ban", 1), ("ca", "abc", 3), ("dan van", "dna vna", 2), ("abcdef", "badcfe", 3),
    ("kitten", "sitting", 3), ("", "abc", 3), ("nghieng", "ngieng", 1),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b", "expected"), DISTANCES)
def test_damerau_levenshtein(a: str, b: str, expected: int) -> None:
    assert damerau_levenshtein(a, b) == damerau_levenshtein(b, a) == expected
    for bound in range(4):
        assert damerau_levenshtein(a, b, bound) == min(expected, bound + 1)


def reference_osa(a: str, b: str) -> int:
    """The textbook full-table optimal string alignment distance."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


short_text = st.text(alphabet="abn ", max_size=9)


@given(short_text, short_text, st.integers(0, 4))
def test_damerau_levenshtein_matches_the_reference(a: str, b: str, bound: int) -> None:
    expected = reference_osa(a, b)
    assert damerau_levenshtein(a, b) == expected
    assert damerau_levenshtein(a, b, bound) == min(expected, bound + 1)


VOCABULARY = {
    "dan van": 120, "dan vien": 30, "dan ban": 5, "dang van": 40, "van": 900, "van ban": 300,
    "vien": 200, "tinh uy": 80, "tinh": 500, "xyz": 7, "dan vna": 0, "covid": 60,
    "nghieng": 3, "nghien": 50, "ngheo": 70,
}  # fmt: skip
CLOSEST = [
    ("dna van", ["dan van", "dang van", "dan ban"]),
    ("dan vna", ["dan van", "dang van", "dan ban"]),
    ("dan van", ["dan van", "dang van", "dan ban", "van ban", "dan vien"]),
    ("Dân  Vận", ["dan van", "dang van", "dan ban", "van ban", "dan vien"]),
    ("tinh yu", ["tinh uy"]), ("cvoid", ["covid"]), ("ngieng", ["nghieng", "nghien"]),
    ("qqqqqqqq", []), ("", []),
]  # fmt: skip


@pytest.mark.parametrize(("word", "expected"), CLOSEST)
def test_closest_words(word: str, expected: list[str]) -> None:
    assert closest_words(word, VOCABULARY) == expected
    assert SpellingIndex(VOCABULARY).closest(word) == expected


def test_closest_words_options() -> None:
    assert closest_words("dan vna", VOCABULARY, max_distance=1) == ["dan van"]
    assert closest_words("dan vna", VOCABULARY, limit=2) == ["dan van", "dang van"]
    index = SpellingIndex(VOCABULARY)
    assert index.closest("dan vna", max_distance=1) == ["dan van"]
    assert index.closest("dan vna", limit=1) == ["dan van"]
    assert len(index) == len(VOCABULARY)
    with pytest.raises(ValueError, match="up to 2"):
        index.closest("dan", max_distance=3)
    with pytest.raises(ValueError):
        SpellingIndex(VOCABULARY, max_distance=3, prefix_length=3)


def test_zero_frequency_terms_need_to_be_vietnamese() -> None:
    vocabulary = {"dan vna": 0, "dan van": 0, "dan ba": 4}
    assert closest_words("dan vn", vocabulary) == ["dan van", "dan ba"]


def test_vocabulary_spelling_is_returned() -> None:
    index = SpellingIndex({"Đảng Bộ": 3, "dang uy": 2})
    assert index.closest("dang bo") == ["Đảng Bộ", "dang uy"]


FOLDED = sorted({fold(s) for s in SYLLABLES})


def edits(draw: st.DrawFn, word: str) -> str:
    chars = list(word)
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from("dist"))
        i = draw(st.integers(0, max(0, len(chars) - 1)))
        if op == "d" and chars:
            del chars[i]
        elif op == "i":
            chars.insert(i, draw(st.sampled_from("aghnouy ")))
        elif op == "s" and chars:
            chars[i] = draw(st.sampled_from("aghnouy "))
        elif op == "t" and i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


@st.composite
def vocabularies_and_words(draw: st.DrawFn) -> tuple[dict[str, int], str, int]:
    term = st.lists(st.sampled_from(FOLDED[:300]), min_size=1, max_size=3).map(" ".join)
    vocabulary = draw(st.dictionaries(term, st.integers(0, 50), min_size=1, max_size=40))
    word = edits(draw, draw(st.sampled_from(sorted(vocabulary))))
    return vocabulary, word, draw(st.integers(1, 7))


@settings(max_examples=300)
@given(vocabularies_and_words())
def test_spelling_index_finds_what_a_scan_finds(case: tuple[dict[str, int], str, int]) -> None:
    vocabulary, word, limit = case
    for distance in (1, 2):
        for prefix in (3, 7):
            index = SpellingIndex(vocabulary, max_distance=distance, prefix_length=prefix)
            expected = closest_words(word, vocabulary, max_distance=distance, limit=limit)
            assert index.closest(word, limit) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("săng", "xăng"), ("sáng", "xáng"), ("chuyện", "truyện"), ("dì", "gì"), ("dừng", "rừng"),
        ("vui", "dui"), ("lo", "no"), ("an", "ang"), ("mát", "mác"), ("dẫn", "dẩn"),
        ("Sang", "XANG"),
    ],
)  # fmt: skip
def test_sound_alike(a: str, b: str) -> None:
    assert sound_alike(a, b) and sound_alike(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("săng", "tăng"), ("săng", "săng"), ("săng", "Săng"), ("vậm", "vận"), ("lụt", "lọt"),
        ("dẫn", "dân"), ("an", "anh"), ("covid", "coi"), ("quôc", "quốc"), ("xyz", "xyz"),
    ],
)  # fmt: skip
def test_not_sound_alike(a: str, b: str) -> None:
    assert not sound_alike(a, b) and not sound_alike(b, a)


# --- accent restoration ------------------------------------------------------------------

TABLE: dict[str, dict[str, int]] = {
    "dan": {"dân": 300, "dần": 40}, "van": {"văn": 500, "vận": 100, "vân": 30},
    "kheo": {"khéo": 30, "khèo": 5}, "dan van": {"dân vận": 120, "dàn vân": 1},
    "dan van kheo": {"dân vận khéo": 10},
    "tinh": {"tình": 50, "tỉnh": 40}, "uy": {"ủy": 30, "uy": 5}, "tinh uy": {"tỉnh ủy": 20},
    "mat": {"mặt": 100, "mát": 60}, "tran": {"trần": 80, "trận": 50},
    "to": {"tổ": 100, "to": 90, "tô": 20}, "quoc": {"quốc": 200},
    "mat tran": {"mặt trận": 70}, "tran to": {"trần tô": 2}, "to quoc": {"tổ quốc": 90},
    "mat tran to": {"mặt trận tổ": 60},
    "hue": {"huế": 40, "huệ": 30, "": 3},
    "bad": {"bad form": 5, "": 0, "bát": -1},
}  # fmt: skip


def lookup(key: str) -> dict[str, int]:
    return TABLE.get(key, {})


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("dan van kheo", "dân vận khéo"), ("tinh uy", "tỉnh ủy"),
        ("mat tran to quoc", "mặt trận tổ quốc"), ("tinh", "tình"), ("uy", "ủy"),
        ("Tinh uy Hue", "Tỉnh ủy Huế"), ("TINH UY", "TỈNH ỦY"), ("dan van", "dân vận"),
        ("van", "văn"), ("xyz tinh uy abc", "xyz tỉnh ủy abc"), ("xyz", "xyz"), ("", ""),
        ("dàn van", "dàn vân"), ("dan vân", "dàn vân"), ("tình uy", "tình ủy"),
        ("dan  VAN   kheo", "dân VẬN khéo"), ("bad", "bad"), ("kheo dan", "khéo dân"),
    ],
)  # fmt: skip
def test_restore_accents(typed: str, expected: str) -> None:
    assert restore_accents(typed.split(), lookup) == expected.split()


def test_restore_accents_options() -> None:
    assert restore_accents(["tinh", "uy"], lookup, max_ngram=1) == ["tình", "ủy"]
    assert restore_accents(["mat", "tran", "to"], lookup, max_ngram=2) == ["mặt", "trận", "tổ"]
    # With no reward for context the bigram (share 1) still beats "tình" + "ủy" (shares
    # .56 and .86): one confident n-gram against two less certain ones.
    assert restore_accents(["tinh", "uy"], lookup, ngram_bonus=0) == ["tỉnh", "ủy"]
    calls: list[str] = []
    restore_accents(["a", "b", "c", "d"], lambda key: calls.append(key) or {}, max_ngram=2)
    assert calls == ["a", "a b", "b", "b c", "c", "c d", "d"]


@given(st.lists(st.sampled_from(["dan", "van", "kheo", "tinh", "uy", "xyz", "Mat"]), max_size=6))
def test_restore_accents_keeps_length_and_folds_back(typed: list[str]) -> None:
    restored = restore_accents(typed, lookup)
    assert len(restored) == len(typed)
    assert [fold(s).lower() for s in restored] == [s.lower() for s in typed]
