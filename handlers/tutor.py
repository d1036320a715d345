"""The class teacher's screens: /absences with reasons, and /class for today and the week."""

from datetime import date, timedelta

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.absence_notes import KIND_LABELS
from handlers.callbacks import NoteCb, NoteOp, ReasonCb, ReasonOp, ReasonValue
from handlers.journal_render import REASON_LABELS, day, lesson_ref
from handlers.keyboards import Keyboard
from handlers.render import chunks
from locales.i18n import day_in_words
from services import absence_notes, absences, clock, family, journal_views, summaries
from services.absences import AbsentDay
from services.journal_views import MissingLesson
from services.roles import Viewer

REASONS = (ReasonValue.ILLNESS, ReasonValue.EXCUSED, ReasonValue.UNEXCUSED)  # the buttons, in this order


class ReasonNote(StatesGroup):
    text = State()


def absences_view(all_days: list[AbsentDay]) -> tuple[str, InlineKeyboardMarkup | None]:
    days = [d for d in all_days if d.editable]
    closed = len(all_days) - len(days)
    closed_line = ngettext(
        "{count} older day without a reason is past the edit window: its journal is closed (ask the school "
        "administration).",
        "{count} older days without a reason are past the edit window: their journal is closed (ask the school "
        "administration).",
        closed,
    ).format(count=closed)
    if not days:
        return (closed_line if closed else _("No absences are waiting for a reason.")), None
    lines = [
        _(
            "Absences without a reason, oldest first. A button gives the reason for the student's whole day; "
            "“by lesson” gives it one lesson at a time."
        )
    ]
    kb = Keyboard()
    shown = days[:15]
    for number, item in enumerate(shown, start=1):
        flag = " ⚠️ " + _("over 2 working days") if item.overdue else ""
        lessons = ", ".join(lesson_ref(m.lesson_no, m.subject) for m in item.lessons)
        lines.append(f"\n{number}. {item.student_name}, {day(item.on_date)}{flag}\n{lessons}")
        for reason in REASONS:
            kb.button(
                text=f"{number}: {_(REASON_LABELS[reason])}",
                callback_data=ReasonCb(reason=reason, student=item.student_id, day=item.on_date.toordinal()),
            )
        kb.button(
            text=f"{number}: " + _("by lesson"),
            callback_data=ReasonCb(
                reason=ReasonValue.NONE, student=item.student_id, day=item.on_date.toordinal(), op=ReasonOp.LESSONS
            ),
        )
    if len(days) > len(shown):
        lines.append("\n" + _("…and {count} more days; give these reasons first.").format(count=len(days) - len(shown)))
    if closed:
        lines.append("\n" + closed_line)
    kb.adjust(4)
    return "\n".join(lines), kb.as_markup()


async def show_absences(message: Message, session: AsyncSession, viewer: Viewer) -> None:
    text, markup = absences_view(await absences.unexplained(session, viewer))
    # Children's absences and the families' notes stay in this chat.
    await message.answer(text, reply_markup=markup, protect_content=True)
    for note, name in await absence_notes.waiting(session, viewer):
        kb = Keyboard()
        kb.button(text="✅ " + _("Confirm"), callback_data=NoteCb(note=note.id, op=NoteOp.CONFIRM))
        kb.button(text="✖ " + _("Reject"), callback_data=NoteCb(note=note.id, op=NoteOp.REJECT))
        body = _("A note from the family waits for your decision: {name}, {day}: {kind}.").format(
            name=name, day=day(note.on_date), kind=_(KIND_LABELS[note.kind])
        )
        await message.answer(
            body + (f"\n{note.text}" if note.text else ""), reply_markup=kb.as_markup(), protect_content=True
        )


async def on_list(query: CallbackQuery, session: AsyncSession, viewer: Viewer) -> None:
    """Back from a day's lessons to every absence still waiting for a reason."""
    assert isinstance(query.message, Message)
    text, markup = absences_view(await absences.unexplained(session, viewer))
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


