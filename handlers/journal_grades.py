"""Grades from a phone: a student, a value in the school's scale, a kind of work; edit and remove."""

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import GradeCb, GradeEditCb, GradeEditOp, GradeOp, LessonAct, LessonCb
from handlers.journal_render import day, short_name
from handlers.journal_today import actions
from handlers.keyboards import Keyboard
from services import grades
from services.class_lists import lesson_students
from services.roles import Viewer


class GradeComment(StatesGroup):
    text = State()


async def students_view(
    session: AsyncSession, viewer: Viewer, lesson_id: int, notice: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    g = await grades.gradable(session, viewer, lesson_id)
    given: dict[int, list[str]] = {}
    for grade in await grades.of_lesson(session, lesson_id):
        given.setdefault(grade.student_id, []).append(str(grade.value))
    kb = Keyboard()
    students = await lesson_students(session, g.lesson)
    for student, person in students:
        marks = ", ".join(given.get(student.id, []))
        kb.button(
            text=f"{short_name(person.last_name, person.first_name)}{' — ' + marks if marks else ''}",
            callback_data=GradeCb(lesson=lesson_id, op=GradeOp.PICK_STUDENT, student=student.id),
        )
    kb.button(text=_("The whole class, one by one"), callback_data=GradeCb(lesson=lesson_id, op=GradeOp.SEQUENCE))
    kb.button(text="◀ " + _("the lesson"), callback_data=LessonCb(id=lesson_id, act=LessonAct.OPEN))
    actions(kb, lesson_id)  # straight on to the rest of the lesson, without going back
    kb.adjust(*([2] * ((len(students) + 1) // 2)), 1, 1, 4)
    text = _("Grades: {cls}, {day}. Choose a student.").format(cls=g.school_class.name, day=day(g.lesson.on_date))
    return (f"{notice}\n\n{text}" if notice else text), kb.as_markup()


async def value_view(
    session: AsyncSession, viewer: Viewer, lesson_id: int, student_id: int, seq: bool, notice: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    g = await grades.gradable(session, viewer, lesson_id)
    students = dict((s.id, p) for s, p in await lesson_students(session, g.lesson))
    person = students.get(student_id)
    if person is None:
        return await students_view(session, viewer, lesson_id, _("This student is not in this lesson."))
    kb = Keyboard()
    for value in range(g.school.grade_min, g.school.grade_max + 1):
        kb.button(
            text=str(value),
            callback_data=GradeCb(lesson=lesson_id, op=GradeOp.PICK_VALUE, student=student_id, value=value, seq=seq),
        )
    existing = [gr for gr in await grades.of_lesson(session, lesson_id) if gr.student_id == student_id]
    for grade in existing:
        kb.button(
            text="✏️ " + _("grade {value}").format(value=grade.value),
            callback_data=GradeEditCb(grade=grade.id, op=GradeEditOp.OPEN),
        )
    if seq:
        kb.button(
            text=_("Skip") + " ▶",
            callback_data=GradeCb(lesson=lesson_id, op=GradeOp.SKIP, student=student_id, seq=True),
        )
    kb.button(text="◀ " + _("students"), callback_data=LessonCb(id=lesson_id, act=LessonAct.GRADES))
    scale = g.school.grade_max - g.school.grade_min + 1
    kb.adjust(scale, *([1] * len(existing)), *([2] if seq else [1]))
    text = _("{name}: choose the grade.").format(name=person.full_name)
    return (f"{notice}\n\n{text}" if notice else text), kb.as_markup()


async def type_view(session: AsyncSession, viewer: Viewer, cb: GradeCb) -> tuple[str, InlineKeyboardMarkup]:
    g = await grades.gradable(session, viewer, cb.lesson)
    grades.check_value(g.school, cb.value)
    kb = Keyboard()
    for wt in g.work_types:
        kb.button(
            text=_(wt.name),
            callback_data=GradeCb(
                lesson=cb.lesson, op=GradeOp.SAVE, student=cb.student, value=cb.value, wt=wt.id, seq=cb.seq
            ),
        )
    kb.button(
        text="◀ " + _("back"),
        callback_data=GradeCb(lesson=cb.lesson, op=GradeOp.PICK_STUDENT, student=cb.student, seq=cb.seq),
    )
    kb.adjust(2)
    return _("Grade {value}: what kind of work?").format(value=cb.value), kb.as_markup()


async def next_student(session: AsyncSession, viewer: Viewer, lesson_id: int, after: int) -> int | None:
    lesson = (await grades.gradable(session, viewer, lesson_id)).lesson
    ids = [s.id for s, _p in await lesson_students(session, lesson)]
    if after == 0:
        return ids[0] if ids else None
    position = ids.index(after) + 1 if after in ids else len(ids)
    return ids[position] if position < len(ids) else None


async def on_lesson_grades(
    query: CallbackQuery, callback_data: LessonCb, session: AsyncSession, viewer: Viewer
) -> None:
    assert isinstance(query.message, Message)
    text, markup = await students_view(session, viewer, callback_data.id)
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


async def on_grade(
    query: CallbackQuery, callback_data: GradeCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    assert isinstance(query.message, Message)
    cb = callback_data
    notice = ""
    if cb.op == GradeOp.PICK_STUDENT:
        text, markup = await value_view(session, viewer, cb.lesson, cb.student, cb.seq)
    elif cb.op == GradeOp.PICK_VALUE:
        text, markup = await type_view(session, viewer, cb)
    elif cb.op in (GradeOp.SAVE, GradeOp.SKIP, GradeOp.SEQUENCE):
        if cb.op == GradeOp.SAVE:
            grade = await grades.add(session, viewer, cb.lesson, cb.student, cb.value, cb.wt or None)
            notice = _("Saved: {value}.").format(value=grade.value)
            await state.update_data(last_grade=grade.id)
        nxt = await next_student(session, viewer, cb.lesson, 0 if cb.op == GradeOp.SEQUENCE else cb.student)
        if cb.op == GradeOp.SAVE and not cb.seq:
            text, markup = await students_view(session, viewer, cb.lesson, notice)
            kb = Keyboard.from_markup(markup)
            kb.row(
                InlineKeyboardButton(
                    text=_("Add a comment to {value}").format(value=cb.value),
                    callback_data=GradeCb(lesson=cb.lesson, op=GradeOp.COMMENT, student=cb.student).pack(),
                )
            )
            markup = kb.as_markup()
        elif nxt is None:
            text, markup = await students_view(session, viewer, cb.lesson, notice + " " + _("The class is done."))
        else:
            text, markup = await value_view(session, viewer, cb.lesson, nxt, True, notice)
    elif cb.op == GradeOp.COMMENT:
        await grades.gradable(session, viewer, cb.lesson)
        await state.set_state(GradeComment.text)
        await query.answer()
        await query.message.answer(_("Send the comment to the grade as a message."))
        return
    else:
        await query.answer()
        return
    await query.answer(notice or None)
    await query.message.edit_text(text, reply_markup=markup)


async def on_comment(message: Message, session: AsyncSession, viewer: Viewer, state: FSMContext) -> None:
    data = await state.get_data()
    grade_id = data.get("last_grade")
    if not grade_id or not message.text:
        await state.set_state(None)
        await message.answer(_("The comment was not saved: send it as text right after the grade."))
        return
    grade = await grades.change(session, viewer, grade_id, comment=message.text)
    # Cleared only once saved: a refused comment (too long) can be sent again, shorter.
    await state.set_state(None)
    await message.answer(_("Comment saved to grade {value}.").format(value=grade.value))


async def on_grade_edit(
    query: CallbackQuery, callback_data: GradeEditCb, session: AsyncSession, viewer: Viewer
) -> None:
    assert isinstance(query.message, Message)
    cb = callback_data
    if cb.op == GradeEditOp.SET:
        grade = await grades.change(session, viewer, cb.grade, value=cb.value)
        text, markup = await value_view(
            session,
            viewer,
            grade.lesson_id or 0,
            grade.student_id,
            False,
            _("Changed to {value}.").format(value=grade.value),
        )
    elif cb.op == GradeEditOp.DELETE:
        grade = await grades.delete(session, viewer, cb.grade)
        text, markup = await value_view(
            session, viewer, grade.lesson_id or 0, grade.student_id, False, _("The grade is removed.")
        )
    else:
        grade, g = await grades.editable(session, viewer, cb.grade)
        kb = Keyboard()
        for value in range(g.school.grade_min, g.school.grade_max + 1):
            if value != grade.value:
                kb.button(text=str(value), callback_data=GradeEditCb(grade=grade.id, op=GradeEditOp.SET, value=value))
        kb.button(text="🗑 " + _("Remove"), callback_data=GradeEditCb(grade=grade.id, op=GradeEditOp.DELETE))
        kb.button(
            text="◀ " + _("back"),
            callback_data=GradeCb(lesson=g.lesson.id, op=GradeOp.PICK_STUDENT, student=grade.student_id),
        )
        kb.adjust(g.school.grade_max - g.school.grade_min, 2)
        text = _("Grade {value}: change it or remove it.").format(value=grade.value)
        markup = kb.as_markup()
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


def make_router() -> Router:
    router = Router(name="journal_grades")
    router.callback_query.register(on_lesson_grades, LessonCb.filter(F.act == LessonAct.GRADES))
    router.callback_query.register(on_grade, GradeCb.filter())
    router.callback_query.register(on_grade_edit, GradeEditCb.filter())
    router.message.register(on_comment, GradeComment.text)
    return router
