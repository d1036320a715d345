"""/period: period grades, with the student's grades and average in that period beside the choice."""

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import PeriodCb
from handlers.journal_render import PERIOD_MARKS, period_value
from handlers.keyboards import Keyboard
from services import period_grades
from services.roles import Viewer


async def step(session: AsyncSession, viewer: Viewer, cb: PeriodCb) -> tuple[str, InlineKeyboardMarkup]:
    kb = Keyboard()
    viewer.require_linked()
    if not cb.cls:
        for school_class in await period_grades.classes_for(session, viewer):
            kb.button(text=school_class.name, callback_data=PeriodCb(cls=school_class.id))
        kb.adjust(4)
        return _("Period grades: choose the class."), kb.as_markup()
    if not cb.period:
        for period in await period_grades.periods(session, viewer):
            kb.button(text=period.name, callback_data=PeriodCb(cls=cb.cls, period=period.id))
        kb.adjust(3)
        return _("Choose the period."), kb.as_markup()
    if not cb.subject:
        for subject in await period_grades.subjects_for(session, viewer, cb.cls):
            kb.button(text=subject.name, callback_data=PeriodCb(cls=cb.cls, period=cb.period, subject=subject.id))
        kb.adjust(2)
        return _("Choose the subject."), kb.as_markup()
    if not cb.student:
        rows = await period_grades.class_sheet(
            session, viewer, class_id=cb.cls, subject_id=cb.subject, period_id=cb.period
        )
        for row in rows:
            avg = f" ({row.average:.2f})" if row.average is not None else ""
            value = f" → {period_value(row.value)}" if row.value else ""
            kb.button(
                text=f"{row.name}{avg}{value}",
                callback_data=PeriodCb(cls=cb.cls, period=cb.period, subject=cb.subject, student=row.student_id),
            )
        kb.adjust(2)
        return _("Choose a student: the average is in brackets, the period grade after the arrow."), kb.as_markup()
    standing = await period_grades.standing(
        session, viewer, class_id=cb.cls, subject_id=cb.subject, period_id=cb.period, student_id=cb.student
    )
    school = viewer.school
    assert school is not None
    for value in [str(v) for v in range(school.grade_min, school.grade_max + 1)] + list(PERIOD_MARKS):
        kb.button(
            text=period_value(value),
            callback_data=PeriodCb(cls=cb.cls, period=cb.period, subject=cb.subject, student=cb.student, value=value),
        )
    kb.button(text="◀ " + _("students"), callback_data=PeriodCb(cls=cb.cls, period=cb.period, subject=cb.subject))
    kb.adjust(school.grade_max - school.grade_min + 1, len(PERIOD_MARKS), 1)
    grades = ", ".join(str(v) for v in standing.grades) or _("no grades")
    average = f"{standing.average:.2f}" if standing.average is not None else "—"
    current = period_value(standing.current.value) if standing.current else "—"
    return _("Grades in the period: {grades}\nAverage: {average}\nPeriod grade now: {current}").format(
        grades=grades, average=average, current=current
    ), kb.as_markup()


async def start(message: Message, session: AsyncSession, viewer: Viewer) -> None:
    classes = await period_grades.classes_for(session, viewer)
    cb = PeriodCb(cls=classes[0].id) if len(classes) == 1 else PeriodCb()
    text, markup = await step(session, viewer, cb)
    await message.answer(text, reply_markup=markup)


async def on_step(query: CallbackQuery, callback_data: PeriodCb, session: AsyncSession, viewer: Viewer) -> None:
    assert isinstance(query.message, Message)
    cb = callback_data
    notice = ""
    if cb.value:
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
        cb = PeriodCb(cls=cb.cls, period=cb.period, subject=cb.subject)
    text, markup = await step(session, viewer, cb)
    await query.answer(notice or None)
    await query.message.edit_text(f"{notice}\n\n{text}" if notice else text, reply_markup=markup)


def make_router() -> Router:
    router = Router(name="period_grades")
    router.message.register(start, Command("period"))
    router.callback_query.register(on_step, PeriodCb.filter())
    return router
