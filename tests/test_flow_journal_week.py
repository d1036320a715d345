"""A teacher's week through the dispatcher: reaching a day, lessons not begun yet, a grade for an
absent student, and a period grade far from the average."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Grade, Homework, PeriodGrade
from services import attendance, grades
from services.class_lists import lesson_students
from tests.conftest import BotHarness
from tests.support.bot import link
from tests.support.journal import act_as, freeze, lesson_of
from tests.test_flow_journal import Taps

TODAY = date(2026, 11, 23)


def labels(message: dict) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_the_calendar_reaches_any_day_of_the_window_and_says_why_older_are_closed(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze(monkeypatch)
    emu = harness.emu
    await link(session, emu, "S03", 6001, "ru")
    taps = Taps(emu, 6001)
    today = (await emu.say(6001, "/today"))[0]
    calendar = await taps.tap(today, "📅")
    days = labels(calendar)
    # 14 days back from Monday 23 November: from Monday 9 November, weekends without lessons left out
    assert days[0] == "пн 9.11" and "• пн 23.11" in days and "вс 22.11" not in days and "сб 21.11" not in days
    assert "пн 2.11" not in days, "older than the window"
    assert "пт 4.12" in days, "the week ahead, to plan homework"
    assert "Дни до 9 ноября закрыты для изменений" in calendar["text"]
    old = await taps.tap(calendar, "вт 10.11")
    assert old["text"].startswith("Ваши уроки, вт, 10 ноября:")
    edge = await taps.tap(await taps.tap(old, "📅"), "пн 9.11")
    assert not any(label.startswith("◀") for label in labels(edge)), "nothing older to step to"
    assert "Дни до 9 ноября закрыты для изменений" in edge["text"]


async def test_a_lesson_not_begun_offers_only_topic_and_homework(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze(monkeypatch, datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # 08:00 in Barnaul: first bell at 08:30
    emu = harness.emu
    await link(session, emu, "S03", 6002, "ru")
    taps = Taps(emu, 6002)
    today = (await emu.say(6002, "/today"))[0]
    assert "ещё не начался" in today["text"]
    first_row = today["reply_markup"]["inline_keyboard"][1]
    assert [b["text"] for b in first_row] == ["Тема", "ДЗ"]
    card = await taps.tap(today, "1. 08:30 5А")
    assert [b["text"] for b in card["reply_markup"]["inline_keyboard"][0]] == ["Тема", "ДЗ"]
    assert "посещаемость и оценки откроются с его началом" in card["text"]


async def test_a_grade_for_an_absent_student_is_asked_again(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze(monkeypatch)
    emu = harness.emu
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    (absent, person), *_ = await lesson_students(session, lesson)
    await attendance.save(session, await act_as(session, "S03"), lesson.id, {absent.id: "absent"})
    await session.commit()
    await link(session, emu, "S03", 6003, "ru")
    taps = Taps(emu, 6003)
    students = await taps.tap((await emu.say(6003, "/today"))[0], "Оценки", after="1. 08:30 5А")
    short = f"{person.last_name} {person.first_name[:1]}. (н)"
    assert short in labels(students), "the absence shown beside the name"
    values = await taps.tap(students, short)
    assert "На уроке отмечено отсутствие." in values["text"]
    asked = await taps.tap(await taps.tap(values, "3"), "Контрольная работа")
    assert asked["text"].startswith(f"{person.full_name}: на этом уроке отмечено отсутствие.")
    back = await taps.tap(asked, "Нет")
    assert back["text"].startswith("Оценки: 5А")
    assert await session.scalar(select(func.count()).select_from(Grade)) == 0, "nothing saved without a yes"
    asked = await taps.tap(await taps.tap(await taps.tap(back, short), "3"), "Контрольная работа")
    saved = await taps.tap(asked, "Да, поставить 3")
    assert saved["text"].startswith("Сохранено: 3.")
    assert f"{short} — 3" in labels(saved)
    assert await session.scalar(select(Grade.value)) == 3
    # the service asks too: a press without the confirmation saves nothing
    with pytest.raises(grades.AbsentNeedsConfirmation):
        await grades.add(session, await act_as(session, "S03"), lesson.id, absent.id, 4)


async def test_a_period_grade_far_from_the_average_is_asked_again(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze(monkeypatch)
    emu = harness.emu
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    sid = (await lesson_students(session, lesson))[0][0].id
    teacher = await act_as(session, "S03")
    for value in (5, 4, 5, 4):  # 4,50: a «5» by the school's rounding
        await grades.add(session, teacher, lesson.id, sid, value)
        await session.commit()
    await link(session, emu, "S03", 6004, "ru")
    taps = Taps(emu, 6004)
    subjects = await taps.tap(await taps.tap((await emu.say(6004, "/period"))[0], "5А"), "2 четверть")
    students = await taps.tap(subjects, "Математика")
    standing = await taps.tap(students, labels(students)[0])
    assert "Средний балл: 4,50 → 5" in standing["text"]
    warned = await taps.tap(standing, "3")
    assert warned["text"].endswith(
        ": средний балл за период 4,50, что соответствует 5; "
        "2 четверть ещё идёт: заканчивается 28 декабря. Всё равно поставить 3?"
    )
    assert await session.scalar(select(func.count()).select_from(PeriodGrade)) == 0
    standing = await taps.tap(warned, "Нет")
    saved = await taps.tap(await taps.tap(standing, "3"), "Да, поставить 3")
    assert saved["text"].startswith("Сохранено: 3.")
    assert await session.scalar(select(PeriodGrade.value)) == "3"
    # a student without grades yet is asked about too
    empty = await taps.tap(saved, labels(saved)[1])
    warned = await taps.tap(empty, "5")
    assert "текущих оценок за период пока нет" in warned["text"]


async def test_a_period_grade_in_its_last_weeks_near_the_average_is_saved_at_once(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze(monkeypatch, datetime(2026, 12, 21, 3, 0, tzinfo=UTC))  # a week before the quarter ends
    emu = harness.emu
    lesson = await lesson_of(session, "S03", date(2026, 12, 21), "MATH", "5А")
    sid = (await lesson_students(session, lesson))[0][0].id
    teacher = await act_as(session, "S03")
    for value in (4, 5):
        await grades.add(session, teacher, lesson.id, sid, value)
        await session.commit()
    await link(session, emu, "S03", 6006, "ru")
    taps = Taps(emu, 6006)
    subjects = await taps.tap(await taps.tap((await emu.say(6006, "/period"))[0], "5А"), "2 четверть")
    students = await taps.tap(subjects, "Математика")
    standing = await taps.tap(students, labels(students)[0])
    saved = await taps.tap(standing, "4")
    assert saved["text"].startswith("Сохранено: 4.")
    # every step of /period has its way back
    subjects = await taps.tap(saved, "◀ предметы")
    assert subjects["text"] == "Выберите предмет."
    periods = await taps.tap(subjects, "◀ периоды")
    assert periods["text"] == "Выберите период."
    classes = await taps.tap(periods, "◀ классы")
    assert "5А" in labels(classes)


async def test_done_on_the_homework_screen_says_what_the_lesson_has(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze(monkeypatch)
    emu = harness.emu
    await link(session, emu, "S03", 6005, "ru")
    taps = Taps(emu, 6005)
    prompt = await taps.tap((await emu.say(6005, "/today"))[0], "ДЗ", after="1. 08:30 5А")
    done = await taps.tap(prompt, "Готово")
    assert done["text"] == "К уроку 23 ноября домашнее задание не задано."
    assert labels(done) == ["◀ урок"]
    await taps.tap(await taps.tap(done, "◀ урок"), "ДЗ")  # the way back leads on
    await emu.say(6005, "Стр. 12, № 4")
    await emu.say(6005, "№ 5 — по желанию")  # a second message is more of the task, not a new one
    given = emu.last(6005)
    assert given["text"] == "Теперь задание такое: Стр. 12, № 4\n№ 5 — по желанию"
    done = await taps.tap(given, "Готово")
    assert done["text"].startswith("Домашнее задание к уроку 23 ноября:\n1. Стр. 12, № 4\n№ 5 — по желанию — срок ")
    # typed instead of pressed, «Готово» ends it and is not the task
    await taps.tap(await taps.tap(done, "◀ урок"), "ДЗ")
    await emu.say(6005, "Прочитать § 3")
    replies = await emu.say(6005, "Готово")
    assert replies[-1]["text"].startswith("Домашнее задание к уроку 23 ноября:\n1. ")
    stored = [hw.text for hw in await session.scalars(select(Homework).order_by(Homework.id))]
    assert stored == ["Стр. 12, № 4\n№ 5 — по желанию", "Прочитать § 3"]
