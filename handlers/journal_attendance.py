"""Marking attendance: one message of buttons, a tap toggles a student, nothing is told until Save."""

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import AttCb, AttOp, LessonAct, LessonCb
from handlers.journal_render import day, short_name
from handlers.journal_today import card_view
from handlers.keyboards import Keyboard
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
    kb.adjust(*([2] * ((len(sheet.students) + 1) // 2)), 1, 2)
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


async def sheet_action(
    query: CallbackQuery, callback_data: AttCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    assert isinstance(query.message, Message)
    lesson_id = callback_data.lesson
    # Checked on every tap: a forged or stale button changes nothing.
    await attendance.check_can_mark(session, viewer, lesson_id)
    sheet = await attendance.sheet(session, viewer, lesson_id)
    draft = await load_draft(state, sheet)
    if callback_data.op == AttOp.TOGGLE:
        if callback_data.student not in {s.id for s, _p in sheet.students}:
            await query.answer(_("This student is not in this lesson."), show_alert=True)
            return
        draft[callback_data.student] = NEXT[draft.get(callback_data.student, "present")]
        draft = {k: v for k, v in draft.items() if v != "present"}
    elif callback_data.op == AttOp.ALL_PRESENT:
        draft = {}
    elif callback_data.op in (AttOp.SAVE, AttOp.CANCEL):
        if callback_data.op == AttOp.SAVE:
            changed = await attendance.save(session, viewer, lesson_id, draft)
            notice = _("Attendance saved.") if changed else _("Attendance saved: nothing changed.")
        else:
            notice = _("Nothing was saved.")
        await state.update_data({draft_key(lesson_id): None})
        text, markup = await card_view(session, viewer, lesson_id)
        await query.answer(notice)
        await query.message.edit_text(f"{notice}\n\n{text}", reply_markup=markup)
        return
    await state.update_data({draft_key(lesson_id): {str(k): v for k, v in draft.items()}})
    text, markup = sheet_view(sheet, draft)
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


def make_router() -> Router:
    router = Router(name="journal_attendance")
    router.callback_query.register(open_sheet, LessonCb.filter(F.act == LessonAct.ATTENDANCE))
    router.callback_query.register(sheet_action, AttCb.filter())
    return router
