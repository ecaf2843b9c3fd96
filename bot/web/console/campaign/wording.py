"""Vietnamese wording of the campaign pages' refusals and notices (decided in code, worded here)."""

from __future__ import annotations

from storage.campaign.scope import CampaignError

FIELDS: dict[str, str] = {
    "kind": "Loại hoạt động",
    "ward_code": "Xã/phường",
    "hamlet_id": "Thôn/tổ dân phố",
    "organisation_id": "Cơ quan, tổ chức",
    "organiser": "Đơn vị tổ chức",
    "audiences": "Đối tượng",
    "started_on": "Ngày bắt đầu",
    "ended_on": "Ngày kết thúc",
    "sessions": "Số buổi",
    "participants": "Số người tham dự",
    "households_reached": "Số hộ được tuyên truyền",
    "leaflets": "Số tờ rơi",
    "posters": "Số pano, áp phích, băng rôn",
    "notice_boards": "Số bảng tin",
    "broadcasts": "Số lần phát thanh",
    "broadcast_minutes": "Số phút phát thanh",
    "posts": "Số tin, bài",
    "sms_recipients": "Số thuê bao nhận tin nhắn",
    "staff_engaged": "Số cán bộ tham gia chia sẻ",
    "name": "Tên",
    "category": "Loại tổ chức",
    "school_level": "Cấp học",
    "staff_or_members": "Số cán bộ, hội viên",
    "households": "Số hộ",
    "province_code": "Tỉnh/thành",
    "username": "Tên đăng nhập",
}

CODES: dict[str, str] = {
    "kind_unknown": "Chọn {field}.",
    "ward_unknown": "{field} không có trong danh mục.",
    "hamlet_required": "Loại hoạt động này cần chọn {field}.",
    "hamlet_unknown": "{field} không thuộc xã/phường đã chọn.",
    "organisation_unknown": "{field} không thuộc xã/phường đã chọn.",
    "organiser_unknown": "{field} không hợp lệ.",
    "audience_unknown": "{field} không hợp lệ.",
    "date_missing": "Nhập {field} theo dạng ngày/tháng/năm (ví dụ 05/12/2026).",
    "date_future": "{field} không được sau ngày mai.",
    "date_order": "{field} phải từ ngày bắt đầu trở đi.",
    "count_invalid": "{field} phải là số nguyên không âm.",
    "name_missing": "Nhập {field}.",
    "hamlet_kind_unknown": "Loại thôn/tổ dân phố không hợp lệ.",
    "hamlet_exists": "Xã/phường đã có thôn/tổ dân phố tên này.",
    "category_unknown": "Chọn {field}.",
    "school_level_unknown": "{field} không hợp lệ.",
    "ward_fixed": "Không đổi được xã/phường của mục đã đăng ký.",
    "province_unknown": "Chọn {field}.",
    "binding_missing": "Chọn một cơ quan, tổ chức, hoặc UBND một xã/phường cho tài khoản cộng tác.",
}


def message(exc: CampaignError) -> str:
    template = CODES.get(exc.code, "Dữ liệu nhập chưa đúng, vui lòng kiểm tra lại.")
    return template.format(field=FIELDS.get(exc.field, exc.field or "Trường này"))


NOTICES: dict[str, str] = {
    "activity_created": "Đã ghi hoạt động vào sổ theo dõi.",
    "activity_updated": "Đã cập nhật hoạt động.",
    "activity_deleted": "Đã xóa hoạt động khỏi sổ (vẫn lưu trong nhật ký).",
    "hamlet_saved": "Đã lưu thôn/tổ dân phố.",
    "organisation_saved": "Đã lưu cơ quan, tổ chức.",
    "campaign_created": "Đã tạo đợt tuyên truyền.",
    "contributor_created": "Đã tạo tài khoản cộng tác.",
    "contributor_updated": "Đã cập nhật tài khoản cộng tác.",
}


def notice(key: str) -> str:
    return NOTICES.get(key, "")
