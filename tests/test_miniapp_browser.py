"""The Mini App in a real headless Chromium (Debian's, driven by Playwright): a teacher types a
column of grades with the number pad and saves, and the grades are in the database and their
pushes in the outbox; a refused change is put right on its own; the page reopens where its
unsaved changes are; a parent's gradebook shows exactly their child's grades (and none in the
first grade); a class teacher's closed days are read-only; outside Telegram the page says so in
the browser's language.

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
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Attendance, Grade, Lesson, Notification, Person, Student, WorkType
from services import attendance, grades, homework
from tests.support.journal import MONDAY, act_as, freeze, lesson_of, person, student_id
from tests.support.miniapp import init_data, linked, make_app, serving

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
    """The app as the bot serves it: stopping waits for the calls under way (tests/support/miniapp.serving)."""
    async with serving(make_app(sessionmaker)) as url:
        yield url


@pytest.fixture
async def browser(served: str) -> AsyncIterator[Any]:
    """Started after the server, so closed before it: the pages' last calls are let finish, and the
    database is cleaned for the next test only after that."""
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


async def page_of(browser: Any, url: str, user: int, theme: dict[str, str] = LIGHT, width: int = 390) -> Any:
    page = await browser.new_page(viewport={"width": width, "height": 844}, device_scale_factor=2, locale="ru-RU")
    watch(page)
    await page.goto(opened(url, user, theme))
    return page


def watch(page: Any) -> None:
    """Every answer the page got that was not found (a favicon asked for on every load, say), and
    the API calls it made, in order."""
    page.missing = []
    page.calls = []
    page.on("response", lambda r: page.missing.append(r.url) if r.status == 404 else None)
    page.on("request", lambda r: page.calls.append(r.url.split("/api/")[1]) if "/api/" in r.url else None)


async def topic_in_another_grid(page: Any, away_from: str) -> int:
    """Switch to another class or subject than `away_from` ("class:subject") and write a topic in its
    last editable lesson, unsaved; the lesson's id."""
    other = next(
        v for v in await page.eval_on_selector_all("#choice option", "os => os.map(o => o.value)") if v != away_from
    )
    await page.select_option("#choice", value=other)
    await page.wait_for_function(
        "(k) => state.journal.grid && state.journal.grid.class_id + ':' + state.journal.grid.subject_id === k",
        arg=other,
    )
    lesson = await page.evaluate("state.journal.grid.columns.filter(c => c.editable).map(c => c.lesson_id).pop()")
    await page.click(f'[data-lesson="{lesson}"]')
    await page.fill("#topic", "Повторение")
    await page.click("#apply-lesson")
    return int(lesson)


async def saved_toast(page: Any) -> str:
    await page.wait_for_selector("#toast:not([hidden])")
    return str(await page.inner_text("#toast"))


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
    # The trend is drawn along the dates: 9, 11, 16 and 23 November are not four even steps.
    trend = await page.eval_on_selector_all(
        "#subjects .subject",
        """ss => ss.map(s => [s.querySelector('.name').textContent,
            [...s.querySelectorAll('.marks .chip small')].map(c => c.textContent),
            (s.querySelector('polyline') || {getAttribute: () => ''}).getAttribute('points')])""",
    )
    [(_name, dates, points)] = [t for t in trend if t[0] == "Русский язык"]
    xs = [float(pair.split(",")[0]) for pair in points.split()]
    days = [int(d.split(".")[0]) for d in dict.fromkeys(dates)]  # one point per day with grades
    assert days == [9, 11, 16, 23] and len(xs) == 4
    for x, d in zip(xs, days, strict=True):
        assert abs((x - xs[0]) / (xs[-1] - xs[0]) - (d - days[0]) / (days[-1] - days[0])) < 0.01
    await page.click("#subjects .marks .chip >> nth=-1")
    await shoot(page, "miniapp-family-light")
    dark = await page_of(browser, served, PARENT, DARK)
    await dark.wait_for_selector("#subjects")
    assert dark.calls == ["me"]  # the gradebook comes with the sign-in
    # «with a reason» keeps a ring in the absence colour: its pale fill alone all but vanishes in the dark.
    ring = await dark.eval_on_selector("#legend i.explained", "i => getComputedStyle(i).boxShadow")
    assert "rgb(242, 100, 90)" in ring
    await shoot(dark, "miniapp-family-dark")


