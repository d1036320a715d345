"""/reports: the attendance sheet, the progress statement and a report card as an XLSX or PDF file, in a
couple of taps; the first unchosen field of the button picks the step."""

import asyncio
from contextlib import suppress
from datetime import date
from enum import StrEnum
from typing import Annotated

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from pydantic import AfterValidator
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import OptionalId
from handlers.keyboards import Keyboard, pairs, rows_of
from handlers.screens import Screen, show
from services.family import Child
from services.reports import attendance, card, choices, progress
from services.reports.choices import ReportKind
from services.roles import Role, Viewer
from views.documents import attendance_sheet, progress_statement, report_card
from views.documents.layout import Document
from views.documents.render import Format, render


def _month_or_none(value: int) -> int:
    """A month as YYYYMM (202611), or 0 while not chosen."""
    if value != 0 and not (200001 <= value <= 210012 and 1 <= value % 100 <= 12):
        raise ValueError("not a month of the diary")
    return value


class Kind(StrEnum):
    NOT_CHOSEN = ""
    ATTENDANCE = ReportKind.ATTENDANCE.value
    PROGRESS = ReportKind.PROGRESS.value
    CARD = ReportKind.CARD.value


class Fmt(StrEnum):
    NOT_CHOSEN = ""
    XLSX = Format.XLSX.value
    PDF = Format.PDF.value


class ReportCb(CallbackData, prefix="rp"):
    """A report: its kind, the class, the student (a card), the month (attendance) or the period, the format;
    a format chosen makes the file."""

    kind: Kind = Kind.NOT_CHOSEN
    cls: OptionalId = 0
    student: OptionalId = 0
    month: Annotated[int, AfterValidator(_month_or_none)] = 0
    period: OptionalId = 0
    fmt: Fmt = Fmt.NOT_CHOSEN
    school: bool = False  # every class of the school, a sheet each (the administration)


KIND_LABELS = {
    ReportKind.ATTENDANCE: "📅 ",
    ReportKind.PROGRESS: "📊 ",
    ReportKind.CARD: "🎓 ",
}


def kind_name(kind: ReportKind) -> str:
    names = {
        ReportKind.ATTENDANCE: _("Attendance sheet"),
        ReportKind.PROGRESS: _("Progress statement"),
        ReportKind.CARD: _("Report card"),
    }
    return names[kind]


def _staff(viewer: Viewer) -> bool:
    """A class teacher or an administrator: makes a class's reports and any of its students' cards."""
    return bool(viewer.roles & {Role.ADMIN, Role.TUTOR})


def _back(kb: Keyboard, text: str, cb: ReportCb) -> None:
    kb.button(text="◀ " + text, callback_data=cb)


FORMAT_ROW = 2  # the option with PDF, and XLSX beside it


def _format_rows(kb: Keyboard, label: str, cb: ReportCb) -> None:
    """An option and its two formats on one row: a tap makes the file."""
    kb.button(text=f"{label} · PDF", callback_data=cb.model_copy(update={"fmt": Fmt.PDF}))
    kb.button(text="XLSX", callback_data=cb.model_copy(update={"fmt": Fmt.XLSX}))


async def kinds_screen(session: AsyncSession, viewer: Viewer) -> Screen:
    viewer.require_any(Role.ADMIN, Role.TUTOR, Role.TEACHER, Role.PARENT, Role.STUDENT)
    kinds = choices.kinds_for(viewer)
    kb = Keyboard()
    for kind in kinds:
        kb.button(text=KIND_LABELS[kind] + kind_name(kind), callback_data=ReportCb(kind=Kind(kind.value)))
    kb.adjust(1)
    return _("Which report? It comes as a file, PDF or XLSX."), kb.as_markup()


def _only_kind(viewer: Viewer) -> bool:
    """A family (or anyone with one report): the menu of kinds would hold one item, so it is skipped."""
    return len(choices.kinds_for(viewer)) == 1


def _no_card_note(kids: list[Child]) -> str:
    """The children in a first grade, said rather than left out: they have no report card."""
    return "\n".join(
        _("{name} ({cls}) has no report card: the first grade gets no grades, only attendance is kept.").format(
            name=kid.name, cls=kid.class_name
        )
        for kid in kids
    )


def _ungraded_note(names: list[str]) -> str:
    """Classes without grades, said on the list of classes rather than missing from it."""
    if not names:
        return ""
    return _("{classes}: no grades are given there, so there is no statement or report card.").format(
        classes=", ".join(names)
    )


def _with_note(screen: Screen, note: str) -> Screen:
    text, markup = screen
    return (text + "\n\n" + note if note else text), markup


