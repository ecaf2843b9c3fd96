"""The campaign's vocabulary: activity kinds, organisers, audiences, register categories, indicators.

Stable ids (stored, never renamed) with the Vietnamese labels officers read. The kinds and
their wording follow the campaign plans (the seeds' «…» phrases); one place, so the
console, the chat dialog and the exported files say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

# The fourteen kinds of activity.
KINDS: dict[str, str] = {
    "hamlet_session": "Buổi tuyên truyền tại tổ dân phố, khu dân cư, thôn/xóm",
    "door_to_door": "Đi từng ngõ, gõ từng nhà, rà từng hộ",
    "leaflets": "Phát tờ rơi tới từng hộ, từng nhà",
    "posting": "Treo, dán pano, áp phích, băng rôn, khẩu hiệu, bảng tin",
    "org_session": "Sinh hoạt chuyên đề (tổ chức cơ sở, chi đoàn, chi hội)",
    "workplace_session": "Tuyên truyền, tập huấn cho người lao động, công nhân",
    "school_session": "Phổ biến, quán triệt, ngoại khóa tại trường học",
    "agency_session": "Tuyên truyền cho cán bộ, công chức, viên chức cơ quan",
    "conference": "Hội nghị, hội thảo, tọa đàm, đối thoại, bồi dưỡng",
    "radio": "Phát thanh, truyền hình, loa phát thanh",
    "online_post": "Tin, bài trên trang tin, fanpage, Zalo, báo chí",
    "sms": "Tin nhắn SMS, tin nhắn của nhà mạng",
    "bank_notice": "Niêm yết cảnh báo tại điểm giao dịch ngân hàng",
    "other": "Khác",
}
SHORT_KINDS: dict[str, str] = {
    "hamlet_session": "Buổi tuyên truyền ở thôn/TDP",
    "door_to_door": "Đi từng nhà",
    "leaflets": "Phát tờ rơi",
    "posting": "Pano, áp phích, bảng tin",
    "org_session": "Sinh hoạt chuyên đề",
    "workplace_session": "Tuyên truyền cho công nhân",
    "school_session": "Tại trường học",
    "agency_session": "Tại cơ quan",
    "conference": "Hội nghị, tọa đàm",
    "radio": "Phát thanh",
    "online_post": "Tin, bài trên mạng",
    "sms": "Tin nhắn SMS",
    "bank_notice": "Niêm yết tại ngân hàng",
    "other": "Khác",
}
# Kinds that happen in one hamlet and count towards its coverage: the hamlet is required.
KINDS_NEEDING_HAMLET = frozenset({"hamlet_session", "door_to_door", "leaflets"})

ORGANISERS: dict[str, str] = {
    "commune_police": "Công an xã",
    "commune_committee": "UBND xã",
    "hamlet_head": "Trưởng thôn/Tổ trưởng TDP",
    "school": "Nhà trường",
    "youth_union": "Đoàn Thanh niên",
    "association": "Hội (ghi rõ)",
    "front": "MTTQ",
    "company": "Doanh nghiệp",
    "agency": "Cơ quan, đơn vị",
    "bank": "Ngân hàng",
    "telco": "Nhà mạng",
    "radio_station": "Đài truyền thanh xã",
    "other": "Khác",
}

AUDIENCES: dict[str, str] = {
    "residents": "Nhân dân",
    "officials": "Cán bộ, CCVC, NLĐ",
    "pupils": "Học sinh",
    "students": "Sinh viên",
    "teachers": "Giáo viên",
    "parents": "Phụ huynh",
    "children": "Trẻ em",
    "members": "Đoàn viên, hội viên",
    "workers": "Công nhân, người lao động",
    "bank_customers": "Khách hàng ngân hàng",
    "mobile_subscribers": "Thuê bao di động",
}

HAMLET_KINDS: dict[str, str] = {
    "thon": "Thôn",
    "xom": "Xóm",
    "to_dan_pho": "Tổ dân phố",
    "khu_dan_cu": "Khu dân cư",
    "khu_pho": "Khu phố",
    "ap": "Ấp",
    "ban": "Bản",
    "khom": "Khóm",
}

CATEGORIES: dict[str, str] = {
    "school": "Trường học",
    "cell": "Tổ chức cơ sở, chi đoàn, chi hội",
    "production": "Doanh nghiệp sản xuất",
    "business": "Doanh nghiệp, cửa hàng bán lẻ",
    "agency": "Cơ quan nhà nước",
    "hospital": "Bệnh viện",
    "public_place": "Điểm công cộng",
    "bank_point": "Điểm giao dịch ngân hàng",
    "religious": "Cơ sở tín ngưỡng, tôn giáo",
}

SCHOOL_LEVELS: dict[str, str] = {
    "mam_non": "Mầm non",
    "tieu_hoc": "Tiểu học",
    "thcs": "THCS",
    "thpt": "THPT",
    "gdnn_dh": "GDNN–ĐH",
}


@dataclass(frozen=True)
class Indicator:
    """One coverage indicator; `target` is a share (1.0 = 100%) or None when no target is set."""

    id: str
    label: str
    formula: str
    target: float | None = 1.0


INDICATORS: tuple[Indicator, ...] = (
    Indicator("C1", "Tỷ lệ thôn/TDP đã tổ chức ≥01 buổi", "Thôn/TDP có ≥1 buổi ÷ thôn/TDP đang hoạt động"),
    Indicator("C2", "Tỷ lệ hộ được tuyên truyền", "Σ min(hộ được tuyên truyền, số hộ) ÷ Σ số hộ"),
    Indicator("C3", "Tỷ lệ bảng tin đã dán", "Bảng tin đã dán ÷ bảng tin đã đăng ký"),
    Indicator("C4", "Tỷ lệ trường đã phổ biến", "Trường có ≥1 buổi phổ biến ÷ số trường"),
    Indicator(
        "C5",
        "Tỷ lệ chi đoàn, chi hội đã sinh hoạt chuyên đề",
        "Chi đoàn, chi hội có ≥1 buổi sinh hoạt ÷ số chi đoàn, chi hội",
    ),
    Indicator(
        "C6",
        "Tỷ lệ doanh nghiệp sản xuất đã tổ chức ≥01 buổi",
        "Doanh nghiệp sản xuất có ≥1 buổi ÷ số doanh nghiệp sản xuất",
    ),
    Indicator(
        "C7",
        "Tỷ lệ doanh nghiệp, cửa hàng có banner/áp phích",
        "Doanh nghiệp, cửa hàng có banner/áp phích ÷ số đã đăng ký",
    ),
    Indicator(
        "C8",
        "Tỷ lệ cơ quan, bệnh viện, trường học, điểm công cộng có pano/áp phích",
        "Nơi có pano/áp phích ÷ số đã đăng ký",
    ),
    Indicator("C9", "Tỷ lệ cơ quan đã tổ chức ≥01 buổi cho cán bộ", "Cơ quan có ≥1 buổi ÷ số cơ quan"),
    Indicator(
        "C10",
        "Tỷ lệ điểm giao dịch ngân hàng niêm yết cảnh báo",
        "Điểm giao dịch đã niêm yết ÷ số điểm giao dịch",
    ),
    Indicator(
        "C11",
        "Cán bộ tham gia tuyên truyền, chia sẻ (tự báo cáo)",
        "Σ min(số tự báo cáo, số cán bộ) ÷ Σ số cán bộ; tự khai, hệ thống không kiểm chứng được",
    ),
    Indicator(
        "C12",
        "Người dân đăng ký cảnh báo / 100 hộ",
        "Lượt đăng ký đang hoạt động ÷ số hộ × 100",
        target=None,
    ),
)
INDICATOR_BY_ID: dict[str, Indicator] = {i.id: i for i in INDICATORS}
