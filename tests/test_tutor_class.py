"""/class through the dispatcher: only lessons that have begun lack a topic or homework, a split
lesson names its group and teacher, and the weekly summary is counted among the families that got it."""

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot import jobs
from bot.delivery import DeliveryWorker
from handlers.callbacks import SettingsCb, SettingsOp
from services import homework
from tests.conftest import BotHarness
from tests.support.bot import consent, drain, link, press, running_from
from tests.support.journal import MONDAY, act_as, freeze, lesson_of

TODAY = MONDAY.date()
SATURDAY_NOON = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)  # 12:00 in Barnaul
MISSING = "Уроки без темы или домашнего задания:"


async def overview(emu, user: int) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(m["text"] for m in await emu.say(user, "/class"))


def summaries_to(emu, user: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """The weekly summaries in a chat: the messages with a Seen button."""
    return [m for m in emu.bot_messages(user) if any(data.startswith("sn:") for _l, data in emu.buttons(m))]


def missing_part(text: str) -> list[str]:
    if MISSING not in text:
        return []
    after = text.split(MISSING, 1)[1].strip("\n").split("\n\n")[0]
    return [line.strip() for line in after.split("\n")]


async def test_only_begun_lessons_lack_anything_and_groups_are_named(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch
) -> None:
    emu = harness.emu
    freeze(monkeypatch)  # Monday 10:00: lessons 1 (08:30) and 2 (09:20) have begun, 3–5 have not
    math = (await lesson_of(session, "S03", TODAY, "MATH", "5А")).id
    later = (await lesson_of(session, "S04", TODAY, "LIT", "5А")).id
    teacher = await act_as(session, "S04")
    await homework.set_topic(session, teacher, later, "Басни Крылова")  # a topic given ahead
    await session.commit()
    await link(session, emu, "S03", 8200)
    assert missing_part(await overview(emu, 8200)) == [
        "пн, 23 ноября:",
        "1. Математика, Соколова Е. В.: без темы, без домашнего задания",
        "2. Русский язык, Миронова О. С.: без темы, без домашнего задания",
    ]

    mine = await act_as(session, "S03")
    await homework.set_topic(session, mine, math, "Дроби")
    await homework.post(session, mine, math, "№ 12")
    await session.commit()
    freeze(monkeypatch, MONDAY + timedelta(hours=2, minutes=30))  # 12:30: English (11:20), history (12:10)
    assert missing_part(await overview(emu, 8200)) == [
        "пн, 23 ноября:",
        "2. Русский язык, Миронова О. С.: без темы, без домашнего задания",
        "3. Литература, Миронова О. С.: без домашнего задания",
        "4. Английский язык (группа 1), Лебедева Н. И.: без темы, без домашнего задания",
        "4. Английский язык (группа 2), Гордеева И. А.: без темы, без домашнего задания",
        "5. История, Крылов В. А.: без темы, без домашнего задания",
    ]


async def test_summary_is_counted_among_the_families_that_got_it(
    demo: None, session: AsyncSession, sessionmaker, harness: BotHarness, monkeypatch
) -> None:
    emu = harness.emu
    running_from(monkeypatch, SATURDAY_NOON - timedelta(minutes=5))
    # Of 5А's 15 families: three connected, one of which turned summaries off; one linked without
    # consent (as good as not connected); the other eleven have linked nobody.
    await consent(session, "R017", "R019", "R020")
    await link(session, emu, "R017", 8201)  # Романова Екатерина's mother
    await link(session, emu, "R019", 8202)  # Алексеев Матвей's
    await link(session, emu, "R020", 8203)  # Николаева Софья's
    await link(session, emu, "R016", 8204)  # Никитин Лев's, no consent
    await emu.say(8203, "/settings")
    await press(emu, 8203, SettingsCb(op=SettingsOp.TOGGLE, value="summaries").pack())

    running_from(monkeypatch, SATURDAY_NOON)
    assert (await jobs.tick(sessionmaker))["summaries"] == 3
    await drain(DeliveryWorker(harness.bot, sessionmaker), sessionmaker)
    (summary,) = summaries_to(emu, 8201)
    await emu.click(8201, summary, "👁 Ознакомлен")
    assert len(summaries_to(emu, 8202)) == 1
    assert not summaries_to(emu, 8203), "turned off: nothing came"

    await link(session, emu, "S03", 8205)
    text = await overview(emu, 8205)
    assert "Итоги недели с 23 ноября: ознакомились 1 из 2 получивших их семей." in text
    assert "Ещё нет: Алексеев Матвей" in text
    assert "Подключены, но не получили (уведомления выключены или ещё не доставлены): Николаева Софья" in text
    assert "12 семей ещё не подключены к боту (нет привязанного аккаунта с согласием): /codes." in text


async def test_before_any_family_got_the_summary(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch
) -> None:
    emu = harness.emu
    freeze(monkeypatch)  # Monday: last week's summary, which nobody here received
    await link(session, emu, "S03", 8206, "en")
    text = await overview(emu, 8206)
    assert "Weekly summary of 16 November: no family has received it." in text
    assert "15 families are not connected to the bot yet" in text
    assert "seen by" not in text


async def test_nobody_absent_is_said_only_of_lessons_whose_roll_call_was_saved(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch
) -> None:
    from services import attendance

    emu = harness.emu
    freeze(monkeypatch)  # Monday 10:00: lessons 1 (08:30) and 2 (09:20) have begun
    math = (await lesson_of(session, "S03", TODAY, "MATH", "5А")).id
    await link(session, emu, "S03", 8210)
    text = await overview(emu, 8210)
    assert "Отсутствуют сегодня:\n  пока никто" in text, text
    assert "Перекличка ещё не сохранена: 1 Математика, 2 Русский язык." in text, text

    await attendance.save(session, await act_as(session, "S03"), math, {})  # everyone present
    await session.commit()
    text = await overview(emu, 8210)
    assert "Перекличка ещё не сохранена: 2 Русский язык." in text, text
