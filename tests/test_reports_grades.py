"""The progress statement and the report card: their figures against the known November (weighted averages,
period grades, shares), read back from XLSX and PDF."""

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person
from services.reports import card, progress
from tests.support.journal import MONDAY, act_as, freeze, person
from tests.test_reports_data import ILL_DAYS, Known, november, pdf_text, sheet_of
from views.documents import progress_statement, report_card
from views.documents.render import Format, render


@pytest.fixture
async def known(demo: None, session: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> Known:
    freeze(monkeypatch)
    return await november(session)


def subject_ids(statement: progress.Statement) -> dict[str, int]:
    return {name: sid for sid, name in statement.subjects}


async def test_statement_figures(known: Known, session: AsyncSession) -> None:
    statement = await progress.class_statement(session, await act_as(session, "S03"), known.class_id, known.q2)
    ids = subject_ids(statement)
    assert len(ids) == 7 and not statement.own_subjects_only  # English in two groups is one subject
    rows = {r.pupil.student_id: r for r in statement.rows}
    ill, truant = rows[known.ill], rows[known.truant]
    math, rus = ids["Математика"], ids["Русский язык"]
    # The test counts twice: (5·2 + 4) / 3.
    assert ill.marks[math].average == 4.67 and ill.marks[math].current
    assert ill.marks[rus].given == "5" and not ill.marks[rus].current
    assert ill.average == 4.84  # (4,67 + 5) / 2, halves up
    assert truant.marks[math].average == 2.33 and truant.marks[math].failing
    assert truant.marks[rus].given == "na" and truant.marks[rus].failing
    assert truant.average == 2.33  # «н/а» is not a figure
    assert (statement.by_subject[math].success, statement.by_subject[math].quality) == (0.5, 0.5)
    # A «н/а» stays in the quality's count: a 5 and an «н/а» are half, never a quality above the success.
    assert (statement.by_subject[rus].success, statement.by_subject[rus].quality) == (0.5, 0.5)
    for shares in [*statement.by_subject.values(), statement.overall]:
        assert shares.quality is None or shares.success is None or shares.quality <= shares.success
    assert statement.by_subject[ids["История"]].success is None  # no grades in it at all
    assert (statement.overall.success, statement.overall.quality) == (0.5, 0.5)
    assert [(row.pupil.name, sorted(subjects)) for row, subjects in statement.failing] == [
        ("Петров Андрей", sorted([math, rus]))
    ]


async def test_statement_reads_back(known: Known, session: AsyncSession) -> None:
    statement = await progress.class_statement(session, await act_as(session, "S01"), known.class_id, known.q2)
    content, name = render(progress_statement.document([statement], "ru"), Format.XLSX)
    assert name == "Сводная ведомость 5А 2 четверть.xlsx"
    ws = sheet_of(content)
    titles = [c.value for c in next(r for r in ws.iter_rows() if any(c.value == "Математика" for c in r))]
    math, rus, avg = titles.index("Математика"), titles.index("Русский язык"), len(titles) - 1
    ill = next(r for r in ws.iter_rows() if r[1].value == "Алексеев Матвей")
    assert ill[math].value == 4.67 and ill[math].font.i and ill[math].number_format == "0.00"
    assert ill[rus].value == 5 and not ill[rus].font.i
    assert ill[avg].value == 4.84
    truant = next(r for r in ws.iter_rows() if r[1].value == "Петров Андрей")
    assert truant[rus].value == "н/а"
    success = next(r for r in ws.iter_rows() if r[1].value == "Успеваемость")
    quality = next(r for r in ws.iter_rows() if r[1].value == "Качество знаний")
    assert (success[math].value, quality[rus].value, success[avg].value) == (0.5, 0.5, 0.5)
    assert success[math].number_format == "0%"
    text = pdf_text(render(progress_statement.document([statement], "ru"), Format.PDF)[0])
    for expected in ("Сводная ведомость успеваемости", "Период: 2 четверть", "4,67", "4,84", "50 %", "Качество знаний"):
        assert expected in text.replace("\xa0", " ")
    failing = " ".join(text[text.index("Имеют «2»") :].split())
    assert "Петров Андрей — Математика (средний 2,33), Русский язык (н/а)" in failing
    english = pdf_text(render(progress_statement.document([statement], "en"), Format.PDF)[0])
    assert "4.67" in english and "Success rate" in english


async def test_a_subject_teacher_gets_their_own_subjects(known: Known, session: AsyncSession) -> None:
    statement = await progress.class_statement(session, await act_as(session, "S04"), known.class_id, known.q2)
    assert sorted(subject_ids(statement)) == ["Литература", "Русский язык"] and statement.own_subjects_only
    text = pdf_text(render(progress_statement.document([statement], "ru"), Format.PDF)[0])
    assert "Математика" not in text
    flat = " ".join(text.split())
    assert "Только предметы, которые ведёт в этом классе Миронова О. С." in flat
    assert "Учитель ______________________ / Миронова О. С." in flat


async def test_the_year_card_of_the_family(known: Known, session: AsyncSession) -> None:
    mother = await person(session, "R019")  # Алексеев Матвей's mother
    await session.execute(update(Person).where(Person.id == mother.id).values(consent_at=MONDAY))
    await session.commit()
    result = await card.report_card(session, await act_as(session, "R019"), known.ill, known.year)
    assert result.year and [c.name for c in result.columns][:5] == [
        "1 четверть",
        "2 четверть",
        "3 четверть",
        "4 четверть",
        "Год",
    ]
    rows = {r.subject: r for r in result.rows}
    assert rows["Математика"].marks[1].average == 4.67 and rows["Математика"].marks[1].current
    assert rows["Математика"].marks[0].average is None  # nothing in the first quarter
    assert rows["Русский язык"].marks[1].given == "5"
    ill_lessons = known.due(known.ill, "1", ILL_DAYS)
    assert result.lessons_missed["illness"] == ill_lessons == sum(r.illness for r in result.rows)
    content, _name = render(report_card.document(result, "ru"), Format.XLSX)
    ws = sheet_of(content)
    math = next(r for r in ws.iter_rows() if r[1].value == "Математика")
    assert math[3].value == 4.67 and math[4].value is None
    total = next(r for r in ws.iter_rows() if r[1].value == "Итого")
    assert total[-2].value == ill_lessons
    text = pdf_text(render(report_card.document(result, "ru"), Format.PDF)[0])
    for expected in ("Табель успеваемости", "Ученик: Алексеев Матвей, класс 5А", "Учебный год: 2026/2027", "Родитель"):
        assert expected in text
    assert "Год" not in text.split("\n")[3], "the year is named by its dates, not «Учебный год: Год»"
    name = render(report_card.document(result, "ru"), Format.PDF)[1]
    assert name == "Табель успеваемости Алексеев Матвей 2026-2027.pdf"


async def test_a_period_card_shows_average_and_grade(known: Known, session: AsyncSession) -> None:
    result = await card.report_card(session, await act_as(session, "S03"), known.truant, known.q2)
    assert not result.year and len(result.columns) == 1
    rows = {r.subject: r for r in result.rows}
    assert rows["Математика"].marks[0].average == 2.33 and rows["Русский язык"].marks[0].given == "na"
    assert result.lessons_missed["unexcused"] == 1 and result.late == 1
    ws = sheet_of(render(report_card.document(result, "ru"), Format.XLSX)[0])
    rus = next(r for r in ws.iter_rows() if r[1].value == "Русский язык")
    assert rus[3].value == "н/а"
    text = pdf_text(render(report_card.document(result, "ru"), Format.PDF)[0])
    assert "Период: 2 четверть (" in text and " – " in text, "a term's card gives the term's dates"
    assert (
        render(report_card.document(result, "ru"), Format.PDF)[1] == "Табель успеваемости Петров Андрей 2 четверть.pdf"
    )
    ids = list(await session.scalars(select(Person.id)))
    assert ids  # the card read the journal only: nothing was written


async def test_a_card_names_a_girl_as_a_girl(known: Known, session: AsyncSession) -> None:
    """«Ученица:» for a girl (the roster's sex, else the patronymic), «Обучающийся:» when neither tells."""
    viewer = await act_as(session, "S03")
    result = await card.report_card(session, viewer, known.away, known.q2)
    assert result.pupil.sex == "f"
    text = pdf_text(render(report_card.document(result, "ru"), Format.PDF)[0])
    assert "Ученица: Романова Екатерина, класс 5А" in text and "Ученик:" not in text
    english = pdf_text(render(report_card.document(result, "en"), Format.PDF)[0])
    assert "Student: Романова Екатерина, class 5А" in english
    girl = await person(session, "P018")
    await session.execute(update(Person).where(Person.id == girl.id).values(sex=None, middle_name=None))
    unknown = await card.report_card(session, viewer, known.away, known.q2)
    assert unknown.pupil.sex is None
    text = pdf_text(render(report_card.document(unknown, "ru"), Format.PDF)[0])
    assert "Обучающийся: Романова Екатерина, класс 5А" in text
