"""Vietnamese wording of the console's stable ids: statuses, roles, notices after an action.

Pages word things in their templates; these short labels are shared by pages and exports.
An unknown notice key shows nothing, so a crafted `?ok=` cannot put text on the page.
"""

from __future__ import annotations

from content import replies

STATUSES: dict[str, str] = {
    "new": "Mới",
    "received": "Đã tiếp nhận",
    "verifying": "Đang xác minh",
    "transferred": "Đã chuyển cơ quan điều tra",
    "resolved": "Đã giải quyết",
    "unfounded": "Không có cơ sở",
    "duplicate": "Trùng lặp",
}

ROLES: dict[str, str] = {
    "admin": "Quản trị viên",
    "province": "Cán bộ cấp tỉnh",
    "commune": "Cán bộ cấp xã",
    "contributor": "Cộng tác (ngoài công an)",
}

ENTITY_KINDS: dict[str, str] = {
    "phone": "Số điện thoại",
    "bank_account": "Tài khoản ngân hàng",
    "url": "Đường link",
}

TIP_NOTICES: dict[str, str] = {
    "all": "Mọi tin báo mới thuộc địa bàn của tôi",
    "urgent": "Chỉ tin báo khẩn: đã mất tiền, hoặc đang bị đe dọa",
    "off": "Không nhận",
}

CHANNELS: dict[str, str] = {
    "telegram": "Telegram",
    "zalo": "Zalo",
    "zalo_bot": "Zalo (bot)",
    "web": "Trò chuyện trên web",
    "terminal": "Dòng lệnh trên máy chủ",
}


def channel(name: str) -> str:
    """A channel's name for officers; an unknown one is not shown raw."""
    return CHANNELS.get(name, "kênh khác")


ALERT_STATUSES: dict[str, str] = {
    "draft": "Nháp",
    "pending_approval": "Chờ duyệt",
    "scheduled": "Đã hẹn giờ",
    "sending": "Đang gửi",
    "done": "Đã gửi xong",
    "cancelled": "Đã hủy",
}

# Outcomes of one recipient (outbox statuses), in the order the figures show them.
DELIVERY: dict[str, str] = {
    "sent": "Đã gửi",
    "pending": "Đang chờ gửi",
    "sending": "Đang gửi",
    "failed": "Lỗi",
    "unreachable": "Không liên lạc được",
    "window_closed": "Ngoài 7 ngày (Zalo)",
    "cancelled": "Đã hủy",
}

SORTS: dict[str, str] = {
    "newest": "Mới nhất",
    "oldest": "Cũ nhất",
    "updated": "Cập nhật gần nhất",
    "amount": "Thiệt hại lớn nhất",
}

NOTICES: dict[str, str] = {
    "status": "Đã đổi trạng thái. Người báo tin sẽ được thông báo.",
    "assigned": "Đã phân công.",
    "moved": "Đã chuyển tin báo cho đơn vị mới. Trạng thái tin báo giữ nguyên.",
    "taken_in": "Đã chuyển các tin báo chưa có đơn vị về đơn vị phụ trách.",
    "unassigned": "Đã bỏ phân công.",
    "note": "Đã thêm ghi chú.",
    "duplicate": "Đã đánh dấu trùng tin báo.",
    "confirmed": "Đã xác nhận vào danh sách lừa đảo.",
    "nothing_confirmed": "Không có mục nào mới để xác nhận.",
    "unit_created": "Đã tạo đơn vị.",
    "units_created": "Đã tạo các đơn vị xã/phường.",
    "unit_updated": "Đã cập nhật đơn vị.",
    "chat_added": "Đã thêm nhóm chat nhận thông báo.",
    "chat_removed": "Đã gỡ nhóm chat.",
    "officer_created": "Đã tạo tài khoản cán bộ.",
    "officer_updated": "Đã cập nhật tài khoản.",
    "password": "Đã đổi mật khẩu. Các phiên đăng nhập cũ đã kết thúc.",
    "unlinked": "Đã gỡ liên kết tài khoản chat.",
    "tip_notices": "Đã lưu lựa chọn nhận thông báo tin báo mới.",
    "logged_out": "Bạn đã đăng xuất.",
    "alert_scheduled": "Đã tạo cảnh báo. Hệ thống gửi vào giờ đã chọn (gửi ngay nếu không chọn giờ).",
    "alert_pending": "Đã tạo cảnh báo. Cảnh báo chờ một cán bộ khác duyệt rồi mới gửi.",
    "alert_approved": "Đã duyệt cảnh báo. Hệ thống sẽ gửi vào giờ đã chọn.",
    "alert_cancelled": "Đã hủy cảnh báo. Những tin chưa gửi sẽ không được gửi nữa.",
}

