"""What families read, through the dispatcher: period grades in /grades and /summary, the student's
gender in the words about him, the student's own pushes in the second person, a student greeted by
first name as «ученик», and no clause of a regulation in a family's text."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryWorker
from locales.i18n import LOCALES
from models import AcademicPeriod, PeriodGrade, Person, School, Subject
from services import attendance, grades
from services.delivery_queue import Push
from services.family import sex_of
from services.push_kinds import PushKind
from services.roster import RosterInvalid, import_roster
from tests.conftest import BotHarness
from tests.support.bot import consent, drain, link, running_from
from tests.support.journal import MONDAY, act_as, lesson_of, person, student_id
from tests.support.roster import copy_demo, read_table, set_cell, write_table
from tests.test_views import SAMPLES, context
from views.pushes import Reader, render_one

CLAUSE = re.compile(r"\b\d{3}\s*(§|п\.)\s*\d")  # «004 п. 3.8», "000 §2.5"


async def give_period_grade(
    session: AsyncSession, ref: str, subject: str, period: str, value: str, *, kind: str = "period", on: datetime
) -> None:
    """A period grade as the journal keeps it, given (created_at) at the moment named."""
    teacher = await person(session, "S03")
    session.add(
        PeriodGrade(
            student_id=await student_id(session, ref),
            subject_id=await session.scalar(select(Subject.id).where(Subject.external_id == subject)),
            period_id=await session.scalar(select(AcademicPeriod.id).where(AcademicPeriod.external_id == period)),
            kind=kind,
            value=value,
            given_by=teacher.id,
            created_at=on,
        )
    )
    await session.commit()


async def test_a_parent_sees_the_period_grades_in_grades_and_summary(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    running_from(monkeypatch, MONDAY)
    emu = harness.emu
    school_id = await session.scalar(select(School.id))
    # Last school year's quarter: parted from this year by the summer, it is not this year's.
    session.add(
        AcademicPeriod(
            school_id=school_id,
            external_id="Q4-2026",
            name="4 четверть 2025/26",
            kind="quarter",
            starts_on=date(2026, 3, 30),
            ends_on=date(2026, 5, 26),
        )
    )
    await session.commit()
    month_ago = MONDAY - timedelta(days=30)
    await give_period_grade(session, "P018", "MATH", "Q1", "4", on=MONDAY + timedelta(hours=1))
    await give_period_grade(session, "P018", "RUS", "Q1", "pass", on=month_ago)
    await give_period_grade(session, "P018", "MATH", "Y", "5", on=month_ago)
    await give_period_grade(session, "P018", "MATH", "Y", "4", kind="exam", on=month_ago)
    await give_period_grade(session, "P018", "MATH", "Q4-2026", "2", on=month_ago)
    await give_period_grade(session, "P017", "MATH", "Q1", "3", on=MONDAY)  # another family's child
    await consent(session, "R017")
    await link(session, emu, "R017", 7101, "ru")

    text = (await emu.say(7101, "/grades"))[0]["text"]
    assert "Екатерина Романова, 5А: оценки за период «2 четверть»" in text
    assert "Оценки за четверти, полугодия и год:" in text
    assert "Математика: 1 четверть — 4 · Год — 5 · Год, экзамен — 4" in text
    assert "Русский язык: 1 четверть — зачёт" in text
    assert "— 2" not in text and "2025/26" not in text, "last year's grades are not this year's"
    assert "— 3" not in text, "another child's grade"

    text = (await emu.say(7101, "/summary"))[0]["text"]
    assert "Екатерина Романова: неделя с пн, 23 ноября" in text
    week = text.split("Оценки за периоды, выставленные на этой неделе:")[1].split("Пропуски:")[0]
    assert week.strip() == "Математика: 1 четверть — 4", "only what was given this week"

    # A grade removed (a tombstone) is shown nowhere.
    await session.execute(update(PeriodGrade).values(deleted_at=MONDAY))
    await session.commit()
    assert "Оценки за четверти" not in (await emu.say(7101, "/grades"))[0]["text"]
    assert "Оценки за периоды" not in (await emu.say(7101, "/summary"))[0]["text"]


async def test_the_weekly_push_tells_the_period_grades_of_the_week(
    demo: None,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    harness: BotHarness,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services import summaries

    saturday = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # 13:00 in Barnaul, after the summary's hour
    running_from(monkeypatch, saturday)
    await give_period_grade(session, "P018", "MATH", "Q1", "5", on=MONDAY)
    await consent(session, "R017")
    await link(session, harness.emu, "R017", 7102, "ru")
    school = await session.scalar(select(School))
    assert school is not None
    await summaries.queue_week(session, school, MONDAY.date())
    await session.commit()
    await drain(DeliveryWorker(harness.bot, sessionmaker), sessionmaker)
    push = harness.emu.last(7102)["text"]
    assert "Оценки за периоды, выставленные на этой неделе:\n  Математика: 1 четверть — 5" in push


async def absence_pushes(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    harness: BotHarness,
    monkeypatch: pytest.MonkeyPatch,
    marks: dict[str, str],
    users: dict[str, int],
) -> dict[str, str]:
    """Mark the students, let the pushes go, and return what each person read."""
    running_from(monkeypatch, MONDAY)
    await consent(session, *users)
    for ref, user in users.items():
        await link(session, harness.emu, ref, user, "ru")
    lesson = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    ids = {await student_id(session, ref): mark for ref, mark in marks.items()}
    await attendance.save(session, await act_as(session, "S03"), lesson.id, ids)
    await session.commit()
    running_from(monkeypatch, MONDAY + timedelta(minutes=4))
    await drain(DeliveryWorker(harness.bot, sessionmaker), sessionmaker)
    return {ref: harness.emu.last(user)["text"] for ref, user in users.items()}


async def test_an_absence_is_told_in_the_students_gender(
    demo: None,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    harness: BotHarness,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # P019 Андрей Петров: the roster says nothing, and he has no patronymic to tell
    await session.execute(update(Person).where(Person.student_ref == "P019").values(sex=None, middle_name=None))
    # P021 Софья Николаева: no sex in the roster, the patronymic (Сергеевна) tells
    await session.execute(update(Person).where(Person.student_ref == "P021").values(sex=None))
    await session.commit()
    read = await absence_pushes(
        session,
        sessionmaker,
        harness,
        monkeypatch,
        {"P018": "absent", "P017": "late", "P019": "absent", "P020": "absent", "P021": "absent"},
        {"R017": 7201, "P018": 7202, "R016": 7203, "R019": 7204, "P019": 7205, "R020": 7206},
    )
    lesson = r"на \d урок(е)? \(Математика\), пн, 23 ноября\."
    assert re.fullmatch(rf"Екатерина Романова отсутствовала {lesson}", read["R017"]), read["R017"]
    assert re.fullmatch(rf"Ты отсутствовала {lesson}", read["P018"]), read["P018"]
    assert re.fullmatch(rf"Лев Никитин опоздал {lesson}", read["R016"]), read["R016"]
    assert re.fullmatch(rf"Матвей Алексеев отсутствовал {lesson}", read["R019"]), read["R019"]
    assert re.fullmatch(rf"У тебя отмечено отсутствие {lesson}", read["P019"]), read["P019"]
    assert re.fullmatch(rf"Софья Николаева отсутствовала {lesson}", read["R020"]), read["R020"]
    assert "(а)" not in "".join(read.values())


async def test_a_student_is_told_in_the_second_person_and_a_parent_names_the_child(
    demo: None,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    harness: BotHarness,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running_from(monkeypatch, MONDAY)
    await consent(session, "R017", "P018")
    await link(session, harness.emu, "R017", 7301, "ru")
    await link(session, harness.emu, "P018", 7302, "ru")
    lesson = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    await grades.add(session, await act_as(session, "S03"), lesson.id, await student_id(session, "P018"), 5)
    await session.commit()
    running_from(monkeypatch, MONDAY + timedelta(minutes=4))
    await drain(DeliveryWorker(harness.bot, sessionmaker), sessionmaker)
    own = harness.emu.last(7302)["text"]
    assert own.startswith("Тебе поставили 5 по предмету «Математика»"), own
    assert "Екатерина" not in own
    parent = harness.emu.last(7301)["text"]
    assert parent.startswith("Екатерина Романова: новая оценка 5 по предмету «Математика»"), parent
    # The student's own /summary speaks to her too; her mother's names her.
    assert (await harness.emu.say(7302, "/summary"))[0]["text"].startswith("Твоя неделя с пн, 23 ноября")
    assert (await harness.emu.say(7301, "/summary"))[0]["text"].startswith("Екатерина Романова: неделя с")


async def test_a_college_student_is_told_as_vy(
    demo: None,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    harness: BotHarness,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await session.execute(update(School).values(kind="college"))
    await session.commit()
    read = await absence_pushes(
        session, sessionmaker, harness, monkeypatch, {"P018": "absent", "P017": "late"}, {"P018": 7401, "P017": 7402}
    )
    assert re.fullmatch(r"Вы отсутствовали на \d уроке \(Математика\), пн, 23 ноября\.", read["P018"]), read
    assert re.fullmatch(r"Вы опоздали на \d урок \(Математика\), пн, 23 ноября\.", read["P017"]), read


async def test_a_student_is_greeted_by_first_name_as_the_student_of_his_class(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await link(session, emu, "P018", 7501, "ru")
    greeting = emu.bot_messages(7501)[0]["text"]
    assert greeting == "Здравствуй, Екатерина! Ты вошла в дневник как ученица 5А класса.", greeting
    await link(session, emu, "P017", 7502, "ru")
    assert emu.bot_messages(7502)[0]["text"] == "Здравствуй, Лев! Ты вошёл в дневник как ученик 5А класса."
    # /start again greets the same way; no patronymic, no «обучающийся»
    again = await emu.say(7501, "/start")
    assert again[0]["text"].startswith("Здравствуй, Екатерина!")
    assert not any("Николаевна" in m["text"] or "обучающ" in m["text"] for m in again)
    await session.execute(update(School).values(kind="college"))
    await session.commit()
    again = await emu.say(7501, "/start")
    assert again[0]["text"] == "Здравствуйте, Екатерина! Вы вошли в дневник как студентка группы 5А."
    # a parent is greeted as before, by name and patronymic
    await link(session, emu, "R017", 7503, "ru")
    assert emu.bot_messages(7503)[0]["text"] == "Здравствуйте, Дарья Александровна! Вы вошли как: родитель."


async def test_no_clause_of_a_regulation_in_what_families_and_staff_read(
    demo: None, session: AsyncSession, harness
) -> None:
    emu = harness.emu
    await link(session, emu, "R017", 7601, "ru")  # greeting and the consent text
    await link(session, emu, "P018", 7602, "ru")
    await emu.say(7601, "/privacy")
    for user in (7601, 7602):
        for message in emu.bot_messages(user):
            assert not CLAUSE.search(message["text"]), message["text"]
    for kind in PushKind:  # staff read no file numbers either: what to do, not where it is written
        for locale in LOCALES:
            for reader in (Reader(), Reader(own_student_id=1), Reader(own_student_id=1, college=True)):
                text, _files = render_one(Push(1, kind, "grades", SAMPLES[kind]), context(), locale, reader)
                assert text and not CLAUSE.search(text), (kind, locale, text)


def test_the_push_forms_by_sex_and_reader() -> None:
    absent = Push(1, PushKind.ABSENCE_MARKED, "absences", SAMPLES[PushKind.ABSENCE_MARKED])
    ctx = context()
    said = {}
    for sex in ("m", "f", None):
        ctx.sexes[1] = sex
        for name, reader in {"parent": Reader(), "pupil": Reader(1), "student": Reader(1, college=True)}.items():
            said[name, sex] = render_one(absent, ctx, "ru", reader)[0]
    assert said["parent", "m"].startswith("Аня Лебедева отсутствовал на 2 уроке")
    assert said["parent", "f"].startswith("Аня Лебедева отсутствовала на 2 уроке")
    assert said["parent", None].startswith("Аня Лебедева: отмечено отсутствие на 2 уроке")
    assert said["pupil", "m"].startswith("Ты отсутствовал") and said["pupil", "f"].startswith("Ты отсутствовала")
    assert said["pupil", None].startswith("У тебя отмечено отсутствие")
    assert {said["student", s] for s in ("m", "f", None)} == {"Вы отсутствовали на 2 уроке (Физика), пн, 23 ноября."}
    # English has one form for all of them
    ctx.sexes[1] = "f"
    assert render_one(absent, ctx, "en", Reader())[0].startswith("Аня Лебедева was absent from lesson 2")
    assert render_one(absent, ctx, "en", Reader(1))[0].startswith("You were absent from lesson 2")


def test_the_sex_is_the_rosters_else_the_patronymics() -> None:
    assert sex_of("f", "Владимирович") == "f", "the roster's word stands"
    assert sex_of(None, "Владимирович") == sex_of(None, "Ильич") == sex_of(None, "Мамед оглы") == "m"
    assert sex_of(None, "Владимировна") == sex_of(None, "Ильинична") == sex_of(None, "Алиевна") == "f"
    assert sex_of(None, "Мамед кызы") == "f"
    assert sex_of(None, None) is sex_of(None, "") is sex_of(None, "Smith") is None


async def test_the_roster_sex_column(session: AsyncSession, tmp_path) -> None:
    folder = copy_demo(tmp_path)
    set_cell(folder, "students", 17, "sex", " м ")  # P016 Елизавета: the roster's word stands, spaces removed
    await import_roster(session, folder)
    await session.commit()
    stored = dict((await session.execute(select(Person.student_ref, Person.sex))).all())
    assert stored["P017"] == "m" and stored["P018"] == "f" and stored["P016"] == "m"
    # the column may be left out: nothing is guessed into the database
    rows = read_table(folder, "students")
    column = rows[0].index("sex")
    write_table(folder, "students", [r[:column] + r[column + 1 :] for r in rows])
    report = await import_roster(session, folder)
    await session.commit()
    assert report.updated["students"] == 60
    session.expire_all()
    assert set((await session.execute(select(Person.sex).where(Person.student_ref.is_not(None)))).scalars()) == {None}
    # a value that is not a sex is an error that names the cell, and nothing changes
    folder = copy_demo(tmp_path / "bad")
    set_cell(folder, "students", 5, "sex", "мальчик")
    with pytest.raises(RosterInvalid) as raised:
        await import_roster(session, folder)
    from locales.i18n import translate

    [issue] = [i for i in raised.value.issues if i.column == "sex"]
    assert (issue.source, issue.row) == ("students.csv", 5)
    assert translate(issue.message, "ru", **issue.params) == (
        "«мальчик» — не пол; напишите М или Ж (или m или f) либо оставьте ячейку пустой."
    )
