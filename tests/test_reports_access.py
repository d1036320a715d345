"""Who may have which report: every refusal is the service's, whoever asks (bot, command line)."""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from locales.i18n import translate
from models import Person, SchoolClass
from services.errors import ConsentRequired, DiaryError, NotAllowed, NotFound
from services.reports import access, attendance, card, choices, progress
from services.roles import Viewer
from tests.support.journal import MONDAY, act_as, freeze, person
from tests.test_reports_data import NOVEMBER, Known, november


@pytest.fixture
async def known(demo: None, session: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> Known:
    freeze(monkeypatch)
    return await november(session)


async def consented(session: AsyncSession, *refs: str) -> None:
    for ref in refs:
        await session.execute(
            update(Person).where(Person.id == (await person(session, ref)).id).values(consent_at=MONDAY)
        )
    await session.commit()


Ask = Callable[[AsyncSession, Viewer, Known], Awaitable[Any]]


def sheet(s: AsyncSession, v: Viewer, k: Known) -> Awaitable[Any]:
    return attendance.class_sheet(s, v, k.class_id, NOVEMBER)


def statement(s: AsyncSession, v: Viewer, k: Known) -> Awaitable[Any]:
    return progress.class_statement(s, v, k.class_id, k.q2)


def ill_card(s: AsyncSession, v: Viewer, k: Known) -> Awaitable[Any]:
    return card.report_card(s, v, k.ill, k.year)


@pytest.mark.parametrize(
    ("who", "ask", "refusal"),
    [
        ("S04", sheet, "Отчёты по классу получают его классный руководитель и администрация школы."),  # 7Б's tutor
        ("S04", ill_card, "Табель успеваемости получают семья ученика, классный руководитель и администрация школы."),
        ("S05", statement, "Сводную ведомость класса получают классный руководитель, администрация школы и учителя"),
        ("S07", sheet, "Отчёты по классу получают"),  # teaches 5А's English, is not its class teacher
        ("R017", ill_card, "Табель успеваемости получают семья ученика"),  # another family of 5А
        ("P018", ill_card, "Табель успеваемости получают семья ученика"),  # a classmate
        ("R017", sheet, "Отчёты по классу получают"),
        ("P020", statement, "Сводную ведомость класса получают"),
    ],
)
async def test_refused(known: Known, session: AsyncSession, who: str, ask: Ask, refusal: str) -> None:
    await consented(session, "R017", "P018", "P020")
    with pytest.raises(NotAllowed) as refused:
        await ask(session, await act_as(session, who), known)
    assert translate(refused.value.message, "ru", **refused.value.params).startswith(refusal)


@pytest.mark.parametrize("ask", [sheet, statement, ill_card])
async def test_the_class_teacher_and_the_administration_get_all(known: Known, session: AsyncSession, ask: Ask) -> None:
    for who in ("S03", "S01"):
        assert await ask(session, await act_as(session, who), known)
    assert await ask(session, Viewer.command_line(), known)


async def test_the_family_after_consent_only(known: Known, session: AsyncSession) -> None:
    with pytest.raises(ConsentRequired):
        await ill_card(session, await act_as(session, "R019"), known)
    await consented(session, "R019", "P020")
    assert (await ill_card(session, await act_as(session, "R019"), known)).pupil.student_id == known.ill
    assert (await ill_card(session, await act_as(session, "P020"), known)).pupil.name == "Алексеев Матвей"


async def test_another_school_and_unknown_ids_are_not_found(known: Known, session: AsyncSession) -> None:
    admin = await act_as(session, "S01")
    for ask in (
        attendance.class_sheet(session, admin, 999999, NOVEMBER),
        progress.class_statement(session, admin, known.class_id, 999999),
        card.report_card(session, admin, 999999, known.q2),
    ):
        with pytest.raises(NotFound):
            await ask


async def test_first_grade_has_no_grade_reports(known: Known, session: AsyncSession) -> None:
    first = await session.scalar(select(SchoolClass.id).where(SchoolClass.external_id == "C1A"))
    assert first is not None
    with pytest.raises(NotAllowed) as refused:
        await progress.class_statement(session, await act_as(session, "S01"), first, known.q2)
    assert "отметки не ставятся" in translate(refused.value.message, "ru", **refused.value.params)


async def test_a_period_without_lessons_is_a_message(known: Known, session: AsyncSession) -> None:
    q1 = await access.period_by_ref(session, Viewer.command_line(), (await person(session, "S01")).school_id, "Q1")
    with pytest.raises(NotFound) as refused:
        await progress.class_statement(session, await act_as(session, "S03"), known.class_id, q1)
    assert translate(refused.value.message, "ru", **refused.value.params) == (
        "За период «1 четверть» в журнале нет уроков класса 5А: ведомость составить не из чего."
    )


async def test_command_line_refs(known: Known, session: AsyncSession) -> None:
    operator = Viewer.command_line()
    assert (await access.class_by_ref(session, operator, "5а")).id == known.class_id
    school_id = (await person(session, "S01")).school_id
    assert await access.period_by_ref(session, operator, school_id, None) == known.year  # the year now
    with pytest.raises(NotFound) as refused:
        await access.period_by_ref(session, operator, school_id, "Q9")
    assert "(Y, Q1, Q2, Q3, Q4)" in translate(refused.value.message, "ru", **refused.value.params)
    with pytest.raises(DiaryError):
        await access.student_by_ref(session, await act_as(session, "S01"), "P020")  # the operator's only


async def test_what_the_bot_offers(known: Known, session: AsyncSession) -> None:
    tutor = await act_as(session, "S03")
    assert choices.kinds_for(tutor) == list(choices.ReportKind)
    assert [c.name for c in await choices.classes(session, tutor, choices.ReportKind.ATTENDANCE)] == ["5А"]
    teacher = await act_as(session, "S07")
    assert choices.kinds_for(teacher) == [choices.ReportKind.PROGRESS]
    assert "5А" in [c.name for c in await choices.classes(session, teacher, choices.ReportKind.PROGRESS)]
    assert [m.month for m in (await choices.months(session, tutor, known.class_id))[1]] == [11]
    assert choices.kinds_for(await act_as(session, "R019")) == [choices.ReportKind.CARD]
