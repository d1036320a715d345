"""Marking attendance: one message of buttons, a tap toggles a student, nothing is told until Save."""

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import AttCb, AttOp, LessonAct, LessonCb
from handlers.journal_render import day, short_name
from handlers.journal_today import card_view
from handlers.keyboards import Keyboard, pairs
from services import attendance
from services.attendance import Sheet
from services.roles import Viewer

ICONS = {"present": "✅", "absent": "❌", "late": "⏰"}
NEXT = {"present": "absent", "absent": "late", "late": "present"}


def draft_key(lesson_id: int) -> str:
    return f"att:{lesson_id}"


def sheet_view(sheet: Sheet, draft: dict[int, str]) -> tuple[str, InlineKeyboardMarkup]:
    absent = sum(m == "absent" for m in draft.values())
    late = sum(m == "late" for m in draft.values())
    lesson = sheet.lesson
    text = "\n".join(
        [
            _("Attendance: {cls}, {day}, lesson {no}").format(
                cls=sheet.school_class.name, day=day(lesson.on_date), no=lesson.lesson_no
            ),
            _("Tap a student: ✅ present → ❌ absent (ABS) → ⏰ late. Nobody is told until you save."),
            _("Absent: {absent}, late: {late}, of {total}.").format(
                absent=absent, late=late, total=len(sheet.students)
            ),
        ]
    )
    kb = Keyboard()
    for student, person in sheet.students:
        mark = draft.get(student.id, "present")
        # «ОТ» is how the regulations write an absence (004 §4).
        suffix = " " + _("ABS") if mark == "absent" else ""
        kb.button(
            text=f"{ICONS[mark]} {short_name(person.last_name, person.first_name)}{suffix}",
            callback_data=AttCb(lesson=lesson.id, op=AttOp.TOGGLE, student=student.id),
        )
    kb.button(text=_("Everyone is present"), callback_data=AttCb(lesson=lesson.id, op=AttOp.ALL_PRESENT))
    kb.button(text="💾 " + _("Save"), callback_data=AttCb(lesson=lesson.id, op=AttOp.SAVE))
    kb.button(text=_("Cancel"), callback_data=AttCb(lesson=lesson.id, op=AttOp.CANCEL))
    kb.adjust(*pairs(len(sheet.students)), 1, 2)
    return text, kb.as_markup()


async def load_draft(state: FSMContext, sheet: Sheet) -> dict[int, str]:
    data = await state.get_data()
    stored = data.get(draft_key(sheet.lesson.id))
    if stored is None:
        return dict(sheet.marks)
    return {int(k): v for k, v in stored.items()}


async def open_sheet(
    query: CallbackQuery, callback_data: LessonCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    assert isinstance(query.message, Message)
    await attendance.check_can_mark(session, viewer, callback_data.id)
    sheet = await attendance.sheet(session, viewer, callback_data.id)
    await state.update_data({draft_key(sheet.lesson.id): {str(k): v for k, v in sheet.marks.items()}})
    text, markup = sheet_view(sheet, sheet.marks)
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


async def _sheet(
    session: AsyncSession, viewer: Viewer, state: FSMContext, lesson_id: int
) -> tuple[Sheet, dict[int, str]]:
    # Checked on every tap: a forged or stale button changes nothing.
    await attendance.check_can_mark(session, viewer, lesson_id)
    sheet = await attendance.sheet(session, viewer, lesson_id)
    return sheet, await load_draft(state, sheet)


async def _show_draft(query: CallbackQuery, state: FSMContext, sheet: Sheet, draft: dict[int, str]) -> None:
    assert isinstance(query.message, Message)
    await state.update_data({draft_key(sheet.lesson.id): {str(k): v for k, v in draft.items()}})
    text, markup = sheet_view(sheet, draft)
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


async def on_toggle(
    query: CallbackQuery, callback_data: AttCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    """✅ → ❌ → ⏰ → ✅ for one student, in the draft only: nobody is told until Save."""
    sheet, draft = await _sheet(session, viewer, state, callback_data.lesson)
    student = callback_data.student
    if student not in {s.id for s, _p in sheet.students}:
        await query.answer(_("This student is not in this lesson."), show_alert=True)
        return
    draft[student] = NEXT[draft.get(student, "present")]
    await _show_draft(query, state, sheet, {k: v for k, v in draft.items() if v != "present"})


async def on_all_present(
    query: CallbackQuery, callback_data: AttCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    sheet, _draft = await _sheet(session, viewer, state, callback_data.lesson)
    await _show_draft(query, state, sheet, {})


async def _close_sheet(
    query: CallbackQuery, session: AsyncSession, viewer: Viewer, state: FSMContext, lesson_id: int, notice: str
) -> None:
    assert isinstance(query.message, Message)
    await state.update_data({draft_key(lesson_id): None})
    text, markup = await card_view(session, viewer, lesson_id)
    await query.answer(notice)
    await query.message.edit_text(f"{notice}\n\n{text}", reply_markup=markup)


async def on_save(
    query: CallbackQuery, callback_data: AttCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    _sheet_now, draft = await _sheet(session, viewer, state, callback_data.lesson)
    changed = await attendance.save(session, viewer, callback_data.lesson, draft)
    notice = _("Attendance saved.") if changed else _("Attendance saved: nothing changed.")
    await _close_sheet(query, session, viewer, state, callback_data.lesson, notice)


async def on_cancel(
    query: CallbackQuery, callback_data: AttCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    await _sheet(session, viewer, state, callback_data.lesson)
    await _close_sheet(query, session, viewer, state, callback_data.lesson, _("Nothing was saved."))


def make_router() -> Router:
    router = Router(name="journal_attendance")
    router.callback_query.register(open_sheet, LessonCb.filter(F.act == LessonAct.ATTENDANCE))
    router.callback_query.register(on_toggle, AttCb.filter(F.op == AttOp.TOGGLE))
    router.callback_query.register(on_all_present, AttCb.filter(F.op == AttOp.ALL_PRESENT))
    router.callback_query.register(on_save, AttCb.filter(F.op == AttOp.SAVE))
    router.callback_query.register(on_cancel, AttCb.filter(F.op == AttOp.CANCEL))
    return router
