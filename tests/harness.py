"""A conversation driven through the public handlers, as a channel would drive it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.channels.base import Capabilities
from bot.channels.render import render, to_plain
from content.messages import Reply
from handlers.conversation import Conversations
from handlers.messages import Attachment, IncomingMessage


@dataclass
class Conversation:
    conversations: Conversations
    channel: str = "test"
    user_key: str = "u1"
    numbered: bool = False
    transcript: list[tuple[str, str]] = field(default_factory=list)
    last: list[Reply] = field(default_factory=list)

    def say(self, text: str = "", **kwargs: object) -> list[Reply]:
        msg = IncomingMessage(channel=self.channel, user_key=self.user_key, text=text, **kwargs)  # type: ignore[arg-type]
        self.transcript.append(("user", text or str(kwargs)))
        self.last = self.conversations.handle(msg, numbered_options=self.numbered)
        for reply in self.last:
            self.transcript.append(("bot", reply.text))
        return self.last

    def press(self, payload: str) -> list[Reply]:
        return self.say(payload=payload)

    def send_file(self, kind: str = "photo") -> list[Reply]:
        return self.say(attachments=(Attachment(kind=kind, ref="f1"),))

    @property
    def text(self) -> str:
        """The plain text of the last replies, as a plain channel shows it."""
        caps = Capabilities(max_len=100_000, buttons=not self.numbered, html=False)
        return "\n".join(c for r in render(self.last, caps) for c in r.chunks)

    @property
    def html(self) -> str:
        return "\n".join(r.text for r in self.last)

    @property
    def payloads(self) -> list[str]:
        return [b.payload for r in self.last for b in r.flat_buttons()]

    def labels(self) -> list[str]:
        return [to_plain(b.label) for r in self.last for b in r.flat_buttons()]