PROBLEMS: dict[str, str] = {
    "stale": "Tin báo vừa được người khác thay đổi. Vui lòng xem lại nội dung mới rồi thao tác lại.",
    "transition": "Không thể chuyển sang trạng thái này từ trạng thái hiện tại.",
    "not_permitted": "Cán bộ được chọn không xem được tin báo này.",
    "original_missing": "Không tìm thấy tin báo gốc (hoặc bạn không có quyền xem tin báo đó).",
    "self_duplicate": "Một tin báo không thể trùng với chính nó.",
    "empty_note": "Ghi chú đang trống.",
    "bad_input": "Dữ liệu nhập chưa đúng, vui lòng kiểm tra lại.",
    "username_invalid": "Tên đăng nhập gồm 3–64 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang.",
    "username_taken": "Tên đăng nhập này đã có người dùng.",
    "full_name_missing": "Vui lòng nhập họ tên.",
    "password_short": "Mật khẩu cần ít nhất 10 ký tự.",
    "password_long": "Mật khẩu quá dài.",
    "password_mismatch": "Hai lần nhập mật khẩu mới không khớp.",
    "password_wrong": "Mật khẩu hiện tại không đúng.",
    "role_unknown": "Vai trò không hợp lệ.",
    "admin_no_unit": "Quản trị viên không thuộc đơn vị nào.",
    "unit_mismatch": "Cán bộ cấp tỉnh thuộc đơn vị cấp tỉnh, cán bộ cấp xã thuộc đơn vị cấp xã.",
    "self_deactivate": "Bạn không thể tự khóa tài khoản của mình.",
    "officer_unknown": "Không tìm thấy tài khoản.",
    "notice_choice_unknown": "Lựa chọn nhận thông báo không hợp lệ.",
    "province_unknown": "Không có tỉnh/thành này trong danh mục.",
    "ward_unknown": "Không có xã/phường này trong danh mục.",
    "province_unit_missing": "Cần tạo đơn vị cấp tỉnh trước.",
    "unit_exists": "Đơn vị này đã có.",
    "unit_unknown": "Không tìm thấy đơn vị.",
    "unit_not_movable": "Bạn không chuyển được tin báo cho đơn vị này.",
    "channel_unknown": "Kênh không hợp lệ.",
    "chat_key_invalid": "Mã nhóm chat không hợp lệ.",
    "chat_exists": "Nhóm chat này đã được thêm.",
    "outside_units": "Bạn chỉ gửi được cảnh báo tới địa bàn đơn vị mình phụ trách.",
    "empty_audience": "Chọn ít nhất một xã/phường, hoặc cả tỉnh/thành.",
    "unknown_ward": "Có xã/phường không thuộc tỉnh/thành đã chọn.",
    "unknown_province": "Chọn tỉnh/thành.",
    "no_channels": "Chọn ít nhất một kênh gửi.",
    "no_card": "Chọn một thủ đoạn trong thư viện, hoặc tự soạn nội dung.",
    "no_title": "Nhập tiêu đề cảnh báo.",
    "empty_body": "Nhập nội dung cảnh báo.",
    "empty_message": "Nhập nội dung cảnh báo.",
    "title_too_long": "Tiêu đề dài quá 120 ký tự.",
    "body_too_long": "Nội dung dài quá 1.200 ký tự: người dân cần đọc được trong một tin nhắn.",
    "bad_time": "Giờ gửi không hợp lệ.",
    "alert_own_alert": "Cảnh báo do bạn soạn cần một cán bộ khác duyệt.",
    "alert_not_pending_approval": "Cảnh báo này không còn chờ duyệt.",
    "alert_not_open": "Cảnh báo này đã gửi xong hoặc đã hủy.",
    "alert_outside_units": "Cảnh báo này ngoài địa bàn đơn vị của bạn.",
}


def status(value: str | None) -> str:
    """The same words the reporter reads in chat (content/replies/labels.yaml), else the console's."""
    key = value or ""
    try:
        return replies.label(f"tip_status_{key}")
    except KeyError:
        return STATUSES.get(key, key)


def alert_status(value: str | None) -> str:
    return ALERT_STATUSES.get(value or "", value or "")


def role(value: str | None) -> str:
    return ROLES.get(value or "", value or "")


def entity_kind(value: str | None) -> str:
    return ENTITY_KINDS.get(value or "", value or "")


def notice(key: str) -> str:
    return NOTICES.get(key, "")


def problem(key: str) -> str:
    return PROBLEMS.get(key, "")