async def class_screen(session: AsyncSession, viewer: Viewer, cb: ReportCb) -> Screen:
    kind = ReportKind(cb.kind.value)
    classes = await choices.classes(session, viewer, kind) if kind is not ReportKind.CARD or _staff(viewer) else []
    kids, ungraded = await choices.children(session, viewer) if kind is ReportKind.CARD else ([], [])
    note = _no_card_note(ungraded)
    if kind is not ReportKind.CARD or _staff(viewer):
        note = "\n".join(
            x for x in (_ungraded_note([c.name for c in await choices.ungraded(session, viewer, kind)]), note) if x
        )
    # The only choice is made at once: a class teacher's own class, a family's only child.
    if len(classes) == 1 and not kids:
        return _with_note(await step_screen(session, viewer, cb.model_copy(update={"cls": classes[0].id})), note)
    if len(kids) == 1 and not classes:
        chosen = cb.model_copy(update={"cls": kids[0].class_id, "student": kids[0].student_id})
        return _with_note(await period_screen(session, viewer, chosen), note)
    kb = Keyboard()
    for school_class in classes:
        kb.button(text=school_class.name, callback_data=cb.model_copy(update={"cls": school_class.id}))
    sizes = rows_of(len(classes), 4)
    if Role.ADMIN in viewer.roles and kind is not ReportKind.CARD and len(classes) > 1:
        kb.button(text="🏫 " + _("Whole school"), callback_data=cb.model_copy(update={"school": True}))
        sizes.append(1)
    for kid in kids:
        label = f"{kid.name}, {kid.class_name}"
        kb.button(text=label, callback_data=cb.model_copy(update={"cls": kid.class_id, "student": kid.student_id}))
    if not _only_kind(viewer):
        _back(kb, _("reports"), ReportCb())
    kb.adjust(*sizes, *([1] * len(kids)), 1)
    if not classes and not kids:
        if kind is ReportKind.CARD and not _staff(viewer):
            return note or _("There is no report card to make: a first grade gets no grades."), kb.as_markup()
        return note or _("There is no class for this report of yours."), kb.as_markup()
    if not classes:
        return _with_note((_("Report card: choose the child."), kb.as_markup()), note)
    return _with_note((kind_name(kind) + ": " + _("choose the class."), kb.as_markup()), note)


async def student_screen(session: AsyncSession, viewer: Viewer, cb: ReportCb) -> Screen:
    kb = Keyboard()
    pupils = await choices.students(session, viewer, cb.cls)
    for pupil in pupils:
        kb.button(text=pupil.name, callback_data=cb.model_copy(update={"student": pupil.student_id}))
    await _back_to_classes(session, viewer, kb, ReportKind.CARD)
    kb.adjust(*pairs(len(pupils)), 1)
    return _("Report card: choose the student."), kb.as_markup()


async def _back_to_classes(session: AsyncSession, viewer: Viewer, kb: Keyboard, kind: ReportKind) -> None:
    """Back one step: to the list of classes where there was one to choose from, else to the reports."""
    if len(await choices.classes(session, viewer, kind)) > 1:
        _back(kb, _("classes"), ReportCb(kind=Kind(kind.value)))
    elif not _only_kind(viewer):
        _back(kb, _("reports"), ReportCb())


async def month_screen(session: AsyncSession, viewer: Viewer, cb: ReportCb) -> Screen:
    name, months = await choices.months(session, viewer, None if cb.school else cb.cls)
    kb = Keyboard()
    locale = get_i18n().current_locale
    for first in months:
        label = format_date(first, "LLLL y", locale=locale).capitalize()
        _format_rows(kb, label, cb.model_copy(update={"month": first.year * 100 + first.month}))
    await _back_to_classes(session, viewer, kb, ReportKind.ATTENDANCE)
    kb.adjust(*[FORMAT_ROW] * len(months), 1)
    if not months and name is None:
        return _("There are no lessons in the journal yet, so there is no sheet to make."), kb.as_markup()
    if not months:
        return _("There are no lessons of this class in the journal yet, so there is no sheet to make."), kb.as_markup()
    whose = name if name is not None else _("whole school")
    return _("Attendance sheet, {whose}: choose the month and the format.").format(whose=whose), kb.as_markup()


async def _card_back(session: AsyncSession, viewer: Viewer, kb: Keyboard, cb: ReportCb) -> None:
    """From a card's periods: to the class's students (staff), to the children (a family of several), to
    the reports where there are others; a family with one child and one report has nowhere to go back to."""
    if _staff(viewer):
        _back(kb, _("students"), ReportCb(kind=cb.kind, cls=cb.cls))
        return
    kids, _ungraded = await choices.children(session, viewer)
    if len(kids) > 1:
        _back(kb, _("children"), ReportCb(kind=cb.kind))
    elif not _only_kind(viewer):
        _back(kb, _("reports"), ReportCb())


async def period_screen(session: AsyncSession, viewer: Viewer, cb: ReportCb) -> Screen:
    periods = await choices.periods(session, viewer)
    kb = Keyboard()
    for period in periods:
        _format_rows(kb, period.name, cb.model_copy(update={"period": period.id}))
    if cb.kind is Kind.CARD:
        await _card_back(session, viewer, kb, cb)
        pupil, class_name = await choices.card_pupil(session, viewer, cb.student)
        # Staff read lists surname first; a family's screens name the child as the family does.
        name = pupil.name if _staff(viewer) else f"{pupil.first_name} {pupil.last_name}"
        text = _("Report card of {name}, {cls}: choose the period and the format.").format(name=name, cls=class_name)
    else:
        await _back_to_classes(session, viewer, kb, ReportKind(cb.kind.value))
        whose = _("whole school") if cb.school else await choices.class_name(session, viewer, cb.cls)
        text = _("Progress statement, {whose}: choose the period and the format.").format(whose=whose)
    kb.adjust(*[FORMAT_ROW] * len(periods), 1)
    return text, kb.as_markup()


