"""The absence loop: the push to a parent carries "Explain", the tutor confirms, the parent learns."""

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import DeliveryWorker
from models import AbsenceNote, Attendance, Person
from services import attendance
from tests.conftest import BotHarness
from tests.support.bot import drain, link, running_from
from tests.support.journal import MONDAY, act_as, lesson_of, person, student_id


async def test_parent_explains_and_tutor_confirms(
    demo: None, session: AsyncSession, sessionmaker, harness: BotHarness, monkeypatch
) -> None:
    emu = harness.emu
    running_from(monkeypatch, MONDAY)
    child = await student_id(session, "P018")  # R017 is her mother
    mother = await person(session, "R017")
    await session.execute(update(Person).where(Person.id == mother.id).values(consent_at=MONDAY))
    await session.commit()
    await link(session, emu, "R017", 9001, "en")
    await link(session, emu, "S03", 9002, "en")  # 5А's class teacher
    lesson = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    await attendance.save(session, await act_as(session, "S03"), lesson.id, {child: "absent"})
    await session.commit()
    running_from(monkeypatch, MONDAY + timedelta(minutes=4))
    await drain(DeliveryWorker(harness.bot, sessionmaker), sessionmaker)
    push = emu.last(9001)
    assert "was absent from lesson 1" in push["text"]
    kinds = await emu.click(9001, push, "Explain the absence")
    await emu.click(9001, kinds[-1], "illness")
    replies = await emu.say(9001, "Температура, справка будет в среду")
    assert replies[0]["text"].startswith("Sent to the class teacher.")
    await drain(DeliveryWorker(harness.bot, sessionmaker), sessionmaker)
    note_push = emu.last(9002)
    assert "family explains the absence" in note_push["text"] and "Температура" in note_push["text"]
    waiting = await emu.say(9002, "/absences")
    assert any("A note from the family waits" in m["text"] for m in waiting)
    await emu.click(9002, note_push, "✅ Confirm")
    card = next(m for m in emu.bot_messages(9002) if m["message_id"] == note_push["message_id"])
    assert card["text"].endswith("✅ Confirmed: the reason is set.") and not card.get("reply_markup")
    session.expire_all()
    assert await session.scalar(select(Attendance.reason).where(Attendance.student_id == child)) == "illness"
    assert await session.scalar(select(AbsenceNote.status)) == "confirmed"
    await drain(DeliveryWorker(harness.bot, sessionmaker), sessionmaker)
    assert "accepted the explanation" in emu.last(9001)["text"]
    # the old push's button, pressed again once the day is settled, starts nothing
    before = len(emu.bot_messages(9001))
    await emu.wait_processed(await emu.press_text(9001, push, "Explain the absence"))
    assert emu.callback_answers[-1]["text"] == "The absence of 23 November already has a reason from the class teacher."
    assert [m["text"] for m in emu.bot_messages(9001)[before:]] == [emu.callback_answers[-1]["text"]]


async def test_the_lessons_of_a_day_lead_back_to_the_list(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch
) -> None:
    emu = harness.emu
    running_from(monkeypatch, MONDAY)
    child = await student_id(session, "P018")
    lesson = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    await attendance.save(session, await act_as(session, "S03"), lesson.id, {child: "absent"})
    await session.commit()
    await link(session, emu, "S03", 9012)
    listing = (await emu.say(9012, "/absences"))[0]
    by_lesson = await emu.click(9012, listing, "1: по урокам")
    screen = next(m for m in emu.bot_messages(9012) if m["message_id"] == listing["message_id"])
    assert by_lesson == [] and "1-й урок (Математика): болезнь" in [label for label, _d in emu.buttons(screen)]
    await emu.click(9012, screen, "◀ все пропуски")
    back = next(m for m in emu.bot_messages(9012) if m["message_id"] == listing["message_id"])
    assert back["text"] == listing["text"] and emu.buttons(back) == emu.buttons(listing)


async def test_days_past_the_edit_window_are_not_offered_for_a_reason(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch
) -> None:
    emu = harness.emu
    child = await student_id(session, "P018")
    old_day = MONDAY - timedelta(days=17)  # Friday 6 November: past the 14 days of the edit window
    running_from(monkeypatch, old_day)
    old = await lesson_of(session, "S03", old_day.date(), "MATH", "5А")
    await attendance.save(session, await act_as(session, "S03"), old.id, {child: "absent"})
    await session.commit()
    running_from(monkeypatch, MONDAY)
    recent = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    await attendance.save(session, await act_as(session, "S03"), recent.id, {child: "absent"})
    await session.commit()
    await link(session, emu, "S03", 9013)
    listing = (await emu.say(9013, "/absences"))[0]
    assert "пн, 23 ноября" in listing["text"] and "6 ноября" not in listing["text"], listing["text"]
    assert "Ещё 1 более ранний день без причины — за пределами срока правки" in listing["text"]
    assert {label.split(":")[0] for label, _d in emu.buttons(listing)} == {"1"}
