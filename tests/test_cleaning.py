"""Tests for danvan_search.cleaning: chrome removal keeps the article whole."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from danvan_search.cleaning import (
    SOURCE_PREFIX,
    chrome_rules,
    clean_body,
    clean_lines,
    is_prose,
    parse_date_line,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed(stem: str) -> str:
    return (SEEDS / f"{stem}.txt").read_text("utf-8")


# Per seed: its headline, sentences that must survive, chrome that must go.
GOLDEN = {
    "000_ade4d488ee155d8d": (
        "Tập trung nâng cao hiệu quả hoạt động, phát huy vai trò, vị thế công tác dân vận ngay"
        " từ đầu nhiệm kỳ",
        [
            "Thực hiện chương trình công tác, sáng ngày 03/3/2021, đồng chí Lê Trường Lưu,",
            "Năm 2021, Ban Dân vận Tỉnh ủy xây dựng thực hiện 9 nhóm nhiệm vụ trọng tâm.",
            "chỉ đạo Văn phòng Tỉnh ủy liên quan đến việc thực hiện văn phòng dùng chung.",
            "chú trọng hơn hiệu quả thực hiện các chương trình phối hợp công tác với chính quyền,",
            "Theo thuathienhue.gov.vn",
        ],
        ["Tin hoạt động cơ sở", "Cập nhật lúc", "Tin bài liên quan"],
    ),
    "001_53296adb6bb486b7": (
        "Hội nghị trực tuyến tổng kết công tác dân vận năm 2018 và triển khai nhiệm vụ năm 2019",
        [
            "Sáng 10/1, Ban dân vận Trung ương tổ chức hội nghị trực tuyến toàn quốc",
            "nhân dân được sống trong hòa bình, ấm no, hạnh phúc,",
            "củng cố mối quan hệ máu thịt giữa Đảng, Nhà nước với nhân dân...",
            "Tại điểm cầu tỉnh Thừa Thiên Huế",
        ],
        ["Cập nhật:11/01/2019", "Bản in]", "Bản in"],
    ),
    "002_6093d6844a4749a0": (
        "Hội nghị trực tuyến toàn quốc sơ kết công tác dân vận 6 tháng đầu năm, triển khai nhiệm"
        " vụ 6 tháng cuối năm 2022",
        [
            "Sáng 15/7 tại Hà Nội, Ban Dân vận Trung ương tổ chức Hội nghị trực tuyến",
            "Quang cảnh Hội nghị tại điểm cầu tỉnh Lào Cai",
            "tôn vinh và nhân rộng các mô hình, điển hình tiêu biểu...",
        ],
        ["Lượt xem", "anh tin bai", "Thống kê truy cập", "Đang online", "530,364", "Đăng nhập"],
    ),
    "003_960197ae100cdfc3": (
        "Giám sát việc ban hành Quy chế công tác dân vận trong hệ thống chính trị đối với Ban"
        " Thường vụ Thành ủy TP Thanh Hóa",
        [
            "Đoàn giám sát 3135 của Ban Thường vụ Tỉnh ủy do đồng chí Phạm Thị Thanh Thủy,",
            "Phó Trưởng ban Thường trực Ban Dân vận Tỉnh ủy Phạm Trọng Dũng phát biểu",
            "mục tiêu đến năm 2030 trở thành đô thị thông minh, hiện đại.",
            "các phong trào thi đua đạt kết quả cao nhất.",
            "Phan Nga",
        ],
        [
            "{name}",
            "{body}",
            "Trả lời",
            "0 bình luận",
            "Ý kiến của bạn",
            "Xem thêm",
            "Thời tiết",
            "Chia sẻ thông tin",
            "Tắt [X]",
        ],
    ),
    "004_1d921b9e94ebeb4d": (
        "Kiên Giang tăng cường công tác dân vận trong tình hình mới",
        [
            "Sau 10 năm thực hiện Nghị quyết số 25-NQ/TW, ngày 3/6/2013",
            "ở xã Hòa Lợi, huyện Giồng Riềng. Ảnh: Bích Linh.",
            "Tổng số đoàn viên, hội viên hiện nay là 625.926, đạt tỷ lệ 59,22% so với đối tượng,",
            "trật tự an toàn xã hội trên địa bàn.",
            "Đỗ Quyên",
        ],
        ["Sign In", ".jpg", "bbb1e23f", "Tag:", "File đính kèm", "00:00 03/10/2023"],
    ),
}


@pytest.mark.parametrize("stem", GOLDEN)
def test_seed_body_keeps_the_article_and_drops_the_chrome(stem: str):
    title, keep, drop = GOLDEN[stem]
    body = clean_body(seed(stem), title)
    for text in keep:
        assert text in body
    for text in drop:
        assert text not in body
    assert title not in body  # the headline is metadata, not body


@pytest.mark.parametrize("stem", GOLDEN)
def test_no_prose_paragraph_of_a_seed_is_lost(stem: str):
    body = clean_body(seed(stem), GOLDEN[stem][0])
    for line in seed(stem).splitlines():
        line = " ".join(line.split())
        # 003 repeats its lead without the publisher tag: kept once, with the tag.
        if is_prose(line) and not line.startswith("Sáng 26/4, Đoàn giám sát"):
            assert line in body


def test_repeats_keep_the_first_occurrence_only():
    # 003 prints the headline six times and the lead twice, once with the publisher tag.
    body = clean_body(seed("003_960197ae100cdfc3"))
    headline = GOLDEN["003_960197ae100cdfc3"][0]
    assert body.count(headline) == 1
    assert body.count("Sáng 26/4, Đoàn giám sát 3135") == 1
    assert body.startswith("(Baothanhhoa.vn) - Sáng 26/4")
    assert body.count("Phan Nga") == 1
    # 001 prints its photo caption twice.
    caption = "Thủ tướng Chính phủ Nguyễn Xuân Phúc phát biểu tại hội nghị"
    assert clean_body(seed("001_53296adb6bb486b7")).count(caption) == 1


@pytest.mark.parametrize(
    "repeat",
    [
        "THỦ TƯỚNG CHÍNH PHỦ NGUYỄN XUÂN PHÚC PHÁT BIỂU TẠI HỘI NGHỊ",
        "Thủ tướng Chính phủ Nguyễn Xuân Phúc phát biểu tại hội nghị.",
        "Thủ  tướng Chính phủ Nguyễn Xuân Phúc phát biểu tại Hội nghị",
        unicodedata.normalize("NFD", "Thủ tướng Chính phủ Nguyễn Xuân Phúc phát biểu tại hội nghị"),
    ],
)
def test_a_caption_repeated_in_capitals_or_spacing_is_a_repeat(repeat: str):
    caption = "Thủ tướng Chính phủ Nguyễn Xuân Phúc phát biểu tại hội nghị"
    raw = "\n".join([
        "Sáng 10/1, Ban Dân vận Trung ương tổ chức hội nghị trực tuyến toàn quốc.",
        caption,
        "Hội nghị đã đánh giá kết quả công tác dân vận trong năm qua và đề ra nhiệm vụ mới.",
        repeat,
        "Các đại biểu thống nhất với báo cáo và các giải pháp được nêu trong dự thảo.",
    ])
    reasons = [reason for _, reason in clean_lines(raw)]
    assert reasons == [None, None, None, "repeat", None]
    assert clean_body(raw).count("Xuân Phúc") == 1


def test_clean_lines_gives_a_reason_for_each_dropped_line():
    lines = clean_lines(seed("003_960197ae100cdfc3"), GOLDEN["003_960197ae100cdfc3"][0])
    assert [reason for line, reason in lines if line == "Phan Nga"] == [None, "repeat"]
    reasons = dict(lines)
    assert reasons[GOLDEN["003_960197ae100cdfc3"][0]] == "title"
    assert reasons["0 bình luận"] == "comments"
    assert reasons["Tắt [X]"] == "widget"
    assert reasons["Thời tiết"] == "end of article"  # not chrome by itself, but after the end
    reasons = dict(clean_lines(seed("002_6093d6844a4749a0")))
    assert reasons["Lượt xem: 106"] == "views"
    assert reasons["• Tất cả: 530,364"] == "counter"
    assert reasons["anh tin bai"] == "media"
    assert reasons["CTTDT"] is None


def test_nfd_and_no_break_spaces_give_the_same_body():
    raw = seed("001_53296adb6bb486b7")
    nfd = unicodedata.normalize("NFD", raw).replace(" ", "\u00a0", 5)
    assert clean_body(nfd) == clean_body(raw)


# --- real sentences with chrome words survive --------------------------------------------

ARTICLE = """Trang chủ | Tin tức | Liên hệ
Người dân phấn khởi với mô hình dân vận khéo ở cơ sở
Sáng 12/5, Ban Dân vận Huyện ủy tổ chức hội nghị sơ kết mô hình dân vận khéo tại xã.
{sentence}
Các đại biểu đã thảo luận sôi nổi và thống nhất nhiều giải pháp để nhân rộng mô hình.
Tin liên quan
Hội nghị giao ban công tác dân vận quý I
© Ban Dân vận Huyện ủy
"""

SENTENCES_WITH_CHROME_WORDS = [
    "Ông Nguyễn Văn An chia sẻ: người dân rất phấn khởi khi con đường mới được khánh thành.",
    "Nhiều ý kiến bình luận cho rằng chính sách này cần được tiếp tục thực hiện trong năm tới.",
    "Chia sẻ thông tin với bạn bè là cách người dân lan tỏa những việc làm tốt ở khu dân cư.",
    "Bình luận về kết quả này, đồng chí Bí thư cho rằng đó là thành quả của cả hệ thống.",
    "Lượt xem các video tuyên truyền trên trang của huyện đã tăng gấp ba lần so với năm trước.",
    "Tin liên quan đến vụ việc đã được cơ quan chức năng xác minh và thông báo cho người dân.",
    "Tag: những từ khóa này giúp người dân tìm lại các bài viết về mô hình một cách dễ dàng.",
    "Đăng nhập vào hệ thống, người dân có thể gửi phản ánh, kiến nghị đến chính quyền xã.",
]


@pytest.mark.parametrize("sentence", SENTENCES_WITH_CHROME_WORDS)
def test_a_real_sentence_with_chrome_words_survives(sentence: str):
    body = clean_body(ARTICLE.format(sentence=sentence))
    assert sentence in body
    assert "Sáng 12/5, Ban Dân vận Huyện ủy" in body
    assert "Các đại biểu đã thảo luận sôi nổi" in body
    for chrome in ("Trang chủ", "Tin liên quan\n", "giao ban", "©"):
        assert chrome not in body


def test_an_end_marker_followed_by_prose_does_not_end_the_article():
    raw = ARTICLE.format(sentence="Tin liên quan\nHội nghị đã biểu dương 15 tập thể và 20 cá nhân"
                         " có thành tích xuất sắc trong thực hiện mô hình.")  # fmt: skip
    body = clean_body(raw)
    assert "Hội nghị đã biểu dương 15 tập thể" in body
    assert "Các đại biểu đã thảo luận sôi nổi" in body
    assert "\nTin liên quan" not in body


def test_title_repeats_go_and_lines_above_the_title_are_header():
    raw = (
        "Giới thiệu\nVăn bản\nTiêu đề bài viết về dân vận\nTiêu đề bài viết về dân vận.\nNội dung."
    )
    assert clean_body(raw, "Tiêu đề bài viết về dân vận") == "Nội dung."
    # Without a title nothing is header, and only the exact repeat goes.
    assert clean_body(raw).startswith("Giới thiệu\n\nVăn bản\n\nTiêu đề bài viết về dân vận\n\n")


# --- chrome.txt ----------------------------------------------------------------------------


def all_seed_lines() -> list[str]:
    return [" ".join(line.split()) for path in sorted(SEEDS.glob("*.txt"))
            for line in path.read_text("utf-8").splitlines()]  # fmt: skip


def test_chrome_patterns_load_and_have_sections():
    rules = chrome_rules()
    assert len(rules) > 20
    assert {"navigation", "comments", "counter", "media", "related"} <= {r.section for r in rules}
    assert all(r.ends_article for r in rules if r.section in {"comments", "related", "tags"})


def test_no_chrome_pattern_matches_any_seed_sentence_even_without_the_guard():
    for line in all_seed_lines():
        if is_prose(line):
            assert not [r.pattern.pattern for r in chrome_rules() if r.pattern.fullmatch(line)]


# Whatever mix of article paragraphs and chrome lines: every paragraph survives.
PARAGRAPHS = sorted({line for line in all_seed_lines() if is_prose(line)})
CHROME = sorted({line for path in sorted(SEEDS.glob("*.txt"))
                 for line, reason in clean_lines(path.read_text("utf-8"))
                 if reason not in (None, "repeat", "end of article")})  # fmt: skip


@given(st.lists(st.sampled_from(PARAGRAPHS) | st.sampled_from(CHROME), max_size=12))
def test_prose_survives_any_mix_of_chrome(lines: list[str]):
    # Every paragraph is kept, or dropped as the repeat of one kept before it (the same
    # text, the publisher's tag aside: 003 prints its lead with and without it).
    kept: list[str] = []
    for line, reason in clean_lines("\n".join(lines)):
        if line in PARAGRAPHS:
            assert reason in (None, "repeat"), line
            if reason is None:
                kept.append(SOURCE_PREFIX.sub("", line))
            else:
                assert SOURCE_PREFIX.sub("", line) in kept


# --- helpers -------------------------------------------------------------------------------

DATE_LINES = [
    ("Cập nhật lúc : 10:13 05/03/2021", dt.date(2021, 3, 5)),
    ("Cập nhật:11/01/2019 4:43:52 CH", dt.date(2019, 1, 11)),
    ("00:00 03/10/2023", dt.date(2023, 10, 3)),
    ("Thứ Sáu, 05/03/2021 - 10:13", dt.date(2021, 3, 5)),
    ("Ngày đăng: 05-03-2021", dt.date(2021, 3, 5)),
    ("2021-03-05T10:13:00+07:00", dt.date(2021, 3, 5)),
    ("Ngày 5 tháng 3 năm 2021", dt.date(2021, 3, 5)),
    ("Chủ nhật, 07/01/2024 08:00 GMT+7", dt.date(2024, 1, 7)),
]
NOT_DATE_LINES = [
    "Thực hiện chương trình công tác, sáng ngày 03/3/2021, đồng chí Lê Trường Lưu",
    "Quy định 2083-QĐ/TU, ngày 18/7/2019",
    "Sáng 15/7 tại Hà Nội",
    "31/02/2021",
    "nhiệm kỳ 2020-2025",
    "3-10-23 bbb1e23f22f6032ec3ed3e218e193a80.jpg",
]


@pytest.mark.parametrize(("line", "expected"), DATE_LINES)
def test_parse_date_line(line: str, expected: dt.date):
    assert parse_date_line(line) == expected


@pytest.mark.parametrize("line", NOT_DATE_LINES)
def test_a_line_with_more_than_a_date_is_not_a_date_line(line: str):
    assert parse_date_line(line) is None


def test_is_prose():
    assert is_prose(GOLDEN["004_1d921b9e94ebeb4d"][1][0] + " và nhiều văn bản khác của Đảng.")
    assert not is_prose("Quang cảnh Hội nghị tại điểm cầu tỉnh Lào Cai")
    assert not is_prose("Ý kiến của bạn sẽ được biên tập trước khi đăng. Vui lòng gõ tiếng Việt")
