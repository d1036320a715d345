"""/settings through the dispatcher: each person is offered only the notifications their roles get,
quiet hours are chosen by the hour, and a parent of two can turn one child's notifications off."""

from datetime import time

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import ChildMuteCb, SettingsCb, SettingsOp
from models import ChildMute, Notification, Person, Preference, TelegramAccount
from services import attendance, grades
from tests.conftest import BotHarness
from tests.support.bot import consent, link, press
from tests.support.journal import MONDAY, act_as, freeze, lesson_of, person, student_id

TODAY = MONDAY.date()
FAMILY = ["✅ Оценки", "✅ Пропуски", "✅ Новые задания", "✅ Итоги недели"]
TAIL = ["🌙 Тихие часы: 21:00–07:30", "🌐 Язык"]


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch)  # Monday 10:00 in Barnaul


def labels(emu, message: dict) -> list[str]:  # type: ignore[no-untyped-def]
    return [label for label, _data in emu.buttons(message)]


async def preference_of(session: AsyncSession, user: int) -> Preference:
    session.expire_all()
    found = await session.scalar(
        select(Preference)
        .join(TelegramAccount, TelegramAccount.id == Preference.account_id)
        .where(TelegramAccount.telegram_user_id == user)
    )
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("S07", ["✅ Напоминания"]),  # a teacher without children: the journal's reminders only
        ("S03", ["✅ Напоминания", "✅ Объяснительные от семей"]),  # a class teacher, no children
        ("R017", FAMILY),  # a parent of one: the family's own, no staff reminders, no child switches
        ("S06", [*FAMILY, "✅ Напоминания"]),  # a teacher who is also a parent
    ],
)
async def test_each_person_sees_the_toggles_of_their_roles(
    ref: str, expected: list[str], demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    if ref in ("R017", "S06"):
        await consent(session, ref)
    await link(session, emu, ref, 8100)
    shown = (await emu.say(8100, "/settings"))[0]
    assert labels(emu, shown) == [*expected, *TAIL]
    assert shown["text"].startswith("Уведомления: нажмите, чтобы включить или выключить.")


async def test_an_administrator_alone_gets_no_switches(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "S01", 8101)
    shown = (await emu.say(8101, "/settings"))[0]
    assert shown["text"] == "Бот не присылает вам уведомлений: для вашей роли их нет."
    assert labels(emu, shown) == ["🌐 Язык"]


async def test_a_switch_that_is_not_the_persons_is_refused(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await link(session, emu, "S07", 8102)
    await emu.say(8102, "/settings")
    await press(emu, 8102, SettingsCb(op=SettingsOp.TOGGLE, value="grades").pack())
    assert emu.callback_answers[-1]["text"] == "Таких уведомлений нет."
    assert (await preference_of(session, 8102)).push_grades is True


async def test_quiet_hours_are_picked_by_the_hour(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "S07", 8103)
    shown = (await emu.say(8103, "/settings"))[0]
    assert "Тихие часы: 21:00–07:30; всё, что придёт в это время, подождёт до 07:30" in shown["text"]
    await emu.click(8103, shown, "🌙 Тихие часы: 21:00–07:30")
    assert shown["text"].startswith("Тихие часы: уведомления, пришедшие в это время, ждут их окончания. С какого часа?")
    assert shown["text"].endswith("Сейчас: 21:00–07:30.")
    hours = labels(emu, shown)
    assert hours[:24] == [f"{h:02d}:00" for h in range(24)] and hours[24:] == ["Без тихих часов", "◀ назад"]
    await emu.click(8103, shown, "22:00")
    assert shown["text"] == "Тихие часы с 22:00. До какого часа?"
    assert "22:00" not in labels(emu, shown), "a quiet time that ends as it starts is not offered"
    assert labels(emu, shown)[-1] == "◀ назад"
    await emu.click(8103, shown, "06:00")
    assert "Тихие часы: 22:00–06:00; всё, что придёт в это время, подождёт до 06:00" in shown["text"]
    assert "🌙 Тихие часы: 22:00–06:00" in labels(emu, shown)
    assert emu.callback_answers[-1]["text"] == "Сохранено."
    saved = await preference_of(session, 8103)
    assert (saved.quiet_from, saved.quiet_to) == (time(22), time(6))

    # a forged press with the same hour twice changes nothing, and says why
    await press(emu, 8103, SettingsCb(op=SettingsOp.QUIET_TO, start=5, end=5).pack())
    assert emu.callback_answers[-1]["text"] == (
        "Тихие часы должны заканчиваться в другой час, не в тот, в который начинаются."
    )
    # an hour out of the day never reaches a handler: a stale button's answer, nothing saved
    await press(emu, 8103, "st:qt::23:24")
    assert emu.callback_answers[-1]["text"].startswith("Эта кнопка уже не действует")
    saved = await preference_of(session, 8103)
    assert (saved.quiet_from, saved.quiet_to) == (time(22), time(6))

    # back from the start picker keeps them; "no quiet hours" turns them off
    await emu.click(8103, shown, "🌙 Тихие часы: 22:00–06:00")
    await emu.click(8103, shown, "◀ назад")
    assert "🌙 Тихие часы: 22:00–06:00" in labels(emu, shown)
    await emu.click(8103, shown, "🌙 Тихие часы: 22:00–06:00")
    await emu.click(8103, shown, "Без тихих часов")
    assert "Тихие часы выключены: уведомления приходят в любое время." in shown["text"]
    assert "🌙 Тихие часы: выключены" in labels(emu, shown)
    saved = await preference_of(session, 8103)
    assert saved.quiet_from is None and saved.quiet_to is None


async def rows_about(session: AsyncSession, parent_ref: str, child: int) -> list[Notification]:
    """The parent's pushes whose payload is about that child."""
    session.expire_all()
    parent = await person(session, parent_ref)
    rows = await session.scalars(
        select(Notification).where(Notification.person_id == parent.id).order_by(Notification.id)
    )
    return [r for r in rows if r.payload.get("student_id") == child]


async def test_a_parent_of_two_turns_one_childs_notifications_off(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    younger = await student_id(session, "P001")  # Софья, 1А
    older = await student_id(session, "P016")  # Елизавета, 5А
    await consent(session, "R015")
    await link(session, emu, "R015", 8104)
    shown = (await emu.say(8104, "/settings"))[0]
    assert "По каждому ребёнку: 🔔 — уведомления о нём приходят, 🔕 — выключены." in shown["text"]
    assert labels(emu, shown) == [*FAMILY, "🔔 Елизавета", "🔔 Софья", *TAIL]

    # an absence of the younger one waits out the grace period when the mother mutes her
    teacher = await act_as(session, "S08")
    first = (await lesson_of(session, "S08", TODAY, "RUS", "1А")).id
    second = (await lesson_of(session, "S08", TODAY, "MATH", "1А")).id
    math = (await lesson_of(session, "S03", TODAY, "MATH", "5А")).id
    await attendance.save(session, teacher, first, {younger: "absent"})
    await session.commit()
    assert [r.status for r in await rows_about(session, "R015", younger)] == ["pending"]
    await emu.click(8104, shown, "🔔 Софья")
    assert emu.callback_answers[-1]["text"] == "Софья: уведомления выключены."
    assert "🔕 Софья" in labels(emu, shown) and "🔔 Елизавета" in labels(emu, shown)
    assert [(r.status, r.last_error) for r in await rows_about(session, "R015", younger)] == [
        ("skipped", "child muted")
    ], "what was waiting does not go either"

    # from now on nothing about her is queued for the mother; her sister's grades still are
    await attendance.save(session, await act_as(session, "S08"), second, {younger: "absent"})
    await grades.add(session, await act_as(session, "S03"), math, older, 5)
    await session.commit()
    assert len(await rows_about(session, "R015", younger)) == 1
    assert [r.kind for r in await rows_about(session, "R015", older)] == ["grade_created"]

    # turned on again: an absence she was never told of is withdrawn without a word to her
    await emu.click(8104, shown, "🔕 Софья")
    assert emu.callback_answers[-1]["text"] == "Софья: уведомления включены."
    await attendance.save(session, await act_as(session, "S08"), second, {younger: "present"})
    await session.commit()
    assert len(await rows_about(session, "R015", younger)) == 1
    assert await session.scalar(select(func.count()).select_from(ChildMute)) == 0

    # and her pushes come again: an absence, then its withdrawal once the absence was sent
    await attendance.save(session, await act_as(session, "S08"), second, {younger: "absent"})
    await session.commit()
    marked = (await rows_about(session, "R015", younger))[-1]
    assert marked.kind == "absence_marked"
    marked.status = "sent"
    await session.commit()
    await attendance.save(session, await act_as(session, "S08"), second, {younger: "present"})
    await session.commit()
    assert [r.kind for r in await rows_about(session, "R015", younger)][-1] == "absence_withdrawn"


async def test_only_a_parent_of_several_mutes_and_only_their_own(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await consent(session, "R017", "R015")
    await link(session, emu, "R017", 8105)  # one child
    await emu.say(8105, "/settings")
    await press(emu, 8105, ChildMuteCb(student=await student_id(session, "P018")).pack())
    refusal = "Выключить уведомления об одном ребёнке может только родитель нескольких детей."
    assert emu.callback_answers[-1]["text"] == refusal
    await link(session, emu, "R015", 8106)  # two children, neither of them P018
    await emu.say(8106, "/settings")
    await press(emu, 8106, ChildMuteCb(student=await student_id(session, "P018")).pack())
    assert emu.callback_answers[-1]["text"] == refusal
    assert await session.scalar(select(func.count()).select_from(ChildMute)) == 0


async def test_no_child_switches_before_consent(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    """A child's name is diary data a family sees after consenting (004 §3.8); nothing comes before it."""
    emu = harness.emu
    await session.execute(update(Person).where(Person.parent_ref == "R015").values(consent_at=None))
    await session.commit()
    await link(session, emu, "R015", 8107)
    shown = (await emu.say(8107, "/settings"))[-1]
    assert not [label for label in labels(emu, shown) if label.startswith(("🔔", "🔕"))]


async def test_a_press_on_an_old_screen_sets_what_its_button_showed(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    """Two /settings screens: grades turned off on one and on again on the other; pressing «⬜ Оценки»
    on the first (it offers to turn them on) keeps them on, not flipping them off."""
    emu = harness.emu
    await link(session, emu, "R017", 8107)
    await consent(session, "R017")
    await emu.say(8107, "/settings")
    await press(emu, 8107, SettingsCb(op=SettingsOp.TOGGLE, value="grades", on=False).pack())  # the first: off
    assert (await preference_of(session, 8107)).push_grades is False
    await press(emu, 8107, SettingsCb(op=SettingsOp.TOGGLE, value="grades", on=True).pack())  # a second: on
    await press(emu, 8107, SettingsCb(op=SettingsOp.TOGGLE, value="grades", on=True).pack())  # the first's «⬜»
    assert (await preference_of(session, 8107)).push_grades is True