def _day_of(cb: ReasonCb) -> date | None:
    return date.fromordinal(cb.day) if cb.day else None


async def on_by_lesson(query: CallbackQuery, callback_data: ReasonCb, session: AsyncSession, viewer: Viewer) -> None:
    """A student's day split into its lessons, a reason for each."""
    assert isinstance(query.message, Message)
    cb = callback_data
    waiting = await absences.unexplained(session, viewer)
    item = next((d for d in waiting if d.student_id == cb.student and d.on_date.toordinal() == cb.day), None)
    if item is None:
        await query.answer(_("There is no such absence in the journal."), show_alert=True)
        return
    kb = Keyboard()
    for missed in item.lessons:
        for reason in REASONS:
            kb.button(
                text=f"{lesson_ref(missed.lesson_no, missed.subject)}: {_(REASON_LABELS[reason])}",
                callback_data=ReasonCb(reason=reason, att=missed.attendance_id),
            )
    kb.button(text="◀ " + _("all absences"), callback_data=ReasonCb(reason=ReasonValue.NONE, op=ReasonOp.LIST))
    kb.adjust(1)
    await query.answer()
    await query.message.edit_text(f"{item.student_name}, {day(item.on_date)}", reply_markup=kb.as_markup())


async def on_ask_note(
    query: CallbackQuery, callback_data: ReasonCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    """A note or a document for a reason: the right to give it is checked before anything is typed."""
    assert isinstance(query.message, Message)
    cb = callback_data
    await absences.reasonable_absences(
        session, viewer, attendance_id=cb.att or None, student_id=cb.student or None, on_date=_day_of(cb)
    )
    await state.set_state(ReasonNote.text)
    await state.update_data(reason=cb.reason, att=cb.att, student=cb.student, day=cb.day)
    await query.answer()
    await query.message.answer(_("Send the note as text, or a photo of the document."))


async def on_set_reason(query: CallbackQuery, callback_data: ReasonCb, session: AsyncSession, viewer: Viewer) -> None:
    assert isinstance(query.message, Message)
    cb = callback_data
    changed = await absences.give_reason(
        session,
        viewer,
        reason=cb.reason,
        attendance_id=cb.att or None,
        student_id=cb.student or None,
        on_date=_day_of(cb),
    )
    kb = Keyboard()
    kb.button(
        text=_("Add a note or a document"),
        callback_data=ReasonCb(reason=cb.reason, att=cb.att, student=cb.student, day=cb.day, op=ReasonOp.NOTE),
    )
    text, markup = absences_view(await absences.unexplained(session, viewer))
    notice = _("Reason “{reason}” saved for {count} lesson(s).").format(
        reason=_(REASON_LABELS[cb.reason]), count=len(changed)
    )
    await query.answer(notice)
    await query.message.edit_text(f"{notice}\n\n{text}", reply_markup=markup)
    await query.message.answer(
        _("You can attach a note or a photo of the document to it."), reply_markup=kb.as_markup()
    )


async def got_note(message: Message, session: AsyncSession, viewer: Viewer, state: FSMContext) -> None:
    data = await state.get_data()
    file_id = message.photo[-1].file_id if message.photo else message.document.file_id if message.document else None
    note = message.text or message.caption
    if not note and not file_id:
        await message.answer(_("Send the note as text, or a photo of the document."))
        return
    await absences.give_reason(
        session,
        viewer,
        reason=data["reason"],
        attendance_id=data.get("att") or None,
        student_id=data.get("student") or None,
        on_date=date.fromordinal(data["day"]) if data.get("day") else None,
        note=note,
        file_id=file_id,
    )
    await state.set_state(None)
    await message.answer(_("The note is kept with the reason."))


def missing_lines(missing: list[MissingLesson]) -> list[str]:
    """Each begun lesson still without its topic or homework, with its group and who fills it in."""
    if not missing:
        return []
    lines = ["", _("Lessons without a topic or homework:")]
    shown_day = None
    for item in missing:
        if item.on_date != shown_day:
            shown_day = item.on_date
            lines.append(f"  {day(item.on_date)}:")
        group = " " + _("(group {group})").format(group=item.subgroup) if item.subgroup else ""
        lacking = ((_("no topic"), item.no_topic), (_("no homework"), item.no_homework))
        what = ", ".join(label for label, missing in lacking if missing)
        lines.append(f"    {item.lesson_no}. {item.subject}{group}, {item.teacher}: {what}")
    return lines


def _in_words(on: date) -> str:
    return day_in_words(on, get_i18n().current_locale)


def receipt_lines(week: date, got: summaries.Receipts) -> list[str]:
    """Who read the week's summary, counted among the families that received it; the others said apart."""
    if got.received:
        head = ngettext(
            "Weekly summary of {date}: seen by {seen} of {total} family that received it.",
            "Weekly summary of {date}: seen by {seen} of {total} families that received it.",
            got.received,
        ).format(date=_in_words(week), seen=len(got.seen), total=got.received)
    else:
        head = _("Weekly summary of {date}: no family has received it.").format(date=_in_words(week))
    lines = ["", head]
    if got.not_seen:
        lines.append(_("Not yet: {names}").format(names=", ".join(got.not_seen)))
    if got.not_received:
        lines.append(
            _("Connected, but did not receive it (notifications off or not delivered yet): {names}").format(
                names=", ".join(got.not_received)
            )
        )
    if got.not_connected:
        lines.append(
            ngettext(
                "{count} family is not connected to the bot yet (no linked account with consent): /codes.",
                "{count} families are not connected to the bot yet (no linked account with consent): /codes.",
                got.not_connected,
            ).format(count=got.not_connected)
        )
    return lines


async def show_class(message: Message, session: AsyncSession, viewer: Viewer) -> None:
    school_class = await absences.tutor_class(session, viewer, None)
    view = await journal_views.class_overview(session, viewer, school_class)
    lines = [_("Class {name}, {day}").format(name=school_class.name, day=day(view.today)), "", _("Absent today:")]
    if not view.absent_today:
        lines.append("  " + (_("nobody so far") if view.unmarked_today else _("nobody")))
    for name, missed in view.absent_today:
        parts = [
            f"{no} {subject}" + (f" ({_(REASON_LABELS[reason])})" if reason else "") for no, subject, reason in missed
        ]
        lines.append(f"  {name}: " + ", ".join(parts))
    if view.unmarked_today:
        lines.append(
            "  "
            + _("Roll call not saved yet: {lessons}.").format(
                lessons=", ".join(f"{no} {subject}" for no, subject in view.unmarked_today)
            )
        )
    lines += [
        "",
        _("This week: {count} missed lessons, {unexplained} without a reason.").format(
            count=view.week_absences, unexplained=view.week_unexplained
        ),
        "",
        _("Grades this week:"),
    ]
    if not view.grades_by_subject:
        lines.append("  " + _("none yet"))
    for subject, values in view.grades_by_subject.items():
        lines.append(f"  {subject}: " + ", ".join(f"{name} {value}" for name, value in values))
    lines += missing_lines(view.missing)
    assert viewer.school is not None
    week = summaries.due_week(viewer.school, clock.now()) or (family.week_start(view.today) - timedelta(days=7))
    lines += receipt_lines(week, await summaries.receipts(session, viewer, school_class.id, week))
    for part in chunks(lines):
        await message.answer(part, protect_content=True)


def make_router() -> Router:
    router = Router(name="tutor")
    router.message.register(show_absences, Command("absences"))
    router.message.register(show_class, Command("class"))
    router.callback_query.register(on_by_lesson, ReasonCb.filter(F.op == ReasonOp.LESSONS))
    router.callback_query.register(on_list, ReasonCb.filter(F.op == ReasonOp.LIST))
    router.callback_query.register(on_ask_note, ReasonCb.filter(F.op == ReasonOp.NOTE))
    router.callback_query.register(on_set_reason, ReasonCb.filter(F.op == ReasonOp.SET))
    router.message.register(got_note, ReasonNote.text)
    return router
