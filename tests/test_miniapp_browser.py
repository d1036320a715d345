"""The Mini App in a real headless Chromium (Debian's, driven by Playwright): a teacher types a
column of grades with the number pad and saves, and the grades are in the database and their
pushes in the outbox; a parent's gradebook shows exactly their child's grades.

With MINIAPP_SCREENSHOTS=DIR set, the screens are also saved there, light and dark, at 390 px.
"""

import json
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Attendance, Grade, Lesson, Notification, Person, Student
from services import attendance, grades, homework
from tests.support.journal import MONDAY, act_as, freeze, lesson_of, person, student_id
from tests.support.miniapp import init_data, linked, make_app

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)
NOW = MONDAY + timedelta(hours=2)
TEACHER, PARENT = 201, 202
LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "link_color": "#3390ec",
    "button_color": "#3390ec",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f4f4f5",
    "section_bg_color": "#ffffff",
    "section_header_text_color": "#3390ec",
    "destructive_text_color": "#e53935",
}
DARK = {
    "bg_color": "#212121",
    "text_color": "#ffffff",
    "hint_color": "#aaaaaa",
    "link_color": "#8774e1",
    "button_color": "#8774e1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#0f0f0f",
    "section_bg_color": "#212121",
    "section_header_text_color": "#aaaaaa",
    "destructive_text_color": "#ff595a",
}


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, NOW)


