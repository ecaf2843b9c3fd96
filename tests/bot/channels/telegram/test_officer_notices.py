"""New tips reach the linked chats of the officers whose scope holds them, as each chose; the
console warns an administrator of a unit from which a new tip would reach nobody.

Driven from outside: the console over HTTP (an administrator makes the units and the
officer, the officer takes a link code and chooses their notices), the officer's own chat
and a resident through the Telegram webhook, the notices through the outbox worker to the
fake Bot API."""

from __future__ import annotations

import re

import httpx
from sqlmodel import select

from bot.worker import OutboxWorker
from storage import officers, units
from storage.db import transaction
from storage.models import Tip, Unit
from tests.bot.channels.telegram.conftest import CHAT, Webhook, press_update, text_update
from tests.bot.console.conftest import FAST_HASHER, HANOI, HOAN_KIEM, PASSWORD

OFFICER_CHAT = 6000001
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STORY = "Chị Hằng Nga gọi từ số 0912345678, xưng ở phòng thẻ, bảo tôi đọc mã cho chị"


def console(hook: Webhook) -> httpx.AsyncClient:
    """A browser on the console, over HTTPS as the public address says (secure cookies)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=hook.app), base_url="https://testserver")


async def csrf(client: httpx.AsyncClient, path: str = "/console/me") -> str:
    page = await client.get(path)
    found = _CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


async def login(client: httpx.AsyncClient, username: str) -> None:
    client.cookies.clear()
    token = await csrf(client, "/console/login")
    response = await client.post(
        "/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text


class Chats:
    """People typing in Telegram: each update goes through the webhook and is answered."""

    def __init__(self, hook: Webhook) -> None:
        self.hook = hook
        self.update_id = 7000

    async def _post(self, update: dict[str, object], chat: int) -> str:
        before = len(self.hook.fake.sent(chat_id=chat))
        assert (await self.hook.post(update)).status_code == 200
        await self.hook.settle()
        return "\n".join(r.text for r in self.hook.fake.sent(chat_id=chat)[before:])

    async def say(self, text: str, chat: int = CHAT) -> str:
        self.update_id += 1
        return await self._post(text_update(text, update_id=self.update_id, chat_id=chat), chat)

    async def press(self, data: str, chat: int = CHAT) -> str:
        self.update_id += 1
        return await self._post(press_update(data, update_id=self.update_id, chat_id=chat), chat)

    async def report(self, *, amount: str | None) -> str:
        """A resident's whole report dialog; `amount` None presses 'no money lost'."""
        await self.say("/baocao")
        await self.press("report:consent:yes")
        await self.press("report:modus:fake-bank")
        await self.say(STORY)
        await self.press("report:story:done")
        await self.say("3 ngày trước")
        if amount is None:
            await self.press("report:amount:none")
        else:
            await self.say(amount)
        await self.press("report:ent:ok")
        await self.press("report:ev:done")
        await self.say("Hà Nội")
        await self.say("Hoàn Kiếm")
        await self.press("report:contact:anon")
        submitted = await self.press("report:submit")
        assert "Mã theo dõi" in submitted, submitted
        return submitted


async def notices_to_officer(hook: Webhook) -> list[str]:
    await OutboxWorker(hook.services.engine, hook.services.channels).run_once()
    return [m.text for m in hook.fake.sent(chat_id=OFFICER_CHAT) if "Tin báo mới" in m.text]


def account(hook: Webhook, username: str, role: str, unit_id: int | None) -> None:
    """A console account made the way `canhgiac officer create` makes one (hashing kept cheap)."""
    hook.services.hasher = FAST_HASHER
    with transaction(hook.services.engine) as session:
        officers.create_officer(
            session,
            hasher=FAST_HASHER,
            username=username,
            full_name=f"Cán bộ {username}",
            password=PASSWORD,
            role=role,
            unit_id=unit_id,
            actor="test",
        )


async def warned(client: httpx.AsyncClient) -> str:
    page = (await client.get("/console/admin/units")).text
    if "chưa ai nhận tin báo mới" not in page:
        return ""
    return page.split("chưa ai nhận tin báo mới", 1)[1].split("</section>", 1)[0]