async def step_screen(session: AsyncSession, viewer: Viewer, cb: ReportCb) -> Screen:
    """The screen of the first field not chosen yet."""
    if cb.kind is Kind.CARD and not cb.student:
        if cb.cls and _staff(viewer):
            return await student_screen(session, viewer, cb)
        return await class_screen(session, viewer, cb)
    if not cb.cls and not cb.school and cb.kind is not Kind.CARD:
        return await class_screen(session, viewer, cb)
    if cb.kind is Kind.ATTENDANCE:
        return await month_screen(session, viewer, cb)
    return await period_screen(session, viewer, cb)


async def document_of(session: AsyncSession, viewer: Viewer, cb: ReportCb, locale: str) -> Document:
    """The report's data, from the service that checks the person's right to it on this call too."""
    if cb.kind is Kind.ATTENDANCE:
        month = date(cb.month // 100, cb.month % 100, 1)
        if cb.school:
            return attendance_sheet.document(await attendance.school_sheets(session, viewer, None, month), locale)
        return attendance_sheet.document([await attendance.class_sheet(session, viewer, cb.cls, month)], locale)
    if cb.kind is Kind.PROGRESS:
        if cb.school:
            statements = await progress.school_statements(session, viewer, None, cb.period)
            return progress_statement.document(statements, locale)
        statement = await progress.class_statement(session, viewer, cb.cls, cb.period)
        return progress_statement.document([statement], locale)
    return report_card.document(await card.report_card(session, viewer, cb.student, cb.period), locale)


async def reports(message: Message, command: CommandObject, session: AsyncSession, viewer: Viewer) -> None:
    text, markup = await kinds_screen(session, viewer)
    kinds = choices.kinds_for(viewer)
    if len(kinds) == 1:  # a family: the report card is the only one
        text, markup = await step_screen(session, viewer, ReportCb(kind=Kind(kinds[0].value)))
    screen_text = text
    given = (command.args or "").strip()
    if given:  # the class, child and period are chosen with the buttons; a word after the command is not taken
        text = _("/reports takes nothing after it ({given}): choose with the buttons below.").format(given=given)
        text += "\n\n" + screen_text
    await message.answer(text, reply_markup=markup)


async def on_kinds(query: CallbackQuery, session: AsyncSession, viewer: Viewer) -> None:
    await show(query, await kinds_screen(session, viewer))


async def on_step(query: CallbackQuery, callback_data: ReportCb, session: AsyncSession, viewer: Viewer) -> None:
    await show(query, await step_screen(session, viewer, callback_data))


async def on_make(query: CallbackQuery, callback_data: ReportCb, session: AsyncSession, viewer: Viewer) -> None:
    """The file: the data first (a refusal or an empty month is said at once), then "making it…" while the
    document is drawn off the event loop, then the file itself."""
    assert isinstance(query.message, Message)
    cb = callback_data
    if (cb.kind is Kind.ATTENDANCE and not cb.month) or (cb.kind is not Kind.ATTENDANCE and not cb.period):
        await show(query, await step_screen(session, viewer, cb))
        return
    document = await document_of(session, viewer, cb, get_i18n().current_locale)
    await query.answer()
    making = await query.message.answer(_("Making the report, a moment…"))
    try:
        content, name = await asyncio.to_thread(render, document, Format(cb.fmt.value))
        # A family's card is the child's diary: like every family screen, it cannot be forwarded.
        family_only = cb.kind is Kind.CARD and not _staff(viewer)
        await query.message.answer_document(
            BufferedInputFile(content, filename=name), caption=_caption(document), protect_content=family_only
        )
    finally:  # the file came, or the error handler says why it did not: "making it…" is not left behind
        with suppress(TelegramAPIError):
            await making.delete()


def _caption(document: Document) -> str:
    """What the file holds: the class and the month or period; the whole school's, how many classes."""
    first = document.sections[0]
    if len(document.sections) == 1:
        return first.title + " — " + " · ".join(first.heading[1:3])
    count = len(document.sections)
    classes = ngettext("{count} class", "{count} classes", count).format(count=count)
    return first.title + " — " + " · ".join([_("whole school"), first.heading[2], classes])


def make_router() -> Router:
    router = Router(name="reports")
    router.message.register(reports, Command("reports"))
    router.callback_query.register(on_kinds, ReportCb.filter(F.kind == Kind.NOT_CHOSEN))
    router.callback_query.register(on_step, ReportCb.filter(F.fmt == Fmt.NOT_CHOSEN))
    router.callback_query.register(on_make, ReportCb.filter())
    return router