async def _last_lesson(session: AsyncSession, ref: str, subject: str, class_name: str, back: int = 1) -> Lesson:
    for days in range(back, back + 14):
        try:
            return await lesson_of(session, ref, NOW.date() - timedelta(days=days), subject, class_name)
        except AssertionError:
            continue
    raise AssertionError(f"{ref} has no {subject} lesson in {class_name} in the two weeks before")


async def _history(session: AsyncSession, child: int) -> None:
    """Earlier grades of the quarter, so the averages have a trend (a past lesson's, given then)."""
    for back, subject, ref, value in (
        (14, "RUS", "S04", 4),
        (13, "MATH", "S03", 3),
        (12, "RUS", "S04", 5),
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


async def test_a_refused_change_is_put_right_on_its_own_and_the_rest_kept(
    demo: None, session: AsyncSession, served: str, browser: Any
) -> None:
    lesson = await lesson_of(session, "S04", NOW.date(), "RUS", "5А")
    await linked(session, "S04", TEACHER)
    teacher = await act_as(session, "S04")
    absent, present = await student_id(session, "P020"), await student_id(session, "P018")
    await attendance.save(session, teacher, lesson.id, {absent: "absent"})
    await homework.set_topic(session, teacher, lesson.id, "Правописание корней")
    await session.commit()

    page = await page_of(browser, served, TEACHER)
    await page.wait_for_selector("#grid")
    await page.select_option("#choice", value=f"{lesson.class_id}:{lesson.subject_id}")
    await page.wait_for_selector(f'[data-lesson="{lesson.id}"]')
    # A dot only where there is a topic (this lesson's) and none for homework (there is none).
    lit = await page.eval_on_selector_all(
        "[data-dot].on", "ds => ds.map(d => d.dataset.dot + ':' + d.closest('button').dataset.lesson)"
    )
    assert lit == [f"topic:{lesson.id}"]
    # Every student's name is whole: two lines at most, nothing cut at 390 px.
    cut = await page.eval_on_selector_all(
        "#grid .nm",
        "ns => ns.filter(n => n.scrollHeight > n.clientHeight + 1 || n.scrollWidth > n.clientWidth + 1)"
        ".map(n => n.textContent)",
    )
    assert cut == []
    assert await page.title() == "Электронный дневник" and page.missing == []

    await page.click(f'[data-cell="{lesson.id}:{present}"]')
    assert not await page.is_visible("#delete-grade")  # a new grade has nothing to remove yet
    await page.click('#values [data-value="4"]')
    await page.click("#apply")
    await page.click(f'[data-cell="{lesson.id}:{absent}"]')
    await page.click('#values [data-value="5"]')
    await page.click("#apply")
    await page.click("#save")
    refused = await saved_toast(page)
    assert refused.startswith("У ученика на этом уроке отмечено отсутствие")
    failed = f'td.failed [data-cell="{lesson.id}:{absent}"]'
    await page.wait_for_selector(failed)
    assert await page.inner_text("#save") == "Сохранить изменения: 2"

    # Dropped on its own: the other change stays.
    await page.click(failed)
    assert await page.inner_text("#sheet .refused") == refused + "\n" + "Отменить это изменение"
    await page.click("#sheet [data-drop]")
    assert await page.inner_text("#save") == "Сохранить изменения: 1"
    # Made again, refused again, and this time confirmed in its own cell: one grade, not two.
    await page.click(f'[data-cell="{lesson.id}:{absent}"]')
    await page.click('#values [data-value="5"]')
    await page.click("#apply")
    await page.click("#save")
    await page.wait_for_selector(failed)
    await page.wait_for_selector("#toast", state="hidden")
    await page.click(failed)
    waiting = "#existing [data-waiting].failed.on"
    assert await page.inner_text(waiting) == "5"  # the refused grade itself, chosen to be put right
    assert await page.input_value("#comment") == "" and await page.is_visible("#delete-grade")
    await shoot(page, "miniapp-teacher-refused")
    await page.check("#confirm-absent")
    await page.click("#apply")
    assert await page.inner_text("#save") == "Сохранить изменения: 2"
    await page.click("#save")
    assert await saved_toast(page) == "Сохранено."
    box, pad_top = await page.eval_on_selector("#toast", "t => t.getBoundingClientRect().bottom"), 844 - 330
    assert box < pad_top  # the toast is above where the number pad's keys are
    await session.commit()
    given = sorted(
        (await session.execute(select(Grade.student_id, Grade.value).where(Grade.lesson_id == lesson.id))).all()
    )
    assert given == sorted([(absent, 5), (present, 4)])


async def test_the_page_reopens_on_the_class_and_subject_of_its_unsaved_changes(
    demo: None, session: AsyncSession, served: str, browser: Any
) -> None:
    await linked(session, "S04", TEACHER)
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU")
    page = await context.new_page()
    await page.goto(opened(served, TEACHER, LIGHT))
    await page.wait_for_selector("#grid")
    first = await page.input_value("#choice")
    lesson = await topic_in_another_grid(page, first)
    other = await page.input_value("#choice")
    await page.wait_for_selector(f'[data-lesson="{lesson}"] [data-dot="topic"].on')
    await page.close()

    again = await context.new_page()  # closed and opened again: the same device's storage
    await again.goto(opened(served, TEACHER, LIGHT))
    await again.wait_for_selector(f'[data-lesson="{lesson}"] [data-dot="topic"].on')
    assert await again.input_value("#choice") == other != first
    assert await again.inner_text("#save") == "Сохранить изменения: 1"
    await context.close()


async def test_a_family_sees_kinds_in_russian_no_null_and_no_grades_in_the_first_grade(
    demo: None, session: AsyncSession, served: str, browser: Any
) -> None:
    lesson = await lesson_of(session, "S04", NOW.date(), "RUS", "5А")
    teacher = await act_as(session, "S04")
    older, younger = await student_id(session, "P016"), await student_id(session, "P001")  # 5А and 1А
    test = await session.scalar(select(WorkType.id).where(WorkType.code == "test"))
    await grades.add(session, teacher, lesson.id, older, 4, test)  # no comment
    sport = await _last_lesson(session, "S09", "PE", "5А")  # the longest subject's name
    session.add(
        Grade(
            student_id=older,
            lesson_id=sport.id,
            subject_id=sport.subject_id,
            on_date=sport.on_date,
            value=5,
            given_by=sport.teacher_id,
        )
    )
    await linked(session, "R015", PARENT)
    await session.execute(
        update(Person).where(Person.id == (await person(session, "R015")).id).values(consent_at=MONDAY)
    )
    await session.commit()

    page = await page_of(browser, served, PARENT, width=360)
    await page.wait_for_selector("#kids")
    await page.click(f'#kids [data-student="{older}"]')
    await page.wait_for_selector(f'#kids .on[data-student="{older}"]')
    await page.wait_for_selector("#subjects")
    assert "Елизавета" in (await page.text_content(".section-title >> nth=0") or "")
    names = await page.eval_on_selector_all(
        "#subjects .name", "ns => ns.map(n => [n.textContent, n.scrollWidth <= n.clientWidth])"
    )
    assert [n for n, whole in names if not whole] == [] and any("Физическая культура" in n for n, _ in names)
    await page.click("#subjects .marks .chip >> text=4")
    detail = await page.inner_text("#subjects .detail:not([hidden])")
    assert "Контрольная работа" in detail and "null" not in detail and "Test" not in detail
    # The calendar: school days to come are not coloured as days attended.
    ahead = await page.eval_on_selector_all(
        "#calendar .d",
        f"ds => ds.filter(d => Number(d.textContent) > {NOW.day} && d.classList.contains('school')).length",
    )
    assert ahead == 0 and await page.locator("#calendar .d.ahead").count() > 0

    await page.click(f'#kids [data-student="{younger}"]')
    await page.wait_for_selector("#not-graded")
    assert "Софья" in (await page.text_content(".section-title >> nth=0") or "")
    assert "Физическая культура" not in (await page.text_content("body") or "")
    assert (
        await page.inner_text("#not-graded")
        == "В этом классе оценки не ставятся: здесь посещаемость и домашние задания."
    )
    assert await page.locator("#subjects").count() == 0 and await page.locator("#calendar").count() == 1
    assert page.missing == []


async def test_a_class_teacher_gives_reasons_only_where_the_journal_is_open(
    demo: None, session: AsyncSession, served: str, browser: Any
) -> None:
    await linked(session, "S03", TEACHER)
    recent, old = await student_id(session, "P018"), await student_id(session, "P019")
    today = await lesson_of(session, "S03", NOW.date(), "MATH", "5А")
    closed = await _last_lesson(session, "S03", "MATH", "5А", back=20)  # the edit window is 14 days
    for lesson, sid in ((today, recent), (closed, old)):
        session.add(
            Attendance(lesson_id=lesson.id, student_id=sid, mark="absent", marked_by=lesson.teacher_id, marked_at=NOW)
        )
    await session.commit()

    page = await page_of(browser, served, TEACHER)
    await page.wait_for_selector(".tabs")
    await page.click("text=Мой класс")
    await page.wait_for_selector("#closed-absences")
    shut = page.locator(f'#closed-absences [data-day="{old}:{closed.on_date.isoformat()}"]')
    assert await shut.count() == 1 and await shut.locator("[data-reason]").count() == 0
    assert "Журнал за эти дни закрыт" in await page.inner_text("#closed-absences")
    open_day = page.locator(f'[data-day="{recent}:{today.on_date.isoformat()}"]')
    assert await open_day.locator("[data-reason]").count() == 3
    await open_day.locator('[data-reason="illness"]').click()
    assert await saved_toast(page) == "Сохранено."


async def test_outside_telegram_the_page_speaks_the_browsers_language(served: str, browser: Any) -> None:
    page = await browser.new_page(locale="en-US")
    watch(page)
    await page.goto(served)
    await page.wait_for_selector(".error-page")
    assert (
        await page.inner_text(".error-page p") == "Open the diary from the bot in Telegram: this page works only there."
    )
    assert await page.title() == "School diary" and page.missing == []


INSIDE = """
window.__events = [];
window.TelegramWebviewProxy = { postEvent(type, data) { window.__events.push([type, JSON.parse(data)]); } };
"""


async def events(page: Any, kind: str) -> list[Any]:
    return list(await page.evaluate("(kind) => __events.filter(e => e[0] === kind).map(e => e[1])", kind))


async def test_discarding_asks_first_outside_and_inside_telegram(
    demo: None, session: AsyncSession, served: str, browser: Any
) -> None:
    lesson = await lesson_of(session, "S04", NOW.date(), "RUS", "5А")
    await linked(session, "S04", TEACHER)
    child = await student_id(session, "P018")
    key = f"{lesson.class_id}:{lesson.subject_id}"

    async def two_changes(page: Any) -> None:
        """A grade in 5А's Russian and a topic in another class or subject."""
        await page.wait_for_selector("#grid")
        await topic_in_another_grid(page, key)
        await page.select_option("#choice", value=key)
        await page.wait_for_selector(f'[data-cell="{lesson.id}:{child}"]')
        await page.click(f'[data-cell="{lesson.id}:{child}"]')
        await page.click('#values [data-value="5"]')
        await page.click("#apply")

    # In a browser: the browser's own dialog, saying how many changes go and how many are elsewhere.
    page = await page_of(browser, served, TEACHER)
    await two_changes(page)
    asked: list[str] = []

    async def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        await (dialog.accept() if len(asked) == 2 else dialog.dismiss())

    page.on("dialog", answer)
    await page.click("#discard")
    await page.wait_for_function("() => true")
    assert await page.inner_text("#save") == "Сохранить изменения: 2"  # said no: nothing went
    await page.click("#discard")
    await page.wait_for_selector("#savebar", state="detached")
    assert len(asked) == 2 and ": 2?" in asked[0] and ": 1." in asked[0]  # all 2, of them 1 elsewhere
    assert await page.evaluate("JSON.parse(Object.values(localStorage).find(v => v.startsWith('[')))") == []

    # Inside Telegram: Save is Telegram's main button, Discard is on the page and asks in Telegram's popup.
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU")
    await context.add_init_script(INSIDE)
    inside = await context.new_page()
    await inside.goto(opened(served, TEACHER, DARK))
    await two_changes(inside)
    assert await inside.locator("#savebar").count() == 0
    main = (await events(inside, "web_app_setup_main_button"))[-1]
    assert main["is_visible"] and main["text"] == "Сохранить изменения: 2"
    for said, left in (("no", 2), ("yes", 0)):
        await inside.click("#discard-inline")
        popup = (await events(inside, "web_app_open_popup"))[-1]
        assert ": 2?" in popup["message"] and [b["id"] for b in popup["buttons"]] == ["yes", "no"]
        await inside.evaluate("(id) => Telegram.WebView.receiveEvent('popup_closed', { button_id: id })", said)
        await inside.wait_for_function("(n) => pending.length === n", arg=left)
    assert (await events(inside, "web_app_setup_main_button"))[-1] == {"is_visible": False}
    assert await inside.is_hidden("#discard-inline")
    # Telegram's header and background in the page's own colour, not a white band over a dark page.
    assert {"color_key": "secondary_bg_color"} in await events(inside, "web_app_set_header_color")
    assert {"color": DARK["secondary_bg_color"]} in await events(inside, "web_app_set_background_color")
    await context.close()


async def test_the_teachers_grid_at_360_px_in_the_dark(
    demo: None, session: AsyncSession, served: str, browser: Any
) -> None:
    lesson = await lesson_of(session, "S04", NOW.date(), "RUS", "5А")
    await linked(session, "S04", TEACHER)
    teacher = await act_as(session, "S04")
    absent, three, one = [await student_id(session, ref) for ref in ("P020", "P019", "P018")]
    await attendance.save(session, teacher, lesson.id, {absent: "absent"})
    await grades.add(session, teacher, lesson.id, absent, 5, absent_confirmed=True)
    for value in (2, 2, 4):
        await grades.add(session, teacher, lesson.id, three, value)
    await grades.add(session, teacher, lesson.id, one, 4)
    await session.commit()

    page = await page_of(browser, served, TEACHER, DARK, width=360)
    await page.wait_for_selector("#grid")
    assert page.calls == ["me"]  # the first screen in one call: no choices, then grid, after it
    await page.select_option("#choice", value=f"{lesson.class_id}:{lesson.subject_id}")
    await page.wait_for_selector(f'[data-cell="{lesson.id}:{three}"] .v')
    # The chosen tab stands out: the button colour, not the section's all but the bar's own.
    tab = await page.eval_on_selector(".tabs button.on", "b => getComputedStyle(b).backgroundColor")
    assert tab == "rgb(135, 116, 225)"  # DARK's button colour
    # No sliver of a column under the names: the first column in sight starts at their edge.
    edge = await page.evaluate(
        """() => { const w = document.getElementById('grid-wrap'), hs = [...w.querySelectorAll('thead th')];
        return hs.slice(1).some(th => th.offsetLeft - hs[0].offsetWidth === w.scrollLeft); }"""
    )
    assert edge
    # Marks and grades of one cell are parted: «ОТ 5», «2 2 4», not «ОТ5» or «224».
    for sid, count in ((absent, 2), (three, 3)):
        gaps = await page.eval_on_selector(
            f'[data-cell="{lesson.id}:{sid}"]',
            """b => { const r = [...b.children].map(c => {  // the text's own box, not the span's
              const text = document.createRange(); text.selectNodeContents(c); return text.getBoundingClientRect(); });
            return r.slice(1).map((x, i) => x.left - r[i].right); }""",
        )
        assert len(gaps) == count - 1 and min(gaps) >= 5, (sid, gaps)
    await shoot(page, "miniapp-teacher-360-dark")
    # The pad says what the student already has here: a key adds a grade, it does not replace one.
    await page.click(f'[data-lesson="{lesson.id}"]')
    # A due date is one of the next four lessons, as the bot offers them.
    await page.wait_for_function("() => document.querySelectorAll('#due option').length === 4")
    await page.click("#column-mode")
    names = dict(
        await page.eval_on_selector_all(
            "#grid tbody tr", "rs => rs.map(r => [Number(r.dataset.student), r.querySelector('.nm').textContent])"
        )
    )
    for _ in range(len(names)):
        if await page.inner_text("#numpad b") == names[one]:
            break
        assert await page.locator("#pad-already").count() == (await page.inner_text("#numpad b") == names[three])
        await page.click('#numpad [data-key="skip"]')
    assert await page.inner_text("#pad-already") == "уже: 4" or await page.inner_text("#pad-already") == "already: 4"
    skip = await page.eval_on_selector('#numpad [data-key="skip"]', "b => b.scrollWidth <= b.clientWidth")
    assert skip  # «Пропустить» fits its key, with room either side


async def test_a_class_teacher_reads_the_class_by_week_and_period(
    demo: None, session: AsyncSession, served: str, browser: Any
) -> None:
    await linked(session, "S03", TEACHER)  # 5А's class teacher, who teaches it mathematics
    child, classmate = await student_id(session, "P018"), await student_id(session, "P019")
    today = await lesson_of(session, "S03", NOW.date(), "MATH", "5А")
    russian = await lesson_of(session, "S04", NOW.date(), "RUS", "5А")
    earlier = await _last_lesson(session, "S04", "RUS", "5А", back=10)  # in the quarter, before this week
    await grades.add(session, await act_as(session, "S03"), today.id, child, 5)
    session.add(
        Grade(
            student_id=classmate,
            lesson_id=earlier.id,
            subject_id=earlier.subject_id,
            on_date=earlier.on_date,
            value=3,
            given_by=earlier.teacher_id,
        )
    )
    session.add(
        Attendance(
            lesson_id=russian.id, student_id=classmate, mark="absent", marked_by=russian.teacher_id, marked_at=NOW
        )
    )
    await session.commit()
    size = await session.scalar(select(func.count()).select_from(Student).where(Student.class_id == today.class_id))

    page = await page_of(browser, served, TEACHER)
    await page.wait_for_selector(".tabs")
    await page.click("text=Мой класс")
    day = page.locator(f'[data-day="{classmate}:{NOW.date().isoformat()}"]')
    await day.wait_for()
    # The bot's words for a lesson, and the grid's form of a name.
    assert f"{russian.lesson_no}-й урок (Русский язык)" in await day.inner_text()
    assert (await day.locator(".who").inner_text()).strip() == "Петров Андрей"
    await page.click(".tabs >> nth=1 >> text=Оценки")
    await page.wait_for_selector(".sheetrow")
    week = await page.eval_on_selector_all(".section-title", "ts => ts.map(t => t.textContent)")
    assert week == ["Математика"]
    rows = page.locator(".sheetrow")
    assert await rows.count() == size  # the whole class, those without grades too
    assert await page.inner_text(f'.sheetrow[data-student="{child}"] .vals') == "5"
    assert await page.inner_text(f'.sheetrow[data-student="{classmate}"] .vals') == ""
    await page.click("text=Период")
    await page.wait_for_function("() => document.querySelectorAll('.section-title').length === 2")
    period = await page.eval_on_selector_all(".section-title", "ts => ts.map(t => t.textContent)")
    assert period == ["Математика", "Русский язык"]
    assert await page.locator(".sheetrow").count() == 2 * size
    russian_rows = page.locator(".section").nth(1).locator(f'.sheetrow[data-student="{classmate}"] .vals')
    assert await russian_rows.inner_text() == "3"
