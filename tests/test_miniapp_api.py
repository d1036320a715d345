"""The Mini App's API over HTTP: sign-in by initData signed in the test, and every change refused
to whoever the bot would refuse it, with nothing changed; across the roles of tests/test_authorization_matrix.py."""

import asyncio
import json
import os
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiohttp import ClientSession
from aiohttp.test_utils import TestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import make_dispatcher
from bot.miniapp import routes
from bot.miniapp.api import BURST, MAX_BODY, RATE, LocalRateLimiter, RateLimiter, RedisRateLimiter, make_limiter
from bot.miniapp.auth import HEADER
from bot.settings import Settings
from devtools import in_process
from devtools.emulator import Emulator
from devtools.in_process import InProcessSession
from models import (
    Attendance,
    AuditEntry,
    Grade,
    Homework,
    Lesson,
    Notification,
    Person,
    SchoolClass,
    Student,
    WorkType,
)
from services import attendance, class_grid, grades, homework, lessons
from tests.conftest import TOKEN
from tests.support.bot import link
from tests.support.journal import MONDAY, act_as, freeze, lesson_of, person, student_id
from tests.support.miniapp import client, init_data, linked, make_app, serving, signed
from tests.support.redis import redis_namespace
from tests.test_authorization_matrix import everything

TODAY = MONDAY.date()
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NOW = MONDAY + timedelta(hours=2)  # 12:00 in Barnaul: the morning's lessons have begun
TEACHER, SUBSTITUTE, TUTOR, PARENT, STUDENT, ADMIN, STRANGER = 101, 102, 103, 104, 105, 106, 107
NEWCOMER = 108
Client = TestClient  # type: ignore[type-arg]


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, NOW)


@pytest.fixture
async def school(demo: None, session: AsyncSession) -> dict[str, int]:
    """5А's Russian lesson of the day (S04's), the people of every role linked, the family consented."""
    lesson = await lesson_of(session, "S04", TODAY, "RUS", "5А")
    for ref, user in (("S04", TEACHER), ("S05", SUBSTITUTE), ("S03", TUTOR), ("R017", PARENT), ("P018", STUDENT)):
        await linked(session, ref, user)
    await linked(session, "S01", ADMIN, locale="en")
    for ref in ("R017", "P018"):
        await session.execute(
            update(Person).where(Person.id == (await person(session, ref)).id).values(consent_at=MONDAY)
        )
    await session.commit()
    kids = [
        sid
        for (sid,) in await session.execute(
            select(Student.id).join(Person, Person.id == Student.person_id).where(Student.class_id == lesson.class_id)
        )
    ]
    return {
        "lesson": lesson.id,
        "class": lesson.class_id,
        "subject": lesson.subject_id,
        "child": await student_id(session, "P018"),
        "kids": len(kids),
    }


async def get(http: Client, path: str, user: int, **kwargs: Any) -> tuple[int, Any]:
    response = await http.get(f"/app/api/{path}", headers=signed(user, **kwargs))
    return response.status, await response.json()


async def post(http: Client, path: str, user: int, body: Any, **kwargs: Any) -> tuple[int, Any]:
    response = await http.post(f"/app/api/{path}", json=body, headers=signed(user, **kwargs))
    return response.status, await response.json()


def add(lesson: int, student: int, value: int, **extra: Any) -> dict[str, Any]:
    return {"op": "grade_add", "lesson_id": lesson, "student_id": student, "value": value, **extra}


