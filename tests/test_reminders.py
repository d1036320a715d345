"""Reminder jobs: they fire for an unmarked lesson and an unexplained absence, once each."""

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import jobs
from bot.delivery import DeliveryWorker
from models import Attendance, Notification
from services import attendance, tunables
from services.class_lists import lesson_students
from tests.conftest import BotHarness
from tests.support.bot import drain, link, running_from
from tests.support.journal import act_as, lesson_of, person

MONDAY_NOON = datetime(2026, 11, 23, 5, 10, tzinfo=UTC)  # 12:10 in Barnaul
MONDAY_AFTERNOON = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # 15:30


async def test_unmarked_lesson_and_unexplained_absence(
    demo: None, session: AsyncSession, sessionmaker, harness: BotHarness, monkeypatch
) -> None:
    emu = harness.emu
    running_from(monkeypatch, MONDAY_NOON)
    marked = await lesson_of(session, "S03", MONDAY_NOON.date(), "MATH", "5А")
    sid = (await lesson_students(session, marked))[0][0].id
    await attendance.save(session, await act_as(session, "S03"), marked.id, {sid: "absent"})
    await session.commit()
    await session.execute(update(Notification).values(status="sent"))
    await session.commit()
    await link(session, emu, "S03", 8001, "en")

    first = await jobs.tick(sessionmaker)
    again = await jobs.tick(sessionmaker)
    assert first["reminders"] > 0 and again["reminders"] == 0, "a second run sends nothing twice"
    keys = set(await session.scalars(select(Notification.dedup_key).where(Notification.category == "reminders")))
    assert f"remind:att:{marked.id}" not in keys, "a marked lesson is not reminded of"
    unmarked = await lesson_of(session, "S03", MONDAY_NOON.date(), "MATH", "7Б")  # 09:20–10:00, not marked
    assert f"remind:att:{unmarked.id}" in keys
    assert f"remind:content:{marked.id}" in keys, "no topic or homework 1.5 hours after the lesson"
    assert not any(k.startswith("remind:reasons:") for k in keys), "the tutor's round is in the afternoon"

    running_from(monkeypatch, MONDAY_AFTERNOON)
    await jobs.tick(sessionmaker)
    s03 = await person(session, "S03")
    reasons = await session.scalar(select(Notification).where(Notification.kind == "reminder_reasons"))
    assert reasons is not None and reasons.person_id == s03.id and reasons.payload["count"] == 1
    await drain(DeliveryWorker(harness.bot, sessionmaker), sessionmaker)
    texts = "\n".join(emu.texts(8001))
    assert "Attendance is not marked for lesson 2 in 7Б (Математика) today" in texts
    assert "5А: 1 absence(s) without a reason, 0 past 2 working days" in texts


async def test_threshold_alert_for_unexcused_absences(
    demo: None, session: AsyncSession, sessionmaker, monkeypatch
) -> None:
    running_from(monkeypatch, MONDAY_AFTERNOON)
    lesson = await lesson_of(session, "S03", MONDAY_AFTERNOON.date(), "MATH", "5А")
    sid = (await lesson_students(session, lesson))[0][0].id
    await attendance.save(session, await act_as(session, "S03"), lesson.id, {sid: "absent"})
    await session.commit()
    await session.execute(update(Attendance).values(reason="unexcused"))
    await session.commit()
    monkeypatch.setattr(tunables, "current", replace(tunables.current, unexcused_absence_alert=1))
    await jobs.tick(sessionmaker)
    alert = await session.scalar(select(Notification).where(Notification.kind == "alert_unexcused"))
    assert alert is not None and alert.payload["count"] == 1
    await jobs.tick(sessionmaker)
    assert (
        await session.scalar(
            select(func.count()).select_from(Notification).where(Notification.kind == "alert_unexcused")
        )
        == 1
    )
