"""QR codes in a picture, as lines the scam check reads like any text.

A link stays a link. A VietQR code (NAPAS 247 on the EMVCo merchant-presented format) names
the receiving bank by its BIN and the account number: it becomes "số tài khoản … ngân hàng
…" in the bank's own name, which the engine maps to the short code it uses everywhere (and
the registry looks up). The BINs are those of the NAPAS/VietQR bank directory.
"""

from __future__ import annotations

import logging

import zxingcpp
from PIL import Image

log = logging.getLogger(__name__)

MAX_CODES = 5
VIETQR_GUID = "A000000727"

# BIN → the bank's name as content/lexicon/banks.tsv knows it (so the engine finds its code).
BANKS_BY_BIN = {
    "970436": "Vietcombank",
    "970407": "Techcombank",
    "970418": "BIDV",
    "970415": "VietinBank",
    "970405": "Agribank",
    "970422": "MBBank",
    "970416": "ACB",
    "970432": "VPBank",
    "970423": "TPBank",
    "970403": "Sacombank",
    "970441": "VIB",
    "970437": "HDBank",
    "970443": "SHB",
    "970426": "MSB",
    "970448": "OCB",
    "970440": "SeABank",
    "970431": "Eximbank",
    "970449": "LPBank",
    "970429": "SCB",
    "970419": "NCB",
    "970428": "Nam A Bank",
    "970409": "Bac A Bank",
    "970425": "ABBANK",
    "970452": "Kienlongbank",
    "970412": "PVcomBank",
    "970454": "BVBank",
    "970427": "VietABank",
    "970430": "PGBank",
    "970400": "Saigonbank",
    "970438": "BaoVietBank",
    "970414": "OceanBank",
    "546034": "Cake",
    "546035": "Ubank",
    "963388": "Timo",
    "970424": "Shinhan Bank",
    "970457": "Woori Bank",
    "458761": "HSBC",
    "971005": "Viettel Money",
    "971011": "VNPT Money",
    # banks the engine has no short code for: named, so the resident sees which
    "970433": "Vietbank",
    "970406": "DongA Bank",
    "970408": "GPBank",
    "970410": "Standard Chartered",
    "970421": "VRB",
    "970434": "Indovina Bank",
    "970439": "Public Bank",
    "970442": "Hong Leong Bank",
    "970444": "CBBank",
    "970446": "Co-opBank",
    "970455": "IBK",
    "970458": "UOB",
    "422589": "CIMB",
    "796500": "DBS",
}


def read_codes(image: Image.Image) -> tuple[str, ...]:
    """Every QR code in the picture, in the order found, as checkable lines."""
    try:
        found = zxingcpp.read_barcodes(
            image.convert("L"), formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
    except (RuntimeError, ValueError) as exc:  # a decoder failure is no reason to lose the text
        log.warning("QR decoding failed: %s", type(exc).__name__)
        return ()
    lines: list[str] = []
    for code in found[:MAX_CODES]:
        line = describe(code.text)
        if line and line not in lines:
            lines.append(line)
    return tuple(lines)


def describe(payload: str) -> str:
    """A QR payload as a line of text: a transfer's account and bank, else the payload itself."""
    payload = payload.strip()
    fields = parse_emv(payload) if payload.startswith("000201") else None
    if fields is None:
        return payload[:2000]
    merchant = next((parse_emv(v) for k, v in fields.items() if "26" <= k <= "51" and VIETQR_GUID in v), None)
    beneficiary = parse_emv((merchant or {}).get("01", "")) or {}
    account, bin_ = beneficiary.get("01", ""), beneficiary.get("00", "")
    if not account:
        name = fields.get("59", "")
        return f"Mã QR thanh toán {name}".strip()
    bank = BANKS_BY_BIN.get(bin_, f"mã BIN {bin_}")
    parts = [f"Mã QR chuyển khoản: số tài khoản {account} ngân hàng {bank}"]
    if fields.get("54"):
        parts.append(f"số tiền {fields['54']} đồng")
    note = (parse_emv(fields.get("62", "")) or {}).get("08", "")
    if note:
        parts.append(f"nội dung: {note}")
    return ", ".join(parts)


def parse_emv(data: str) -> dict[str, str] | None:
    """EMVCo tag-length-value fields (two-digit tag, two-digit length); None if malformed."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        tag, length = data[pos : pos + 2], data[pos + 2 : pos + 4]
        if len(tag) < 2 or not length.isdigit():
            return None
        end = pos + 4 + int(length)
        if end > len(data):
            return None
        fields[tag] = data[pos + 4 : end]
        pos = end
    return fields
