"""A tip through Telegram, on the fake Bot API: forwarded scam → check → report → submit →
the unit's group is told (outbox → worker → sendMessage) → /trangthai shows the status."""

from __future__ import annotations

from sqlmodel import select

from bot.worker import OutboxWorker
from storage.db import transaction
from storage.models import OutboxMessage, Tip
from tests.bot.channels.telegram.conftest import CHAT, Webhook, load_update, press_update, text_update
from tests.storage.tip_fixtures import make_world

GROUP = "-100777"  # the unit's officers' group chat in tip_fixtures


class Resident:
    def __init__(self, hook: Webhook) -> None:
        self.hook = hook
        self.update_id = 5000

    async def _post(self, update: dict[str, object]) -> str:
        self.update_id += 1
        before = len(self.hook.fake.sent(chat_id=CHAT))
        assert (await self.hook.post(update)).status_code == 200
        await self.hook.settle()
        replies = self.hook.fake.sent(chat_id=CHAT)[before:]
        self.last = replies
        return "\n".join(r.text for r in replies)

    async def say(self, text: str) -> str:
        return await self._post(text_update(text, update_id=self.update_id + 1))

    async def press(self, data: str) -> str:
        return await self._post(press_update(data, update_id=self.update_id + 1))

    async def forward(self) -> str:
        return await self._post(load_update("forwarded", update_id=self.update_id + 1))

    @property
    def buttons(self) -> list[str]:
        return [data for r in self.last for data in r.callback_data]


async def test_forwarded_scam_becomes_a_tip_the_unit_hears_of(webhook: Webhook) -> None:
    make_world(webhook.services.engine)
    me = Resident(webhook)
    await me.forward()
    assert me.buttons[0] == "report:check"
    assert "Luật số 91/2025/QH15" in await me.press("report:check")
    await me.press("report:consent:yes")
    assert "report:modus:impersonate-authority" in me.buttons  # the check's modus, to confirm
    await me.press("report:modus:impersonate-authority")
    await me.say("Họ gọi xưng công an, bảo tôi chuyển tiền để xác minh")
    await me.press("report:story:done")
    await me.say("hôm qua")
    await me.say("5 triệu")
    await me.press("report:ent:ok")
    await me.press("report:ev:done")
    await me.say("Hà Nội")
    await me.say("Hoàn Kiếm")
    await me.press("report:contact:anon")
    summary = await me.press("report:submit")
    assert "Mã theo dõi" in summary
    assert all(len(d.encode()) <= 64 for d in me.buttons)

    engine = webhook.services.engine
    with transaction(engine) as session:
        tip = session.exec(select(Tip)).one()
        queued = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "tip_new")).one()
        assert (queued.channel, queued.user_key) == ("telegram", GROUP)
    assert tip.code[:4] in summary

    await OutboxWorker(engine, webhook.services.channels).run_once()
    [notice] = webhook.fake.sent(chat_id=GROUP)
    assert "Tin báo mới" in notice.text and "Họ gọi" not in notice.text

    status = await me.say(f"/trangthai {tip.code}")
    assert "Mới" in status and "chờ cán bộ tiếp nhận" in status
