"""Wire details the fake Zalo checks: error messages by code, the consultation-message shape."""

from __future__ import annotations

from typing import Any

ERROR_MESSAGES = {
    -216: "Access token is invalid",
    -220: "Access token has expired or been removed",
    -32: "Exceeded the limit of requests per minute",
    -200: "Send message failed",
    -201: "Parameters are invalid",
    -213: "User has not followed the OA",
    -227: "User is banned or has been inactive for more than 45 days",
    -230: "User has not interacted with the OA in the past 7 days",
    -232: "User has no valid interaction with the OA",
    -244: "User has blocked this type of message",
    -224: "The OA package does not allow this API",
}


def valid_cs(body: Any) -> bool:
    """The consultation-message shape: a user recipient and text ≤ 2 000 and/or an attachment."""
    if not isinstance(body, dict) or not isinstance(body.get("recipient"), dict):
        return False
    if not isinstance(body["recipient"].get("user_id"), str) or not isinstance(body.get("message"), dict):
        return False
    message = body["message"]
    text, attachment = message.get("text"), message.get("attachment")
    if text is None and attachment is None:
        return False
    if text is not None and (not isinstance(text, str) or not 0 < len(text) <= 2000):
        return False
    if attachment is not None:
        payload = attachment.get("payload") if isinstance(attachment, dict) else None
        if attachment.get("type") not in ("template", "file") or not isinstance(payload, dict):
            return False
        buttons = payload.get("buttons")
        if buttons is not None and (len(buttons) > 5 or any(not b.get("title") for b in buttons)):
            return False
    return True
