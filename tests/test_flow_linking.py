"""Linking through the real dispatcher against the emulator: codes, menus, language, consent."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, Person, TelegramAccount
from services.link_codes import CodeFilter, issue_codes
from services.roles import Role
from tests.conftest import BotHarness


async def code_for(session: AsyncSession, ref_column, ref: str) -> str:
    person = await session.scalar(select(Person).where(ref_column == ref))
    assert person is not None
    from services.link_codes import issue_codes_for

    return (await issue_codes_for(session, [person], days=30))[0].code


async def test_teacher_links_and_sees_menu_in_russian_then_english(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    code = await code_for(session, Person.staff_ref, "S03")
    replies = await emu.say(1001, f"/start {code}", language_code="ru")
    texts = [m["text"] for m in replies]
    assert texts[0].startswith("Здравствуйте, Елена Викторовна!")
    assert "учитель" in texts[0] and "классный руководитель" in texts[0]
    assert "/codes" in texts[1] and "/privacy" not in texts[1]
    commands = emu.commands[("chat:1001", "")]
    assert [c["command"] for c in commands] == ["start", "help", "codes", "language", "logout"]

    replies = await emu.say(1001, "/language")
    replies = await emu.click(1001, replies[-1], "English")
    assert emu.last(1001)["text"].startswith("What you can do:")
    assert emu.commands[("chat:1001", "")][1]["description"] == "What I can do for you"
    account = await session.scalar(select(TelegramAccount).where(TelegramAccount.telegram_user_id == 1001))
    assert account is not None and account.locale == "en"