async def test_a_linked_officer_hears_of_new_tips_as_chosen_and_the_admin_is_warned(webhook: Webhook) -> None:
    services = webhook.services
    account(webhook, "quantri", "admin", None)
    web = console(webhook)
    chats = Chats(webhook)

    # The administrator makes Hà Nội's unit, the unit of Phường Hoàn Kiếm and its officer.
    await login(web, "quantri")
    made = await web.post(
        "/console/admin/units", data={"province_code": str(HANOI), "csrf_token": await csrf(web)}
    )
    province_path = made.headers["location"].split("?")[0]
    await web.post(
        f"{province_path}/communes", data={"ward_code": str(HOAN_KIEM), "csrf_token": await csrf(web)}
    )
    with transaction(services.engine) as session:
        commune = session.exec(select(Unit).where(Unit.ward_code == HOAN_KIEM)).one()
    made = await web.post(
        "/console/admin/officers",
        data={
            "username": "xa1",
            "full_name": "Nguyễn Văn Xã",
            "role": "commune",
            "unit_id": str(commune.id),
            "password": PASSWORD,
            "csrf_token": await csrf(web),
        },
    )
    assert "ok=officer_created" in made.headers["location"]
    # No group chat anywhere and nobody linked: both units would hear of nothing.
    warning = await warned(web)
    assert commune.name in warning and "Công an" in warning
    unit_page = (await web.get(f"/console/admin/units/{commune.id}")).text
    assert "sẽ không đến được ai" in unit_page

    # The officer links their own Telegram chat.
    await login(web, "xa1")
    page = await web.post("/console/me/link-code", data={"csrf_token": await csrf(web)})
    code = re.search(r"/lienket ([A-Z0-9]{8})", page.text)
    assert code, page.text
    assert "Từ nay bạn sẽ nhận thông báo" in await chats.say(f"/lienket {code.group(1)}", OFFICER_CHAT)
    await login(web, "quantri")
    warning = await warned(web)
    assert commune.name not in warning  # the commune is heard now; the province still is not

    # A resident's tip with money lost reaches the officer's chat, without personal details.
    await chats.report(amount="5 triệu")
    [notice] = await notices_to_officer(webhook)
    with transaction(services.engine) as session:
        first = session.exec(select(Tip)).one()
    assert first.code[:4] in notice and "5.000.000" in notice
    for private in ("0912345678", "Hằng Nga", "phòng thẻ", str(CHAT)):
        assert private not in notice

    # Urgent only: a tip without money lost or threat is not told, one with money lost is.
    await login(web, "xa1")
    chose = await web.post(
        "/console/me/tip-notices", data={"choice": "urgent", "csrf_token": await csrf(web)}
    )
    assert chose.headers["location"].endswith("ok=tip_notices")
    assert 'value="urgent" checked' in (await web.get("/console/me")).text
    await chats.report(amount=None)
    assert len(await notices_to_officer(webhook)) == 1
    await chats.report(amount="2 triệu")
    assert len(await notices_to_officer(webhook)) == 2

    # Off: nothing more, and the administrator is warned of the commune again.
    await web.post("/console/me/tip-notices", data={"choice": "off", "csrf_token": await csrf(web)})
    await chats.report(amount="1 triệu")
    assert len(await notices_to_officer(webhook)) == 2
    await login(web, "quantri")
    assert commune.name in await warned(web)

    # A group chat for the province: every unit of it is heard again, and the group is told.
    await web.post(
        f"{province_path}/chats",
        data={"channel": "telegram", "chat_key": "-100555", "csrf_token": await csrf(web)},
    )
    assert await warned(web) == ""
    await chats.report(amount=None)
    await OutboxWorker(services.engine, services.channels).run_once()
    assert [m for m in webhook.fake.sent(chat_id=-100555) if "Tin báo mới" in m.text]
    assert len(await notices_to_officer(webhook)) == 2


async def test_a_choice_outside_the_list_is_refused(webhook: Webhook) -> None:
    with transaction(webhook.services.engine) as session:
        unit = units.create_province_unit(session, province_code=HANOI, actor="test")
    account(webhook, "tinh", "province", unit.id)
    web = console(webhook)
    await login(web, "tinh")
    answer = await web.post(
        "/console/me/tip-notices", data={"choice": "sometimes", "csrf_token": await csrf(web)}
    )
    assert answer.headers["location"].endswith("err=notice_choice_unknown")
    assert 'value="all" checked' in (await web.get("/console/me")).text
