"""Tests for danvan_search.metadata and danvan_search.places."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest

from danvan_search.metadata import (
    ArticleMetadata,
    extract_metadata,
    find_document_codes,
    normalize_code,
)
from danvan_search.places import find_places, provinces

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed(stem: str) -> str:
    return (SEEDS / f"{stem}.txt").read_text("utf-8")


# (stem, title, date, source, author, places, cites)
GOLDEN = [
    (
        "000_ade4d488ee155d8d",
        "Tập trung nâng cao hiệu quả hoạt động, phát huy vai trò, vị thế công tác dân vận ngay"
        " từ đầu nhiệm kỳ",
        dt.date(2021, 3, 5),
        "thuathienhue.gov.vn",
        None,
        ("Thừa Thiên Huế",),  # "Thành ủy Huế", "Kinh thành Huế"
        ("11-QĐi/TW", "2083-QĐ/TU", "42/NQ-CP"),
    ),
    (
        "001_53296adb6bb486b7",
        "Hội nghị trực tuyến tổng kết công tác dân vận năm 2018 và triển khai nhiệm vụ năm 2019",
        dt.date(2019, 1, 11),
        "thuathienhue.gov.vn",
        None,
        ("Thừa Thiên Huế",),  # not "Hòa Bình" from the name Trương Hòa Bình
        (),
    ),
    (
        "002_6093d6844a4749a0",
        "Hội nghị trực tuyến toàn quốc sơ kết công tác dân vận 6 tháng đầu năm, triển khai nhiệm"
        " vụ 6 tháng cuối năm 2022",
        dt.date(2022, 7, 15),  # "Sáng 15/7", the only year anywhere is 2022
        None,
        None,
        ("Hà Nội", "Lào Cai"),
        (),
    ),
    (
        "003_960197ae100cdfc3",
        "Giám sát việc ban hành Quy chế công tác dân vận trong hệ thống chính trị đối với Ban"
        " Thường vụ Thành ủy TP Thanh Hóa",
        None,  # "Sáng 26/4", and the text names 2020, 2021, 2023, 2025, 2030
        "baothanhhoa.vn",
        "Phan Nga",
        ("Thanh Hóa",),
        ("23-QĐ/TW", "763-QĐ/TU"),
    ),
    (
        "004_1d921b9e94ebeb4d",
        "Kiên Giang tăng cường công tác dân vận trong tình hình mới",
        dt.date(2023, 10, 3),
        None,
        "Đỗ Quyên",
        ("Kiên Giang",),  # not "Thành phố Hồ Chí Minh" from "phong cách Hồ Chí Minh"
        ("25-NQ/TW", "43-KL/TW"),
    ),
]
STEMS = [row[0] for row in GOLDEN]


@pytest.mark.parametrize(
    ("stem", "title", "date", "source", "author", "places", "cites"), GOLDEN, ids=STEMS
)
def test_seed_metadata(
    stem: str,
    title: str,
    date: dt.date | None,
    source: str | None,
    author: str | None,
    places: tuple[str, ...],
    cites: tuple[str, ...],
):
    meta = extract_metadata(seed(stem))
    assert (meta.title, meta.date, meta.source, meta.author) == (title, date, source, author)
    assert (meta.places, meta.cites) == (places, cites)
    assert title not in meta.body


@pytest.mark.parametrize("stem", STEMS)
def test_nfd_input_gives_the_same_metadata(stem: str):
    raw = seed(stem)
    assert extract_metadata(unicodedata.normalize("NFD", raw)) == extract_metadata(raw)


# --- the same article on another site ------------------------------------------------------

# A date line in another format, per seed that has one.
OTHER_DATE_LINE = {
    "000_ade4d488ee155d8d": "Thứ Sáu, 05/03/2021 - 10:13",
    "001_53296adb6bb486b7": "2019-01-11 16:43 GMT+7",
    "004_1d921b9e94ebeb4d": "Ngày đăng: 03-10-2023",
}
OTHER_HEADER = [
    "CỔNG THÔNG TIN ĐIỆN TỬ BAN DÂN VẬN",
    "Trang chủ | Giới thiệu | Tin tức | Văn bản | Liên hệ",
    "Tìm kiếm",
    "Trang chủ » Tin tức » Hoạt động",
]
OTHER_FOOTER = [
    "Chia sẻ:",
    "Facebook",
    "Zalo",
    "Các tin khác",
    "Đoàn công tác tỉnh Quảng Nam thăm mô hình Dân vận khéo năm 2019",
    "Hội nghị giao ban công tác dân vận quý I năm 2024",
    "Cơ quan chủ quản: Ban Dân vận Tỉnh ủy",
    "Địa chỉ: 12 Lê Lợi, TP Huế - Điện thoại: 0234 3822 000",
    "© 2021 Bản quyền thuộc Ban Dân vận. Ghi rõ nguồn khi phát hành lại thông tin.",
]


@pytest.mark.parametrize("stem", STEMS)
def test_the_same_article_in_other_chrome_gives_the_same_metadata(stem: str):
    meta = extract_metadata(seed(stem))
    assert meta.title is not None
    date_line = [OTHER_DATE_LINE[stem]] if stem in OTHER_DATE_LINE else []
    raw = "\n".join(
        [*OTHER_HEADER, meta.title, *date_line, "", *meta.body.split("\n\n"), *OTHER_FOOTER]
    )
    assert extract_metadata(raw) == meta


# --- dates -----------------------------------------------------------------------------------


def article(title: str, lead: str, *rest: str) -> str:
    return "\n\n".join([title, lead, *rest])


LEAD_TAIL = ", Ban Dân vận Tỉnh ủy tổ chức hội nghị triển khai nhiệm vụ công tác dân vận."


@pytest.mark.parametrize(
    ("title", "lead", "expected"),
    [
        # a single year in the title settles it
        ("Hội nghị sơ kết công tác dân vận năm 2022 tại tỉnh", "Sáng 26/4", dt.date(2022, 4, 26)),
        # no year in the title, a single one in the body
        ("Hội nghị sơ kết công tác dân vận tại tỉnh", "Chiều 3/6", dt.date(2021, 6, 3)),
        # the lead states the year
        ("Hội nghị công tác dân vận 2018 và 2019", "Sáng ngày 03/3/2021", dt.date(2021, 3, 3)),
        # two years in the title: which one?
        ("Tổng kết năm 2018 và triển khai nhiệm vụ năm 2019", "Sáng 26/4", None),
        # January: the review of one year is held in the next
        ("Hội nghị tổng kết công tác dân vận năm 2018 tại tỉnh", "Sáng 10/1", None),
        # December and February too; March and November are no longer near New Year
        ("Hội nghị tổng kết công tác dân vận năm 2018 tại tỉnh", "Sáng 28/2", None),
        ("Hội nghị tổng kết công tác dân vận năm 2018 tại tỉnh", "Sáng 1/2", None),
        ("Hội nghị tổng kết công tác dân vận năm 2018 tại tỉnh", "Sáng 20/12", None),
        ("Hội nghị sơ kết công tác dân vận năm 2022 tại tỉnh", "Sáng 1/3", dt.date(2022, 3, 1)),
        ("Hội nghị sơ kết công tác dân vận năm 2022 tại tỉnh", "Sáng 30/11",
         dt.date(2022, 11, 30)),
        # a target year is not the year of the meeting
        ("Phấn đấu đến năm 2025 có 100% xã đạt chuẩn dân vận khéo", "Sáng 26/4", None),
        (
            "Hội nghị sơ kết công tác dân vận năm 2022 tại tỉnh",
            "Sáng nay (26/4)",
            dt.date(2022, 4, 26),
        ),
        (
            "Hội nghị sơ kết công tác dân vận năm 2022 tại tỉnh",
            "Hôm nay (26/4)",
            dt.date(2022, 4, 26),
        ),
        # a fraction is not a dateline
        ("Hội nghị sơ kết công tác dân vận năm 2022 tại tỉnh", "6/10 xã", None),
        # no dateline at all
        ("Hội nghị sơ kết công tác dân vận tại tỉnh", "Hôm qua", None),
        # 30/2 does not exist
        ("Hội nghị sơ kết công tác dân vận năm 2022 tại tỉnh", "Sáng 30/2", None),
    ],
)
def test_dateline_year_only_when_unambiguous(title: str, lead: str, expected: dt.date | None):
    body = "Năm 2021, các cấp ủy đã quan tâm lãnh đạo, chỉ đạo công tác dân vận ở cơ sở tốt hơn."
    assert extract_metadata(article(title, lead + LEAD_TAIL, body)).date == expected


def test_an_article_with_no_date_gets_none():
    raw = article(
        "Phát huy vai trò của Nhân dân trong xây dựng nông thôn mới",
        "Ban Dân vận Huyện ủy đã phối hợp với các đoàn thể vận động Nhân dân hiến đất làm đường.",
        "Nhiều hộ gia đình đã tự nguyện tháo dỡ công trình để mở rộng đường giao thông nông thôn.",
    )
    meta = extract_metadata(raw)
    assert meta.date is None
    assert meta.title == "Phát huy vai trò của Nhân dân trong xây dựng nông thôn mới"


def test_a_date_in_the_related_news_after_the_article_is_not_its_date():
    raw = article(
        "Phát huy vai trò của Nhân dân trong xây dựng nông thôn mới",
        "Ban Dân vận Huyện ủy đã phối hợp với các đoàn thể vận động Nhân dân hiến đất làm đường.",
        "Tin liên quan",
        "Hội nghị giao ban công tác dân vận quý I",
        "05/03/2021",
    )
    assert extract_metadata(raw).date is None


# --- source and author -----------------------------------------------------------------------

LEAD = "Ban Dân vận Tỉnh ủy đã phối hợp với các đoàn thể vận động Nhân dân hiến đất làm đường."


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["(Chinhphu.vn) - " + LEAD], "chinhphu.vn"),
        (["(TTXVN) – " + LEAD], "TTXVN"),
        ([LEAD, "Nguồn: https://www.baothanhhoa.vn/thoi-su/bai-viet-123.html"], "baothanhhoa.vn"),
        ([LEAD, "Theo Báo Nhân Dân"], "Báo Nhân Dân"),
        ([LEAD, "WWW.DANVAN.VN"], "danvan.vn"),
        ([LEAD, "Theo đó, Ban Dân vận sẽ tiếp tục hướng dẫn các địa phương thực hiện tốt."], None),
        ([LEAD, "Theo báo cáo"], None),
    ],
)
def test_source(lines: list[str], expected: str | None):
    assert extract_metadata(article("Vận động Nhân dân hiến đất làm đường", *lines)).source == (
        expected
    )


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        (["Phạm Thị Thanh Thủy"], "Phạm Thị Thanh Thủy"),
        (["Minh Anh", "Theo baothanhhoa.vn"], "Minh Anh"),
        (["Hà Nội"], None),  # a place, not a byline
        (["Toàn cảnh hội nghị"], None),
        (["PV"], None),
        (["Nguyễn Văn Anh Tuấn Minh"], None),  # five syllables
        ([], None),
    ],
)
def test_author(tail: list[str], expected: str | None):
    raw = article("Vận động Nhân dân hiến đất làm đường", LEAD, *tail)
    assert extract_metadata(raw).author == expected


# --- document codes --------------------------------------------------------------------------

CODES = [
    ("25-NQ/TW", "25-NQ/TW"),
    ("43-kl/tw", "43-KL/TW"),
    ("23-qd/tw", "23-QD/TW"),  # Đ is not guessed from D
    ("23-qđ/tw", "23-QĐ/TW"),
    ("11-QĐi/TW", "11-QĐi/TW"),
    ("11-QĐI/TW", "11-QĐi/TW"),
    ("11-qđi/tw", "11-QĐi/TW"),
    ("42/nq-cp", "42/NQ-CP"),
    ("1102/qđ-ttg", "1102/QĐ-TTg"),
    ("25–NQ/TW", "25-NQ/TW"),  # en dash
    ("01/2021/NQ-HĐND", "01/2021/NQ-HĐND"),
    ("1234/UBND", "1234/UBND"),
]


@pytest.mark.parametrize(("written", "normalized"), CODES)
def test_document_codes_are_found_and_normalized(written: str, normalized: str):
    assert normalize_code(written) == normalized
    text = f"Thực hiện văn bản số {written}, ngày 18/7/2019 của cấp ủy."
    start = text.index(written)
    assert find_document_codes(text) == [(start, start + len(written), normalized)]


@pytest.mark.parametrize(
    "text",
    [
        "ngày 03/3/2021",
        "nhiệm kỳ 2020-2025",
        "dịch Covid-19",
        "năng suất 60 tạ/ha, tức 6 tấn/ha hay 10/ha",
        "mô hình 3-D",
        "tiếp 1.166 lượt người, đạt tỷ lệ 59,22%",
        "3-10-23 bbb1e23f22f6032ec3ed3e218e193a80.jpg",
        "giai đoạn 2021 - 2026",
    ],
)
def test_numbers_dates_and_ranges_are_not_codes(text: str):
    assert find_document_codes(text) == []


def test_codes_in_nfd_text_keep_offsets():
    text = unicodedata.normalize("NFD", "Quyết định số 763-QĐ/TU ngày 5/10/2021 của Tỉnh ủy")
    [(start, end, code)] = find_document_codes(text)
    assert (text[start:end], code) == ("763-QĐ/TU", "763-QĐ/TU")


# --- places ------------------------------------------------------------------------------------


def test_province_table_has_63_units_merged_into_34():
    units = [p for p in provinces() if p.kind != "not-a-place"]
    assert len(units) == 63
    assert len({p.since_2025 for p in units}) == 34
    by_name = {p.name: p for p in units}
    assert by_name["Kiên Giang"].since_2025 == "An Giang"
    assert by_name["Thừa Thiên Huế"].since_2025 == "Huế"
    assert by_name["Hà Giang"].since_2025 == "Tuyên Quang"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tỉnh Thanh Hoá và tỉnh Khánh Hoà", ("Thanh Hóa", "Khánh Hòa")),
        ("tỉnh Thanh Hóa, Thanh Hoá, THANH HÓA", ("Thanh Hóa",)),
        (unicodedata.normalize("NFD", "tỉnh Hoà Bình"), ("Hòa Bình",)),
        ("Thành ủy TP Thanh Hóa, Xem thêm TP.Thanh Hóa", ("Thanh Hóa",)),
        ("Thành ủy Huế; tỉnh Thừa Thiên Huế; TT-Huế", ("Thừa Thiên Huế",)),
        ("TP.HCM, TP. Hồ Chí Minh, Thành phố Hồ Chí Minh", ("Thành phố Hồ Chí Minh",)),
        ("tỉnh Bà Rịa-Vũng Tàu và Đăk Lăk", ("Bà Rịa - Vũng Tàu", "Đắk Lắk")),
        ("Lào Cai, Hà Nội, Lào Cai", ("Lào Cai", "Hà Nội")),
        # not places
        ("nhân dân được sống trong hòa bình", ()),
        ("Trương Hòa Bình, Phó Thủ tướng", ()),
        ("chị Hà Giang và đồng chí Thái Bình", ()),
        ("phong cách Hồ Chí Minh", ()),
        ("biển Thái Bình Dương", ()),
        ("anh Long Anh ở Hà Nộii", ()),
        ("người tên là Hà. Nội dung buổi gặp", ()),
    ],
)
def test_find_places(text: str, expected: tuple[str, ...]):
    assert find_places(text) == expected


def test_metadata_is_frozen():
    meta = extract_metadata(seed(STEMS[0]))
    assert isinstance(meta, ArticleMetadata)
    with pytest.raises(AttributeError):
        meta.title = "x"  # type: ignore[misc]
