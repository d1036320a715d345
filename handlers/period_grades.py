"""/period: period grades, with the student's grades and average in that period beside the choice."""

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import PeriodCb
from handlers.journal_render import PERIOD_MARKS, average, period_value
from handlers.keyboards import Keyboard, pairs
from handlers.screens import Screen, show
from locales.i18n import day_in_words
from services import period_grades
from services.roles import Viewer


async def class_screen(session: AsyncSession, viewer: Viewer) -> Screen:
    kb = Keyboard()
    classes = await period_grades.classes_for(session, viewer)
    if not classes:
        # A first grade's teacher, say: no class of theirs takes grades (003 §2.5).
        return _("None of your classes takes grades, so there are no period grades to give."), None
    for school_class in classes:
        kb.button(text=school_class.name, callback_data=PeriodCb(cls=school_class.id))
    kb.adjust(4)
    return _("Period grades: choose the class."), kb.as_markup()


async def period_screen(session: AsyncSession, viewer: Viewer, cb: PeriodCb) -> Screen:
    kb = Keyboard()
    periods = await period_grades.periods(session, viewer)
    for period in periods:
        kb.button(text=period.name, callback_data=PeriodCb(cls=cb.cls, period=period.id))
    sizes = [3] * ((len(periods) + 2) // 3)
    if len(await period_grades.classes_for(session, viewer)) > 1:
        kb.button(text="◀ " + _("classes"), callback_data=PeriodCb())
        sizes.append(1)
    kb.adjust(*sizes)
    return _("Choose the period."), kb.as_markup()


async def subject_screen(session: AsyncSession, viewer: Viewer, cb: PeriodCb) -> Screen:
    kb = Keyboard()
    subjects = await period_grades.subjects_for(session, viewer, cb.cls)
    for subject in subjects:
        kb.button(text=subject.name, callback_data=PeriodCb(cls=cb.cls, period=cb.period, subject=subject.id))
    kb.button(text="◀ " + _("periods"), callback_data=PeriodCb(cls=cb.cls))
    kb.adjust(*pairs(len(subjects)), 1)
    return _("Choose the subject."), kb.as_markup()


async def student_screen(session: AsyncSession, viewer: Viewer, cb: PeriodCb) -> Screen:
    kb = Keyboard()
    rows = await period_grades.class_sheet(session, viewer, class_id=cb.cls, subject_id=cb.subject, period_id=cb.period)
    for row in rows:
        avg = f" ({average(row.average)})" if row.average is not None else ""
        value = f" → {period_value(row.value)}" if row.value else ""
        kb.button(
            text=f"{row.name}{avg}{value}",
            callback_data=PeriodCb(cls=cb.cls, period=cb.period, subject=cb.subject, student=row.student_id),
        )
    kb.button(text="◀ " + _("subjects"), callback_data=PeriodCb(cls=cb.cls, period=cb.period))
    kb.adjust(*pairs(len(rows)), 1)
    return _("Choose a student: the average is in brackets, the period grade after the arrow."), kb.as_markup()


async def value_screen(session: AsyncSession, viewer: Viewer, cb: PeriodCb) -> Screen:
    """The student's grades and average in the period beside the choice of the period grade."""
    standing = await period_grades.standing(
        session, viewer, class_id=cb.cls, subject_id=cb.subject, period_id=cb.period, student_id=cb.student
    )
    school = viewer.school
    assert school is not None
    kb = Keyboard()
    for value in [str(v) for v in range(school.grade_min, school.grade_max + 1)] + list(PERIOD_MARKS):
        kb.button(
            text=period_value(value),
            callback_data=PeriodCb(cls=cb.cls, period=cb.period, subject=cb.subject, student=cb.student, value=value),
        )
    kb.button(text="◀ " + _("students"), callback_data=PeriodCb(cls=cb.cls, period=cb.period, subject=cb.subject))
    kb.adjust(school.grade_max - school.grade_min + 1, len(PERIOD_MARKS), 1)
    grades = ", ".join(str(v) for v in standing.grades) or _("no grades")
    mean = average(standing.average)
    if standing.suggested is not None:
        mean += " → " + str(standing.suggested)
    current = period_value(standing.current.value) if standing.current else "—"
    return standing.name + "\n" + _(
        "Grades in the period: {grades}\nAverage: {average}\nPeriod grade now: {current}"
    ).format(grades=grades, average=mean, current=current), kb.as_markup()


async def far_from_average_screen(session: AsyncSession, viewer: Viewer, cb: PeriodCb) -> Screen | None:
    """A grade more than one point from what the average suggests is asked again, not refused."""
    standing = await period_grades.standing(
        session, viewer, class_id=cb.cls, subject_id=cb.subject, period_id=cb.period, student_id=cb.student
    )
    if not standing.begun:
        return None  # the service refuses it, saying why
    reasons = []
    if cb.value.isdigit() and not standing.grades:
        reasons.append(_("there are no grades in the period yet"))
    if standing.far_from_average(cb.value):
        reasons.append(
            _("the average in the period is {average}, which suggests {suggested}").format(
                average=average(standing.average), suggested=standing.suggested
            )
        )
    if standing.ends_on is not None:
        reasons.append(
            _("{period} is not over: it ends on {date}").format(
                period=standing.period_name, date=day_in_words(standing.ends_on, get_i18n().current_locale)
            )
        )
    if cb.ok or not reasons:
        return None
    kb = Keyboard()
    kb.button(
        text=_("Yes, give {value}").format(value=cb.value),
        callback_data=PeriodCb(
            cls=cb.cls, period=cb.period, subject=cb.subject, student=cb.student, value=cb.value, ok=True
        ),
    )
    kb.button(
        text=_("No"), callback_data=PeriodCb(cls=cb.cls, period=cb.period, subject=cb.subject, student=cb.student)
    )
    kb.adjust(2)
    text = _("{name}: {reasons}. Give {value} all the same?").format(
        name=standing.name, reasons="; ".join(reasons), value=period_value(cb.value)
    )
    return text, kb.as_markup()


async def start(message: Message, session: AsyncSession, viewer: Viewer) -> None:
    classes = await period_grades.classes_for(session, viewer)
    if len(classes) == 1:
        text, markup = await period_screen(session, viewer, PeriodCb(cls=classes[0].id))
    else:
        text, markup = await class_screen(session, viewer)
    await message.answer(text, reply_markup=markup)


async def on_class(query: CallbackQuery, session: AsyncSession, viewer: Viewer) -> None:
    await show(query, await class_screen(session, viewer))


async def on_period(query: CallbackQuery, callback_data: PeriodCb, session: AsyncSession, viewer: Viewer) -> None:
    await show(query, await period_screen(session, viewer, callback_data))


async def on_subject(query: CallbackQuery, callback_data: PeriodCb, session: AsyncSession, viewer: Viewer) -> None:
    await show(query, await subject_screen(session, viewer, callback_data))


async def on_student(query: CallbackQuery, callback_data: PeriodCb, session: AsyncSession, viewer: Viewer) -> None:
    await show(query, await student_screen(session, viewer, callback_data))


async def on_value(query: CallbackQuery, callback_data: PeriodCb, session: AsyncSession, viewer: Viewer) -> None:
    await show(query, await value_screen(session, viewer, callback_data))


async def on_save(query: CallbackQuery, callback_data: PeriodCb, session: AsyncSession, viewer: Viewer) -> None:
    cb = callback_data
    if (warning := await far_from_average_screen(session, viewer, cb)) is not None:
        await show(query, warning)
        return
    row = await period_grades.set_grade(
        session,
        viewer,
        class_id=cb.cls,
        subject_id=cb.subject,
        period_id=cb.period,
        student_id=cb.student,
        value=cb.value,
    )
    notice = _("Saved: {value}.").format(value=period_value(row.value))
    back = PeriodCb(cls=cb.cls, period=cb.period, subject=cb.subject)
    await show(query, await student_screen(session, viewer, back), notice)


def make_router() -> Router:
    router = Router(name="period_grades")
    router.message.register(start, Command("period"))
    # A screen for each step: the first field not chosen yet picks the handler.
    router.callback_query.register(on_class, PeriodCb.filter(F.cls == 0))
    router.callback_query.register(on_period, PeriodCb.filter(F.period == 0))
    router.callback_query.register(on_subject, PeriodCb.filter(F.subject == 0))
    router.callback_query.register(on_student, PeriodCb.filter(F.student == 0))
    router.callback_query.register(on_value, PeriodCb.filter(F.value == ""))
    router.callback_query.register(on_save, PeriodCb.filter())
    return router
