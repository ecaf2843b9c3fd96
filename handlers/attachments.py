"""The contract between a channel and the handlers for downloading a user's file.

A handler sees only `Attachment` references. When it needs the bytes (evidence for a
tip) it calls the channel's `FetchAttachment`, which the composition root registers
per channel name in `Conversations.fetchers`:

    def fetch(attachment: Attachment, max_bytes: int) -> bytes

It is called from the worker thread that handles the message (never on the event
loop), at most once per attachment, inside the message's unit of work, so keep it quick:

* return the file's bytes;
* raise `AttachmentTooLarge` as soon as more than `max_bytes` arrive (do not read on);
* raise `AttachmentUnavailable` when the platform cannot give the file (expired id,
  network error after retries); the user is asked to send it again.

Web chat: the upload endpoint keeps the bytes and `ref` names them. Telegram:
`getFile` then the file URL. Zalo: the attachment's `url`.
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.messages import Attachment

FetchAttachment = Callable[[Attachment, int], bytes]


class AttachmentError(Exception):
    pass


class AttachmentTooLarge(AttachmentError):
    pass


class AttachmentUnavailable(AttachmentError):
    pass