@pytest.fixture
async def served(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[str]:
    server = TestServer(make_app(sessionmaker), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/app/"))
    finally:
        await server.close()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        found = await driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield found
        finally:
            await found.close()


def opened(url: str, user: int, theme: dict[str, str]) -> str:
    """The page's address as Telegram opens it: initData and the theme in the fragment."""
    fragment = (
        f"tgWebAppData={quote(init_data(user))}&tgWebAppVersion=8.0&tgWebAppThemeParams={quote(json.dumps(theme))}"
    )
    return f"{url}#{fragment}"


async def page_of(browser: Any, url: str, user: int, theme: dict[str, str] = LIGHT) -> Any:
    page = await browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="ru-RU")
    await page.goto(opened(url, user, theme))
    return page


async def shoot(page: Any, name: str) -> None:
    folder = os.environ.get("MINIAPP_SCREENSHOTS")
    if folder:
        await page.screenshot(path=str(Path(folder) / f"{name}.png"))


async def test_a_teacher_enters_a_column_of_grades_and_saves(
    demo: None, session: AsyncSession, served: str, browser: Any
) -> None:
    lesson = await lesson_of(session, "S04", NOW.date(), "RUS", "5А")
    await linked(session, "S04", TEACHER)
    teacher = await act_as(session, "S04")
    absent = await student_id(session, "P020")
    await attendance.save(session, teacher, lesson.id, {absent: "absent"})
    await session.execute(
        update(Person).where(Person.id == (await person(session, "R017")).id).values(consent_at=MONDAY)
    )
    await session.commit()
    await _journal_history(session, lesson)

    page = await page_of(browser, served, TEACHER)
    await page.wait_for_selector("#grid")
    await page.select_option("#choice", value=f"{lesson.class_id}:{lesson.subject_id}")
    await page.wait_for_selector(f'[data-lesson="{lesson.id}"]')
    await page.click(f'[data-lesson="{lesson.id}"]')
    await page.click("#column-mode")
    rows = await page.eval_on_selector_all("#grid tbody tr", "rows => rows.map(r => Number(r.dataset.student))")
    typed = {}
    values = [5, 4, 3, 5, 2]
    for sid in rows:
        if sid == absent:
            continue  # the pad passes the absent student by
        if not await page.is_visible("#numpad"):
            break
        typed[sid] = values[len(typed) % len(values)]
        if len(typed) == 6:
            await shoot(page, "miniapp-teacher-column")
        await page.click(f'#numpad [data-key="{typed[sid]}"]')
    assert not await page.is_visible("#numpad")  # the column ended at its last student
    await page.click("#save")
    await page.wait_for_selector("#toast:not([hidden])")
    assert await page.inner_text("#toast") == "Сохранено."
    await page.wait_for_selector(f'[data-cell="{lesson.id}:{next(iter(typed))}"] .v')
    await page.wait_for_selector("#toast", state="hidden")
    await shoot(page, "miniapp-teacher-light")

    saved = dict(
        (await session.execute(select(Grade.student_id, Grade.value).where(Grade.lesson_id == lesson.id))).all()
    )
    assert saved == typed and absent not in saved
    child = await student_id(session, "P018")
    pushes = list(await session.scalars(select(Notification).where(Notification.category == "grades")))
    assert [p.payload["student_id"] for p in pushes] == [child]  # her mother consented; nobody else is linked
    assert pushes[0].payload["value"] == typed[child]
    # The grid shows what is saved, and nothing is left waiting on the device.
    await page.wait_for_selector("#grid")
    assert await page.evaluate("localStorage.length === 0 || JSON.parse(Object.values(localStorage)[0]).length === 0")
    dark = await page_of(browser, served, TEACHER, DARK)
    await dark.wait_for_selector("#grid")
    await dark.select_option("#choice", value=f"{lesson.class_id}:{lesson.subject_id}")
    await dark.wait_for_selector(f'[data-cell="{lesson.id}:{next(iter(typed))}"] .v')
    await shoot(dark, "miniapp-teacher-dark")


async def test_a_parent_sees_exactly_their_childs_grades(
    demo: None, session: AsyncSession, served: str, browser: Any
) -> None:
    lesson = await lesson_of(session, "S04", NOW.date(), "RUS", "5А")
    teacher = await act_as(session, "S04")
    child, classmate = await student_id(session, "P018"), await student_id(session, "P019")
    await grades.add(session, teacher, lesson.id, child, 5, comment="Отличный диктант")
    await grades.add(session, teacher, lesson.id, classmate, 2)
    await attendance.save(session, teacher, lesson.id, {classmate: "absent"})
    await homework.post(session, teacher, lesson.id, "Упр. 124, выучить правило")
    await _history(session, child)
    await linked(session, "R017", PARENT)
    await session.execute(
        update(Person).where(Person.id == (await person(session, "R017")).id).values(consent_at=MONDAY)
    )
    await session.commit()

    page = await page_of(browser, served, PARENT)
    await page.wait_for_selector("#subjects")
    text = await page.inner_text("#subjects")
    mine = list(await session.scalars(select(Grade.value).where(Grade.student_id == child, Grade.deleted_at.is_(None))))
    chips = await page.eval_on_selector_all("#subjects .marks .chip", "cs => cs.length")
    assert chips == len(mine)
    assert "Русский язык" in text and "Романова" in (await page.text_content("body") or "")
    assert "Петров" not in (await page.text_content("body") or "")  # the classmate is nowhere on the page
    assert "Упр. 124" in await page.inner_text("#homework")
    await page.click("#subjects .marks .chip >> nth=-1")
    await shoot(page, "miniapp-family-light")
    dark = await page_of(browser, served, PARENT, DARK)
    await dark.wait_for_selector("#subjects")
    await shoot(dark, "miniapp-family-dark")


async def _history(session: AsyncSession, child: int) -> None:
    """Earlier grades of the quarter, so the averages have a trend (a past lesson's, given then)."""
    for back, subject, ref, value in (
        (14, "RUS", "S04", 4),
        (13, "MATH", "S03", 3),
        (7, "MATH", "S03", 4),
        (7, "RUS", "S04", 3),
        (6, "LIT", "S04", 5),
        (1, "MATH", "S03", 5),
    ):
        on = NOW.date() - timedelta(days=back)
        try:
            lesson = await lesson_of(session, ref, on, subject, "5А")
        except AssertionError:
            continue  # no such lesson that day
        session.add(
            Grade(
                student_id=child,
                lesson_id=lesson.id,
                subject_id=lesson.subject_id,
                on_date=on,
                value=value,
                given_by=lesson.teacher_id,
            )
        )
    await session.commit()


async def _journal_history(session: AsyncSession, today: Lesson) -> None:
    """The class's earlier Russian lessons with some grades, absences and topics, as a real journal
    has by late November (written straight to the tables: the screens, not the rules, are shown)."""
    sids = list(
        await session.scalars(
            select(Student.id).join(Person, Person.id == Student.person_id).where(Student.class_id == today.class_id)
        )
    )
    for back in range(1, 15):
        on = NOW.date() - timedelta(days=back)
        try:
            past = await lesson_of(session, "S04", on, "RUS", "5А")
        except AssertionError:
            continue
        past.topic = "Тема урока"
        for n, sid in enumerate(sids):
            if (n + back) % 4 == 0:
                value = 2 + (n * 7 + back) % 4
                session.add(
                    Grade(
                        student_id=sid,
                        lesson_id=past.id,
                        subject_id=past.subject_id,
                        on_date=on,
                        value=value,
                        given_by=past.teacher_id,
                    )
                )
            elif (n * 3 + back) % 11 == 0:
                mark = "absent" if n % 2 else "late"
                session.add(
                    Attendance(lesson_id=past.id, student_id=sid, mark=mark, marked_by=past.teacher_id, marked_at=NOW)
                )
    await session.commit()