async def test_a_teacher_saves_a_column_of_grades_with_their_pushes(
    school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    async with client(sessionmaker) as http:
        status, me = await get(http, "me", TEACHER)
        assert status == 200 and me["screens"] == ["journal", "klass"] and me["locale"] == "ru"
        # The first screen comes with the sign-in: the choices and the default class's grid.
        assert me["grid"]["class_id"] == me["choices"]["default"]["class_id"] and "strings" not in me
        # The words come apart, the same for everyone, kept by the browser under the page's version.
        page = await (await http.get("/app/")).text()
        version = page.split('name="words" content="')[1].split('"')[0]
        words = await http.get(f"/app/strings/ru.json?v={version}")
        assert "immutable" in words.headers["Cache-Control"]
        assert (await words.json())["save_n"] == "Сохранить изменения: {n}"
        stale = await http.get("/app/strings/ru.json?v=000000000000")
        assert stale.headers["Cache-Control"] == "no-cache"
        status, choices = await get(http, "grid/choices", TEACHER)
        assert status == 200
        pairs = {(c["class_name"], c["subject_name"]) for c in choices["choices"]}
        assert ("5А", "Русский язык") in pairs and ("5А", "Математика") not in pairs  # S03's subject
        assert choices["default"] in choices["choices"]
        status, grid = await get(http, f"grid?class_id={school['class']}&subject_id={school['subject']}", TEACHER)
        assert status == 200
        column = next(c for c in grid["columns"] if c["lesson_id"] == school["lesson"])
        assert column["editable"] and column["gradable"]
        students = [row["student_id"] for row in grid["rows"] if school["lesson"] not in row["outside"]]
        assert len(students) == school["kids"]
        changes = [add(school["lesson"], sid, 5 - n % 3) for n, sid in enumerate(students)]
        status, saved = await post(http, "save", TEACHER, {"changes": changes})
        assert status == 200, saved
    found = dict(
        (await session.execute(select(Grade.student_id, Grade.value).where(Grade.lesson_id == school["lesson"]))).all()
    )
    assert found == {sid: 5 - n % 3 for n, sid in enumerate(students)}
    # The outbox holds a push for each linked family member who consented (the child and her
    # mother here), due after the grace period, as the bot's grades make.
    pushes = list(await session.scalars(select(Notification).where(Notification.category == "grades")))
    assert {(p.person_id, p.payload["student_id"]) for p in pushes} == {
        ((await person(session, "R017")).id, school["child"]),
        ((await person(session, "P018")).id, school["child"]),
    }
    assert all(p.due_at > NOW and p.status == "pending" for p in pushes)


async def refused_with_nothing_changed(
    session: AsyncSession, http: Client, user: int, body: Any, status: int, *, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    before = await everything(session)
    response = await http.post("/app/api/save", json=body, headers=signed(user) if headers is None else headers)
    answer = await response.json()
    assert response.status == status, answer
    assert answer["error"]
    await session.commit()  # a new transaction sees what the server's committed (nothing, here)
    assert await everything(session) == before
    return answer


async def test_sign_in_is_refused_when_forged_stale_foreign_or_from_a_group(
    school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    body = {"changes": [add(school["lesson"], school["child"], 5)]}
    genuine = init_data(TEACHER)
    # Another user's id put in the signed data: the signature no longer holds.
    forged = genuine.replace("%22id%22%3A101", "%22id%22%3A105")
    assert forged != genuine
    cases = {
        "forged": {HEADER: forged},
        "signed for another bot": signed(TEACHER, token="654321:ANOTHER-bot-token-abcdefghijklmnop"),
        "stale": signed(TEACHER, signed_at=NOW - timedelta(hours=13)),
        "from the future": signed(TEACHER, signed_at=NOW + timedelta(hours=1)),
        "missing": {},
        "garbage": {HEADER: "hash=0&user=%7B%7D"},
    }
    async with client(sessionmaker) as http:
        said = {}
        for name, headers in cases.items():
            answer = await refused_with_nothing_changed(session, http, TEACHER, body, 401, headers=headers)
            assert answer["code"] == "sign_in", name
            said[name] = answer["error"]
        # Signed "in the future" is a clock out of step, not a page open too long: its own words.
        assert said["from the future"] != said["stale"] and "часы" in said["from the future"]
        assert said["stale"].startswith("Страница открыта слишком давно")
        group = await refused_with_nothing_changed(
            session, http, TEACHER, body, 403, headers=signed(TEACHER, chat_type="supergroup")
        )
        assert "private messages" in group["error"] or "личных" in group["error"]
        # Someone who never linked: told how to link, in Russian (the default).
        stranger = await refused_with_nothing_changed(session, http, STRANGER, body, 403)
        assert stranger["code"] == "not_linked" and "/start" in stranger["error"]
        # An initData a few hours old is still good (the Mini App stays open through a school day).
        status, _me = await get(http, "me", TEACHER, signed_at=NOW - timedelta(hours=5))
        assert status == 200


async def test_the_body_names_no_one_and_nothing_outside_the_rules(
    school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    lesson, child = school["lesson"], school["child"]
    other_class = await student_id(session, "P035")  # 7Б
    async with client(sessionmaker) as http:
        # Who is asking comes from the signed initData only: any other id in the body is refused.
        for extra in ({"telegram_user_id": PARENT}, {"user_id": ADMIN}, {"person_id": 1}):
            bad = await refused_with_nothing_changed(
                session, http, TEACHER, {"changes": [add(lesson, child, 5)], **extra}, 400
            )
            assert bad["code"] == "malformed"
            await refused_with_nothing_changed(
                session, http, TEACHER, {"changes": [add(lesson, child, 5, **extra)]}, 400
            )
        # Any whole number off the scale is told the scale, however far off it is.
        for value in (0, 1, 6, 7, -3, 5000, 2**40):
            scale = await refused_with_nothing_changed(
                session, http, TEACHER, {"changes": [add(lesson, child, value)]}, 422
            )
            assert scale["error"] == "Оценка — целое число от 2 до 5.", value
        await refused_with_nothing_changed(session, http, TEACHER, {"changes": [add(lesson, 2**40, 5)]}, 400)
        await refused_with_nothing_changed(session, http, TEACHER, {"changes": [add(lesson, child, "5")]}, 400)
        mark = {"op": "mark", "lesson_id": lesson, "student_id": child, "mark": "excused"}
        await refused_with_nothing_changed(session, http, TEACHER, {"changes": [mark]}, 422)  # reasons are the tutor's
        stranger = await refused_with_nothing_changed(
            session, http, TEACHER, {"changes": [add(lesson, other_class, 5)]}, 403
        )
        assert stranger["error"] == "Этого ученика нет на этом уроке."
        # All or nothing: a good grade before a bad one is not saved either; the page is told which.
        batch = {"changes": [add(lesson, child, 5), add(lesson, child, 9)]}
        answer = await refused_with_nothing_changed(session, http, TEACHER, batch, 422)
        assert answer["index"] == 1
        too_big = {"changes": [add(lesson, child, 5, comment="x" * 4000)] * 20}
        await refused_with_nothing_changed(session, http, TEACHER, too_big, 413)
        assert len(str(too_big)) > MAX_BODY


async def test_only_the_lessons_teacher_or_substitute_writes_it_across_the_roles(
    school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    lesson, child = school["lesson"], school["child"]
    change = {"changes": [add(lesson, child, 4)]}
    maths = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    async with client(sessionmaker) as http:
        # The class teacher (who teaches mathematics there), the family and an administrator (in
        # English) read but do not write S04's lesson; S04 does not write S03's.
        for user in (TUTOR, PARENT, STUDENT, ADMIN, SUBSTITUTE):
            await refused_with_nothing_changed(session, http, user, change, 403)
        admin = await refused_with_nothing_changed(session, http, ADMIN, change, 403)
        assert admin["error"] == "Only the teacher of this lesson can change its journal."
        await refused_with_nothing_changed(session, http, TEACHER, {"changes": [add(maths.id, child, 4)]}, 403)
        # Given to a substitute, the lesson is his to write, and no longer its own teacher's.
        await lessons.substitute(session, await act_as(session, "S01"), lesson, (await person(session, "S05")).id)
        await session.commit()
        await refused_with_nothing_changed(session, http, TEACHER, change, 403)
        status, answer = await post(http, "save", SUBSTITUTE, change)
        assert status == 200, answer
        status, choices = await get(http, "grid/choices", SUBSTITUTE)
        assert ("5А", "Русский язык") in {(c["class_name"], c["subject_name"]) for c in choices["choices"]}
        # Reading: the family has no journal grid, the grid of another class's subject is not a teacher's.
        for user in (PARENT, STUDENT):
            status, _ = await get(http, "grid/choices", user)
            assert status == 403
        status, _ = await get(http, f"grid?class_id={maths.class_id}&subject_id={maths.subject_id}", TEACHER)
        assert status == 403
        status, grid = await get(http, f"grid?class_id={school['class']}&subject_id={school['subject']}", TUTOR)
        assert status == 200 and not any(c["editable"] for c in grid["columns"])
    saved = list(await session.scalars(select(Grade).where(Grade.lesson_id == lesson)))
    assert [(g.student_id, g.value, g.given_by) for g in saved] == [(child, 4, (await person(session, "S05")).id)]


async def test_attendance_topic_homework_and_corrections_save_through_the_services(
    school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    lesson, child = school["lesson"], school["child"]
    other = await student_id(session, "P019")
    teacher = await act_as(session, "S04")
    await attendance.save(session, teacher, lesson, {other: "late"})
    given = await grades.add(session, teacher, lesson, other, 3)
    await session.commit()
    changes = [
        {"op": "mark", "lesson_id": lesson, "student_id": child, "mark": "absent"},
        add(lesson, child, 5),  # absent: refused until confirmed
    ]
    async with client(sessionmaker) as http:
        answer = await refused_with_nothing_changed(session, http, TEACHER, {"changes": changes}, 409)
        assert answer["code"] == "confirm_absent" and answer["index"] == 1
        changes[1]["confirm_absent"] = True
        changes += [
            {"op": "grade_change", "grade_id": given.id, "value": 4, "comment": "Исправил"},
            {"op": "topic", "lesson_id": lesson, "text": "Правописание корней"},
            {"op": "homework", "lesson_id": lesson, "text": "Упр. 12", "due_on": "2026-11-25"},
        ]
        status, saved = await post(http, "save", TEACHER, {"changes": changes})
        assert status == 200, saved
    await session.commit()
    marks = dict(
        (
            await session.execute(select(Attendance.student_id, Attendance.mark).where(Attendance.lesson_id == lesson))
        ).all()
    )
    assert marks == {child: "absent", other: "late"}  # the other mark is kept, not reset to present
    assert await session.scalar(select(Grade.value).where(Grade.id == given.id)) == 4
    assert await session.scalar(select(Lesson.topic).where(Lesson.id == lesson)) == "Правописание корней"
    task = await session.scalar(select(Homework).where(Homework.lesson_id == lesson))
    assert task is not None and task.text == "Упр. 12" and str(task.due_on) == "2026-11-25"


async def test_a_family_reads_only_its_own_child_and_the_tutor_gives_reasons(
    school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    lesson, child = school["lesson"], school["child"]
    classmate = await student_id(session, "P019")
    teacher = await act_as(session, "S04")
    await attendance.save(session, teacher, lesson, {child: "absent", classmate: "absent"})
    await grades.add(session, teacher, lesson, classmate, 2, absent_confirmed=True)
    await grades.add(session, teacher, lesson, child, 5, comment="Молодец", absent_confirmed=True)
    await session.commit()
    async with client(sessionmaker) as http:
        for user in (PARENT, STUDENT):
            status, book = await get(http, "book", user)
            assert status == 200 and book["child"]["student_id"] == child
            assert [(s["subject"], [g["value"] for g in s["grades"]]) for s in book["subjects"]] == [
                ("Русский язык", [5])
            ]
            assert book["subjects"][0]["grades"][0]["comment"] == "Молодец"
            status, _other = await get(http, f"book?student_id={classmate}", user)
            assert status == 403
        for user in (TEACHER, ADMIN):
            status, _ = await get(http, "book", user)
            assert status == 403
        # The class teacher of 5А (S03) sees both absences and gives a reason; the subject teacher cannot.
        status, days = await get(http, "absences", TUTOR)
        assert status == 200 and {d["student_id"] for d in days["days"]} == {child, classmate}
        reason = {"student_id": child, "on_date": TODAY.isoformat(), "reason": "illness"}
        status, _refused = await post(http, "reason", TEACHER, {**reason, "class_id": 1})
        assert status == 400
        status, _refused = await post(http, "reason", TEACHER, reason)
        assert status == 403
        status, saved = await post(http, "reason", TUTOR, reason)
        assert status == 200 and saved == {"saved": 1}
        status, grades_now = await get(http, "class-grades?span=week", TUTOR)
        assert status == 200
        # Every student of the class is listed, those without grades too.
        assert [s["subject"] for s in grades_now["subjects"]] == ["Русский язык"]
        sheet = {st["student_id"]: st["values"] for st in grades_now["subjects"][0]["students"]}
        assert len(sheet) == school["kids"] and sheet[classmate] == [2] and sheet[child] == [5]
        assert [v for v in sheet.values() if v] == [[2], [5]]
        # The absences name students as the grid does: surname and first name, no patronymic.
        pupil = await person(session, "P018")
        named = {d["student_id"]: d["student_name"] for d in days["days"]}
        assert pupil.middle_name and named[child] == f"{pupil.last_name} {pupil.first_name}"
    reason_of = await session.scalar(select(Attendance.reason).where(Attendance.student_id == child))
    assert reason_of == "illness"


async def test_the_page_is_served_small(school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with client(sessionmaker) as http:
        page = await http.get("/app/", headers={"Accept-Encoding": "gzip"})
        assert page.status == 200 and "frame-ancestors" in page.headers["Content-Security-Policy"]
        html = await page.text()
        total = len(gzip_of(html.encode()))
        for name in ("app.js", "app.css"):
            link = next(part.split('"')[0] for part in html.split(f'"{name}?v=')[1:])
            asset = await http.get(f"/app/{name}?v={link}", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
            assert asset.status == 200 and asset.headers["Content-Encoding"] == "gzip"
            total += len(await asset.read())
        assert total < 150 * 1024


def gzip_of(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, 9)


async def test_today_and_grades_open_the_mini_app_and_it_becomes_the_menu_button(
    school: dict[str, int], session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    url = "https://diary.example.ru/app/"
    emulator = Emulator()
    bot = Bot(TOKEN, session=InProcessSession(emulator))
    dp = make_dispatcher(sessionmaker, settings=Settings(miniapp_url=url))
    feeding = await in_process.start(emulator, dp, bot)
    try:
        for user, command, label in ((TEACHER, "/today", "Журнал таблицей"), (PARENT, "/grades", "Открыть дневник")):
            sent = await emulator.say(user, command)
            buttons = [b for m in sent for row in (m.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
            assert {"text": label, "web_app": {"url": url}} in buttons
            assert emulator.menu_buttons[user] == {"type": "web_app", "text": "Дневник", "web_app": {"url": url}}
        await emulator.say(STRANGER, "/today")  # not linked: no menu button for them
        assert STRANGER not in emulator.menu_buttons
        # Linking with a code gives the menu button at once, before any /today or /grades.
        await link(session, emulator, "R019", NEWCOMER)
        assert emulator.menu_buttons[NEWCOMER] == {"type": "web_app", "text": "Дневник", "web_app": {"url": url}}
    finally:
        await emulator.close()
        await asyncio.wait_for(feeding, 5)
        await dp.emit_shutdown(bot=bot, bots=[bot], dispatcher=dp)


async def test_a_page_refuses_a_role_in_the_pages_words_not_the_bots(
    school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    grid = f"grid?class_id={school['class']}&subject_id={school['subject']}"
    async with client(sessionmaker) as http:
        for user in (STUDENT, PARENT):
            for path in ("grid/choices", grid):
                status, answer = await get(http, path, user)
                assert status == 403 and answer["error"].startswith("Журнал класса открыт учителям"), (user, path)
            for path in ("absences", "class-grades?span=week"):
                status, answer = await get(http, path, user)
                assert status == 403 and "классным руководителям" in answer["error"], (user, path)
        status, answer = await get(http, "book", TEACHER)
        assert status == 403 and answer["error"] == "Дневник успеваемости открыт ученикам и их родителям."
        status, answer = await get(http, "book", ADMIN)  # in English
        assert answer["error"] == "The gradebook is open to students and their parents."
        for user, path in ((STUDENT, "grid/choices"), (TEACHER, "book"), (STUDENT, "absences")):
            status, answer = await get(http, path, user)
            assert "команд" not in answer["error"]  # the bot's "this command is not for your role"


async def test_kinds_of_work_come_in_the_readers_language(
    school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    teacher = await act_as(session, "S04")
    test = await session.scalar(select(WorkType).where(WorkType.code == "test"))
    assert test is not None and test.name == "Test"
    await grades.add(session, teacher, school["lesson"], school["child"], 4, test.id)
    await session.commit()
    grid = f"grid?class_id={school['class']}&subject_id={school['subject']}"
    async with client(sessionmaker) as http:
        _status, found = await get(http, grid, TEACHER)
        names = {k["name"] for k in found["work_types"]}
        assert {"Устный ответ", "Контрольная работа"} <= names and "Test" not in names
        _status, found = await get(http, grid, ADMIN)  # the administrator reads in English
        assert "Test" in {k["name"] for k in found["work_types"]}
        _status, book = await get(http, "book", PARENT)
        assert book["subjects"][0]["grades"][0]["work_type"] == "Контрольная работа"


async def test_a_class_that_takes_no_grades_shows_none(
    demo: None, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    """1А (the first grade) takes no grades: a grade found there anyway (written before grading was
    turned off, say) is shown neither to the family, nor to the class teacher, nor in the grid."""
    lesson = await lesson_of(session, "S08", TODAY, "RUS", "1А")
    school_class = await session.get(SchoolClass, lesson.class_id)
    assert school_class is not None and not school_class.grading
    pupil = await student_id(session, "P001")
    session.add(
        Grade(
            student_id=pupil,
            lesson_id=lesson.id,
            subject_id=lesson.subject_id,
            on_date=TODAY,
            value=5,
            given_by=lesson.teacher_id,
        )
    )
    await linked(session, "P001", STUDENT)
    await linked(session, "S08", TUTOR)
    await session.execute(
        update(Person).where(Person.id == (await person(session, "P001")).id).values(consent_at=MONDAY)
    )
    await session.commit()
    async with client(sessionmaker) as http:
        status, book = await get(http, "book", STUDENT)
        assert status == 200 and book["grading"] is False and book["subjects"] == []
        assert book["calendar"]  # attendance and homework are still there
        status, sheet = await get(http, "class-grades?span=period", TUTOR)
        assert status == 200 and sheet["grading"] is False and sheet["subjects"] == []
        status, grid = await get(http, f"grid?class_id={lesson.class_id}&subject_id={lesson.subject_id}", TUTOR)
        assert status == 200 and grid["grading"] is False
        assert all(row["grades"] == {} for row in grid["rows"])
        assert not any(c["gradable"] for c in grid["columns"])


async def test_near_a_terms_start_the_grid_reaches_the_days_still_open(
    demo: None, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Friday 6 November, the second day of the second term, the journal is open from 23 October
    (14 days): the grid starts there, not on 5 November, and the first term can be looked back at."""
    freeze(monkeypatch, datetime(2026, 11, 6, 5, 0, tzinfo=MONDAY.tzinfo))  # 12:00 in Barnaul
    await linked(session, "S04", TEACHER)
    async with client(sessionmaker) as http:
        _status, choices = await get(http, "grid/choices", TEACHER)
        rus = next(c for c in choices["choices"] if (c["class_name"], c["subject_name"]) == ("5А", "Русский язык"))
        path = f"grid?class_id={rus['class_id']}&subject_id={rus['subject_id']}"
        status, grid = await get(http, path, TEACHER)
        assert status == 200 and grid["period"] == "2 четверть" and grid["first_editable"] == "2026-10-23"
        columns = {c["on_date"]: c for c in grid["columns"]}
        assert min(columns) == "2026-10-23" and columns["2026-10-23"]["editable"]
        kid = grid["rows"][0]["student_id"]
        status, saved = await post(
            http, "save", TEACHER, {"changes": [add(columns["2026-10-23"]["lesson_id"], kid, 4)]}
        )
        assert status == 200, saved
        # The first term, looked back at: all its lessons, read-only but for the days still open.
        terms = {t["name"]: t["period_id"] for t in grid["terms"]}
        assert list(terms) == ["1 четверть", "2 четверть"]
        status, first = await get(http, f"{path}&period_id={terms['1 четверть']}", TEACHER)
        assert status == 200 and first["period"] == "1 четверть"
        assert first["columns"][0]["on_date"] == "2026-09-01" and first["columns"][-1]["on_date"] == "2026-10-23"
        assert [c["on_date"] for c in first["columns"] if c["editable"]] == ["2026-10-23"]
        shut = next(c for c in first["columns"] if c["on_date"] == "2026-10-22")
        answer = await refused_with_nothing_changed(
            session, http, TEACHER, {"changes": [add(shut["lesson_id"], kid, 4)]}, 403
        )
        assert "закрыт" in answer["error"]
        status, _ = await get(http, f"{path}&period_id=999999", TEACHER)
        assert status == 404
    assert await session.scalar(select(Grade.value).where(Grade.lesson_id == columns["2026-10-23"]["lesson_id"])) == 4


async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    """A body without a Content-Length, sent in parts (aiohttp sends an async iterable chunked);
    the pause only lets each part go out on its own, nothing waits on it."""
    for start in range(0, len(data), size):
        yield data[start : start + size]
        await asyncio.sleep(0.02)


async def test_a_body_sent_in_chunks_is_read_to_its_end(
    school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    body = json.dumps({"changes": [add(school["lesson"], school["child"], 5, comment="Молодец")]}).encode()
    big = json.dumps({"changes": [add(school["lesson"], school["child"], 5, comment="x" * 4000)] * 20}).encode()
    assert len(big) > MAX_BODY
    async with client(sessionmaker) as http:
        response = await http.post("/app/api/save", data=chunks(body, len(body) // 2 + 1), headers=signed(TEACHER))
        assert response.status == 200, await response.text()
        for size in (1000, 40_000, MAX_BODY + 1):
            response = await http.post("/app/api/save", data=chunks(big, size), headers=signed(TEACHER))
            assert response.status == 413, size
            assert (await response.json())["code"] == "too_large"
    given = list(await session.scalars(select(Grade.comment).where(Grade.lesson_id == school["lesson"])))
    assert given == ["Молодец"]


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    async with redis_namespace("diary-test-miniapp-rate") as prefix:
        yield prefix


@pytest.mark.parametrize("kind", ["redis", "memory", "redis down"])
async def test_the_rate_is_limited_per_person_across_processes_and_per_address_without_sign_in(
    kind: str, school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], redis_prefix: str
) -> None:
    # Bursts of 5 that refill only once in 1000 s: the counts do not depend on how fast calls go.
    slow: dict[str, Any] = {"rate": 0.001, "burst": 5}
    limiters: list[RateLimiter]
    if kind == "memory":  # one process: both servers are the same limiter
        one = LocalRateLimiter(**slow)
        limiters = [one, one]
    else:  # two processes, each with its own Redis client; without Redis each falls back to its own
        url = REDIS_URL if kind == "redis" else "redis://127.0.0.1:1/0"
        limiters = [RedisRateLimiter(url, redis_prefix, **slow) for _ in range(2)]
    async with (
        client(sessionmaker, limiter=limiters[0]) as first,
        client(sessionmaker, limiter=limiters[1]) as second,
    ):
        statuses = [(await get(first if n % 2 else second, "me", PARENT))[0] for n in range(8)]
        if kind == "redis down":  # each process counts its own: five each
            assert statuses == [200] * 8
            statuses = [(await get(first, "me", PARENT))[0] for _ in range(2)]
            assert statuses == [200, 429]
        else:
            assert statuses == [200] * 5 + [429] * 3
        assert (await get(first, "me", STUDENT))[0] == 200  # someone else is not held up
        garbage = {HEADER: "hash=0&user=%7B%7D"}
        refused = [(await first.get("/app/api/me", headers=garbage)).status for _ in range(6)]
        assert refused == [401] * 5 + [429]
        # Behind the proxy (these calls come from loopback) each caller the proxy names has a bucket of
        # their own: one script's junk does not hold up everyone else whose sign-in ran out.
        via_proxy = {**garbage, "X-Forwarded-For": "203.0.113.7"}
        assert [(await first.get("/app/api/me", headers=via_proxy)).status for _ in range(6)] == [401] * 5 + [429]
    # The figures in use: 10 calls a second, bursts of 40, with Redis or without.
    for made in (make_limiter(TOKEN, None), make_limiter(TOKEN, REDIS_URL)):
        assert isinstance(made, (LocalRateLimiter, RedisRateLimiter)) and (made.rate, made.burst) == (RATE, BURST)
        assert (RATE, BURST) == (10, 40)
        await made.close()


def test_the_caller_behind_the_proxy_is_the_address_it_names() -> None:
    from aiohttp.test_utils import make_mocked_request

    from bot.miniapp.api import client_address

    def call(peer: str, forwarded: str | None) -> str:
        transport = type("T", (), {"get_extra_info": lambda self, name, default=None: (peer, 1)})()
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        return client_address(make_mocked_request("GET", "/app/api/me", headers=headers, transport=transport))

    assert call("127.0.0.1", "198.51.100.1, 203.0.113.7") == "203.0.113.7"  # the hop the proxy added
    assert call("10.0.0.5", "203.0.113.7") == "203.0.113.7"
    assert call("127.0.0.1", None) == "127.0.0.1"
    assert call("93.184.216.34", "198.51.100.1") == "93.184.216.34", "a caller's own header is not believed"


async def test_a_topic_is_cleared_and_homework_removed_by_its_teacher_only(
    school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    lesson = school["lesson"]
    teacher = await act_as(session, "S04")
    await homework.set_topic(session, teacher, lesson, "Правописание корней")
    task = await homework.post(session, teacher, lesson, "Упр. 12")
    friday = await lesson_of(session, "S04", TODAY - timedelta(days=3), "RUS", "5А")
    elsewhere = await homework.post(session, teacher, friday.id, "Упр. 7")
    await session.commit()
    clear = {"op": "topic", "lesson_id": lesson, "text": ""}
    remove = {"op": "homework_delete", "lesson_id": lesson, "homework_id": task.id}
    async with client(sessionmaker) as http:
        # Another lesson's homework named with this lesson is refused, whatever the change.
        for wrong in (
            {"op": "homework_delete", "lesson_id": lesson, "homework_id": elsewhere.id},
            {"op": "homework", "lesson_id": lesson, "homework_id": elsewhere.id, "text": "Другое"},
        ):
            answer = await refused_with_nothing_changed(session, http, TEACHER, {"changes": [wrong]}, 404)
            assert answer["error"] == ("Это задание относится к другому уроку. Обновите страницу.")
        for user in (TUTOR, ADMIN, PARENT):  # only the lesson's teacher
            await refused_with_nothing_changed(session, http, user, {"changes": [clear]}, 403)
            await refused_with_nothing_changed(session, http, user, {"changes": [remove]}, 403)
        status, saved = await post(http, "save", TEACHER, {"changes": [clear, remove]})
        assert status == 200, saved
        _status, grid = await get(http, f"grid?class_id={school['class']}&subject_id={school['subject']}", TEACHER)
        column = next(c for c in grid["columns"] if c["lesson_id"] == lesson)
        assert column["topic"] is None and column["homework"] is None
    await session.commit()
    assert await session.scalar(select(Lesson.topic).where(Lesson.id == lesson)) is None
    removed = dict((await session.execute(select(Homework.id, Homework.deleted_at))).all())
    assert removed[task.id] is not None and removed[elsewhere.id] is None
    # The clearing is audited as the topic's writing is, before and after.
    entry = await session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "topic_set", AuditEntry.entity_id == lesson)
        .order_by(AuditEntry.id.desc())
    )
    assert entry is not None and entry.before == {"topic": "Правописание корней"} and entry.after == {"topic": None}


async def test_dates_out_of_range_are_refused_as_the_bot_refuses_them(
    school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    lesson = school["lesson"]
    new = {"op": "homework", "lesson_id": lesson, "text": "Упр. 1"}
    async with client(sessionmaker) as http:
        # The due dates the page offers are the bot's: the next four lessons of the subject.
        status, offered = await get(http, f"due?lesson_id={lesson}", TEACHER)
        assert status == 200 and offered["dates"] == ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]
        status, _ = await get(http, f"due?lesson_id={lesson}", TUTOR)
        assert status == 403
        far = await refused_with_nothing_changed(
            session, http, TEACHER, {"changes": [{**new, "due_on": "2099-01-01"}]}, 422
        )
        assert far["error"] == ("Срок домашнего задания — один из следующих уроков: не позже 27 ноября.")
        await refused_with_nothing_changed(session, http, TEACHER, {"changes": [{**new, "due_on": "2026-11-20"}]}, 422)
        status, saved = await post(http, "save", TEACHER, {"changes": [{**new, "due_on": "2026-11-27"}]})
        assert status == 200, saved
        # A family pages through the school year's months, a month either side; no further.
        for month in ("1900-01-01", "2026-07-01", "2027-07-01", "9999-12-01"):
            status, answer = await get(http, f"book?month={month}", PARENT)
            assert status == 422 and answer["code"] == "refused", month
            assert answer["error"] == ("Дневник показывает месяцы с 1 августа по 30 июня 2027.")
        for month in ("2026-08-01", "2026-11-01", "2027-06-01"):
            status, book = await get(http, f"book?month={month}", PARENT)
            assert status == 200 and book["month"] == month
        assert (book["month_min"], book["month_max"]) == ("2026-08-01", "2027-06-01")
    due = await session.scalar(select(Homework.due_on).where(Homework.lesson_id == lesson))
    assert due == date(2026, 11, 27)


async def test_a_family_opens_its_own_childs_attachment_only(
    school: dict[str, int],
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = Emulator()
    stored = emulator._store(b"%PDF-1.4 the task", "task.pdf")
    teacher = await act_as(session, "S04")
    task = await homework.post(
        session,
        teacher,
        school["lesson"],
        "Упр. 12",
        attachments=[homework.Attachment("document", stored.file_id, "task.pdf")],
    )
    classmate = await student_id(session, "P019")
    await session.commit()
    async with client(sessionmaker, emulator) as http:
        _status, book = await get(http, "book", PARENT)
        [item] = [h for h in book["homework"] if h["homework_id"] == task.id]
        key = item["files"][0]["key"]

        def address(user: int, child: int = school["child"], key: str = key) -> str:
            return f"/app/api/file?student_id={child}&homework_id={task.id}&index=0&key={key}&user={user}"

        for user in (PARENT, STUDENT):  # the mother and the child herself
            response = await http.get(address(user), headers=signed(user))
            assert response.status == 200 and await response.read() == b"%PDF-1.4 the task"
            # Kept by this person's browser only, under an address naming the file and the reader.
            assert response.headers["Cache-Control"] == "private, max-age=86400"
        refusals = {
            "a classmate's": (address(PARENT, child=classmate), PARENT, 403),
            "another account's address": (address(STUDENT), PARENT, 403),
            "a teacher": (address(TEACHER), TEACHER, 403),
            "another file's key": (address(PARENT, key="0" * 16), PARENT, 404),
        }
        for name, (path, user, status) in refusals.items():
            response = await http.get(path, headers=signed(user))
            assert response.status == status, name
        # Over what may be fetched from Telegram: refused, saying the limit.
        monkeypatch.setattr(routes, "MAX_FILE", 8)
        response = await http.get(address(PARENT), headers=signed(PARENT))
        answer = await response.json()
        assert response.status == 422 and answer["error"] == (
            "Этот файл слишком большой, чтобы открыть его здесь: больше 0 МБ."
        )


async def test_reasons_and_first_grade_grades_are_refused_over_the_api(
    school: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    lesson, child = school["lesson"], school["child"]
    await attendance.save(session, await act_as(session, "S04"), lesson, {child: "absent"})
    first_grade = await lesson_of(session, "S08", TODAY, "RUS", "1А")
    pupil = await student_id(session, "P001")
    await linked(session, "S08", NEWCOMER)
    reason = {"student_id": child, "on_date": TODAY.isoformat(), "reason": "illness"}
    async with client(sessionmaker) as http:
        for user in (PARENT, STUDENT):  # told whose screen it is, in the page's words
            status, answer = await post(http, "reason", user, reason)
            assert status == 403 and "классным руководителям" in answer["error"], user
        status, answer = await post(http, "reason", ADMIN, reason)  # an administrator, not 5А's class teacher
        assert (
            status == 403 and answer["error"] == "Only the class teacher of this student's class gives absence reasons."
        )
        graded = await refused_with_nothing_changed(
            session, http, NEWCOMER, {"changes": [add(first_grade.id, pupil, 5)]}, 403
        )
        assert graded["error"].startswith("В 1А отметки не ставятся")
    assert await session.scalar(select(Attendance.reason).where(Attendance.student_id == child)) is None


async def test_a_call_whose_page_went_away_ends_its_transaction_and_stopping_waits_for_it(
    school: dict[str, int],
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page closed mid-save (or a browser closed at a test's end) must not cut the transaction
    between two statements, and a server stopping waits for it: aiohttp's test server cancelled
    such a call as its client went, which once left SQLite locked for the next test's cleanup."""
    entered, release, stop = asyncio.Event(), asyncio.Event(), asyncio.Event()
    writing = class_grid.write_topic

    async def held(*args: Any, **kwargs: Any) -> None:
        entered.set()
        await release.wait()
        await writing(*args, **kwargs)

    monkeypatch.setattr(class_grid, "write_topic", held)
    urls: list[str] = []

    async def server() -> None:
        # A server that cancels a call as its client goes: only the call's own task keeps its
        # transaction whole, and only the app's drain makes stopping wait for it.
        async with serving(make_app(sessionmaker), cancel_on_disconnect=True) as url:
            urls.append(url)
            await stop.wait()

    running = asyncio.create_task(server())
    while not urls:
        await asyncio.sleep(0)
    topic = {"changes": [{"op": "topic", "lesson_id": school["lesson"], "text": "Правописание корней"}]}
    async with ClientSession() as http:
        call = asyncio.create_task(http.post(urls[0] + "api/save", json=topic, headers=signed(TEACHER)))
        await entered.wait()
        call.cancel()  # the page goes away, its connection with it
        with pytest.raises(asyncio.CancelledError):
            await call
    stop.set()  # the server stops while the call is under way: it waits
    for _ in range(50):
        await asyncio.sleep(0)
    assert not running.done()
    release.set()
    await running
    assert await session.scalar(select(Lesson.topic).where(Lesson.id == school["lesson"])) == "Правописание корней"
