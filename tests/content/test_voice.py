"""A warning or a genuine notice is told from the lure it resembles, by its voice and shape.

Every message here is written for these tests, in the shapes real senders use.
"""

from __future__ import annotations

import pytest

from content import Checker, Verdict

GENUINE = {
    "otp": "Techcombank: 739105 la ma xac thuc giao dich thanh toan 850.000d. "
    "Khong cung cap ma cho bat ky ai, ke ca nhan vien ngan hang.",
    "otp_diacritics": "Mã xác nhận đăng nhập Zalo của bạn là 5521. Không chia sẻ mã này với người khác.",
    "balance": "TK 0451xxxx7720 +2,400,000VND luc 09:15 12/12. So du 8,116,000VND. ND: LUONG THANG 11",
    "wallet": "Ví MoMo: bạn vừa nhận 120.000đ từ TRAN THI MAI, lời nhắn: tiền sách. Số dư ví 455.000đ.",
    "login_alert": "VPBank: Tai khoan cua Quy khach vua dang nhap tren thiet bi moi luc 22:41. "
    "Neu khong phai Quy khach, vui long goi tong dai 1900 545 415 hoac khoa tai khoan tren ung dung.",
    "police_warning": "Công an xã Hòa Bình cảnh báo: đối tượng giả danh cán bộ điều tra gọi điện "
    "đòi chuyển tiền vào tài khoản tạm giữ. "
    "Công an không làm việc qua điện thoại, không yêu cầu chuyển tiền. "
    "Gặp cuộc gọi như vậy hãy cúp máy và báo công an xã.",
    "telco_warning": "MobiFone khuyen cao: nha mang khong goi dien yeu cau cung cap ma OTP hay cai ung dung. "
    "Chuan hoa thue bao tai cua hang MobiFone gan nhat.",
    "school": "Nhà trường thông báo học sinh khối 9 nghỉ ngày 20/12 để giáo viên chấm thi; "
    "phụ huynh không phải đóng thêm khoản nào.",
}
LURES_IN_GENUINE_SHAPES = {
    # a one-time code with a request to read it out
    "otp_read_out": "Ma OTP cua ban la 629104. "
    "Vui long doc ma nay cho nhan vien ho tro de hoan tat nhan qua.",
    # a login alert whose only way out is a strange link
    "login_link": "VPBank: tai khoan vua dang nhap tren thiet bi la. "
    "Neu khong phai ban, huy ngay tai vpb-khoa.top",
    # a warning that ends by asking to add a contact
    "warning_contact": "Canh bao lua dao! Neu ban da bi lua, "
    "ket ban zalo 0934 552 187 de duoc ho tro lay lai tien.",
}


@pytest.mark.parametrize("name", sorted(GENUINE))
def test_genuine_shapes_and_warnings_are_no_match(checker: Checker, name: str) -> None:
    result = checker.check(GENUINE[name])
    assert result.verdict is Verdict.NO_MATCH, (name, result)
    assert result.named_modus is None


@pytest.mark.parametrize("name", ["otp", "balance", "login_alert", "police_warning"])
def test_the_reason_says_it_reads_as_genuine(checker: Checker, name: str) -> None:
    result = checker.check(GENUINE[name])
    assert result.looks_genuine
    assert [r.code for r in result.reasons] == ["genuine"]


@pytest.mark.parametrize("name", sorted(LURES_IN_GENUINE_SHAPES))
def test_a_request_to_act_inside_a_genuine_shape_still_wins(checker: Checker, name: str) -> None:
    result = checker.check(LURES_IN_GENUINE_SHAPES[name])
    assert result.verdict is not Verdict.NO_MATCH, (name, result)
    assert not result.looks_genuine


def test_a_residents_retelling_is_not_taken_for_a_warning(checker: Checker) -> None:
    """A retelling also says "báo công an"; it is still the trick."""
    text = (
        "Sáng nay có người gọi xưng công an quận, nói tôi liên quan vụ rửa tiền, bắt chuyển 200 triệu "
        "vào tài khoản tạm giữ, dặn không được báo công an hay kể với con cháu."
    )
    result = checker.check(text)
    assert result.verdict is Verdict.LIKELY_SCAM
    assert result.top_modus == "impersonate-authority"


def test_a_negated_red_flag_is_advice(checker: Checker) -> None:
    asked = checker.check("Nhân viên ngân hàng đây, anh cung cấp mã OTP vừa gửi để em hủy giao dịch lạ nhé")
    advised = checker.check("Ngân hàng nhắc: tuyệt đối không cung cấp mã OTP cho người gọi tự xưng nhân viên")
    assert "credentials" in {r.code for r in asked.reasons}
    assert "credentials" not in {r.code for r in advised.reasons}
    assert advised.verdict is Verdict.NO_MATCH
