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
from handlers.keyboards import Keyboard, back_to_lesson, pairs
from services import grades
from services.class_lists import lesson_students, require_in_lesson
from services.roles import Viewer


class GradeComment(StatesGroup):
    text = State()


def marked(mark: str | None) -> str:
    """The attendance mark beside a name, as the paper journal has it: «н» for absent."""
    if mark == "absent":
        return " (" + _("abs.") + ")"
    if mark == "late":
        return " (" + _("late") + ")"
    return ""


async def students_view(
    session: AsyncSession, viewer: Viewer, lesson_id: int, notice: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    g = await grades.gradable(session, viewer, lesson_id)
    given: dict[int, list[str]] = {}
    for grade in await grades.of_lesson(session, viewer, lesson_id):
        given.setdefault(grade.student_id, []).append(str(grade.value))
    marks = await grades.marks_of(session, viewer, lesson_id)
    kb = Keyboard()
    students = await lesson_students(session, g.lesson)
    for student, person in students:
        values = ", ".join(given.get(student.id, []))
        kb.button(
            text=short_name(person.last_name, person.first_name)
            + marked(marks.get(student.id))
            + (" — " + values if values else ""),
            callback_data=GradeCb(lesson=lesson_id, op=GradeOp.PICK_STUDENT, student=student.id),
        )
    kb.button(text=_("The whole class, one by one"), callback_data=GradeCb(lesson=lesson_id, op=GradeOp.SEQUENCE))
    kb.button(text="◀ " + _("the lesson"), callback_data=LessonCb(id=lesson_id, act=LessonAct.OPEN))
    actions(kb, lesson_id)  # straight on to the rest of the lesson, without going back
    kb.adjust(*pairs(len(students)), 1, 1, 4)
    text = _("Grades: {cls}, {day}. Choose a student.").format(cls=g.school_class.name, day=day(g.lesson.on_date))
    return (f"{notice}\n\n{text}" if notice else text), kb.as_markup()


async def value_view(
    session: AsyncSession, viewer: Viewer, lesson_id: int, student_id: int, seq: bool, notice: str = "", wt: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """The grades to choose for one student; in a sequence with its kind of work chosen, a tap saves."""
    g = await grades.gradable(session, viewer, lesson_id)
    roll = await lesson_students(session, g.lesson)
    people = {s.id: p for s, p in roll}
    person = people.get(student_id)
    if person is None:
        return await students_view(session, viewer, lesson_id, _("This student is not in this lesson."))
    kb = Keyboard()
    saves = seq and (wt or not g.work_types)
    for value in range(g.school.grade_min, g.school.grade_max + 1):
        op = GradeOp.SAVE if saves else GradeOp.PICK_VALUE
        kb.button(
            text=str(value),
            callback_data=GradeCb(lesson=lesson_id, op=op, student=student_id, value=value, seq=seq, wt=wt),
        )
    existing = [gr for gr in await grades.of_lesson(session, viewer, lesson_id) if gr.student_id == student_id]
    for grade in existing:
        kb.button(
            text="✏️ " + _("grade {value}").format(value=grade.value),
            callback_data=GradeEditCb(grade=grade.id, op=GradeEditOp.OPEN),
        )
    if seq:
        kb.button(
            text=_("Skip") + " ▶",
            callback_data=GradeCb(lesson=lesson_id, op=GradeOp.SKIP, student=student_id, seq=True, wt=wt),
        )
    kb.button(text="◀ " + _("students"), callback_data=LessonCb(id=lesson_id, act=LessonAct.GRADES))
    scale = g.school.grade_max - g.school.grade_min + 1
    kb.adjust(scale, *([1] * len(existing)), *([2] if seq else [1]))
    lines = []
    if seq:
        position = [s.id for s, _p in roll].index(student_id) + 1
        kind = next((w.name for w in g.work_types if w.id == wt), None)
        head = _("Student {n} of {total}").format(n=position, total=len(roll))
        lines.append(f"{head} · {_(kind)}" if kind else head)
    lines.append(_("{name}: choose the grade.").format(name=person.full_name))
    mark = (await grades.marks_of(session, viewer, lesson_id)).get(student_id)
    if mark == "absent":
        lines.append(_("Marked absent in this lesson."))
    elif mark == "late":
        lines.append(_("Marked late for this lesson."))
    text = "\n".join(lines)
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


async def sequence_kind_view(session: AsyncSession, viewer: Viewer, lesson_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """The kind of work is asked once for the whole class, before the first student."""
    g = await grades.gradable(session, viewer, lesson_id)
    kb = Keyboard()
    for wt in g.work_types:
        kb.button(text=_(wt.name), callback_data=GradeCb(lesson=lesson_id, op=GradeOp.SEQUENCE, wt=wt.id))
    kb.button(text="◀ " + _("students"), callback_data=LessonCb(id=lesson_id, act=LessonAct.GRADES))
    kb.adjust(2)
    return _("The whole class, one by one: what kind of work is graded?"), kb.as_markup()


def confirm_absent_view(cb: GradeCb, name: str) -> tuple[str, InlineKeyboardMarkup]:
    kb = Keyboard()
    kb.button(
        text=_("Yes, give {value}").format(value=cb.value),
        callback_data=GradeCb(
            lesson=cb.lesson, op=GradeOp.SAVE, student=cb.student, value=cb.value, wt=cb.wt, seq=cb.seq, ok=True
        ),
    )
    back = (
        GradeCb(lesson=cb.lesson, op=GradeOp.PICK_STUDENT, student=cb.student, seq=cb.seq, wt=cb.wt)
        if cb.seq
        else LessonCb(id=cb.lesson, act=LessonAct.GRADES)
    )
    kb.button(text=_("No"), callback_data=back)
    kb.adjust(2)
    text = _(
        "{name} is marked absent in this lesson. Give {value} anyway? "
        "That happens, for instance, when work is handed in later."
    ).format(name=name, value=cb.value)
    return text, kb.as_markup()


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


async def show(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup, notice: str = "") -> None:
    assert isinstance(query.message, Message)
    await query.answer(notice or None)
    await query.message.edit_text(text, reply_markup=markup)


async def on_pick_student(query: CallbackQuery, callback_data: GradeCb, session: AsyncSession, viewer: Viewer) -> None:
    cb = callback_data
    await show(query, *await value_view(session, viewer, cb.lesson, cb.student, cb.seq, wt=cb.wt))


async def on_pick_value(query: CallbackQuery, callback_data: GradeCb, session: AsyncSession, viewer: Viewer) -> None:
    await show(query, *await type_view(session, viewer, callback_data))


async def on_save(
    query: CallbackQuery, callback_data: GradeCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    """The grade is saved (asking first for a student marked absent); alone it offers a comment, in a
    sequence the next student."""
    cb = callback_data
    try:
        grade = await grades.add(
            session, viewer, cb.lesson, cb.student, cb.value, cb.wt or None, absent_confirmed=cb.ok
        )
    except grades.AbsentNeedsConfirmation:
        lesson = (await grades.gradable(session, viewer, cb.lesson)).lesson
        people = await require_in_lesson(session, lesson, {cb.student})
        await show(query, *confirm_absent_view(cb, people[cb.student].full_name))
        return
    notice = _("Saved: {value}.").format(value=grade.value)
    if cb.seq:
        # The next student's name follows: say whose grade was saved.
        people = await require_in_lesson(
            session, (await grades.gradable(session, viewer, cb.lesson)).lesson, {cb.student}
        )
        person = people[cb.student]
        notice = _("Saved: {name} — {value}.").format(
            name=short_name(person.last_name, person.first_name), value=grade.value
        )
        await show(query, *await next_in_sequence(session, viewer, cb.lesson, cb.student, notice, cb.wt), notice)
        return
    text, markup = await students_view(session, viewer, cb.lesson, notice)
    kb = Keyboard.from_markup(markup)
    kb.row(
        InlineKeyboardButton(
            text=_("Add a comment to {value}").format(value=cb.value),
            callback_data=GradeCb(lesson=cb.lesson, op=GradeOp.COMMENT, student=cb.student, grade=grade.id).pack(),
        )
    )
    await show(query, text, kb.as_markup(), notice)


async def on_sequence(query: CallbackQuery, callback_data: GradeCb, session: AsyncSession, viewer: Viewer) -> None:
    """The whole class one by one: the kind of work once, then from the first student."""
    cb = callback_data
    if not cb.wt and (await grades.gradable(session, viewer, cb.lesson)).work_types:
        await show(query, *await sequence_kind_view(session, viewer, cb.lesson))
        return
    await show(query, *await next_in_sequence(session, viewer, cb.lesson, 0, wt=cb.wt))


async def on_skip(query: CallbackQuery, callback_data: GradeCb, session: AsyncSession, viewer: Viewer) -> None:
    cb = callback_data
    await show(query, *await next_in_sequence(session, viewer, cb.lesson, cb.student, wt=cb.wt))


async def next_in_sequence(
    session: AsyncSession, viewer: Viewer, lesson_id: int, after: int, notice: str = "", wt: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    nxt = await next_student(session, viewer, lesson_id, after)
    if nxt is None:
        return await students_view(session, viewer, lesson_id, (notice + " " + _("The class is done.")).strip())
    return await value_view(session, viewer, lesson_id, nxt, True, notice, wt)


async def on_ask_comment(
    query: CallbackQuery, callback_data: GradeCb, session: AsyncSession, viewer: Viewer, state: FSMContext
) -> None:
    assert isinstance(query.message, Message)
    grade, _gradable = await grades.editable(session, viewer, callback_data.grade)
    await state.set_state(GradeComment.text)
    await state.update_data(comment_grade=grade.id)
    await query.answer()
    await query.message.answer(_("Send the comment to the grade as a message."))


async def on_comment(message: Message, session: AsyncSession, viewer: Viewer, state: FSMContext) -> None:
    data = await state.get_data()
    grade_id = data.get("comment_grade")
    if not grade_id or not message.text:
        await state.set_state(None)
        await message.answer(_("The comment was not saved: send it as text right after the grade."))
        return
    grade = await grades.change(session, viewer, grade_id, comment=message.text)
    # Cleared only once saved: a refused comment (too long) can be sent again, shorter.
    await state.set_state(None)
    await message.answer(
        _("Comment saved to grade {value}.").format(value=grade.value),
        reply_markup=back_to_lesson(grade.lesson_id or 0),
    )


async def on_grade_open(
    query: CallbackQuery, callback_data: GradeEditCb, session: AsyncSession, viewer: Viewer
) -> None:
    grade, g = await grades.editable(session, viewer, callback_data.grade)
    kb = Keyboard()
    for value in range(g.school.grade_min, g.school.grade_max + 1):
        if value != grade.value:
            kb.button(text=str(value), callback_data=GradeEditCb(grade=grade.id, op=GradeEditOp.SET, value=value))
    kb.button(text="🗑 " + _("Remove"), callback_data=GradeEditCb(grade=grade.id, op=GradeEditOp.ASK_DELETE))
    kb.button(
        text="◀ " + _("back"),
        callback_data=GradeCb(lesson=g.lesson.id, op=GradeOp.PICK_STUDENT, student=grade.student_id),
    )
    kb.adjust(g.school.grade_max - g.school.grade_min, 2)
    await show(query, _("Grade {value}: change it or remove it.").format(value=grade.value), kb.as_markup())


async def on_grade_set(query: CallbackQuery, callback_data: GradeEditCb, session: AsyncSession, viewer: Viewer) -> None:
    grade = await grades.change(session, viewer, callback_data.grade, value=callback_data.value)
    notice = _("Changed to {value}.").format(value=grade.value)
    await show(query, *await value_view(session, viewer, grade.lesson_id or 0, grade.student_id, False, notice))


async def on_grade_ask_delete(
    query: CallbackQuery, callback_data: GradeEditCb, session: AsyncSession, viewer: Viewer
) -> None:
    grade, g = await grades.editable(session, viewer, callback_data.grade)
    people = await require_in_lesson(session, g.lesson, {grade.student_id})
    kb = Keyboard()
    kb.button(text="🗑 " + _("Yes, remove"), callback_data=GradeEditCb(grade=grade.id, op=GradeEditOp.DELETE))
    kb.button(text=_("No, keep it"), callback_data=GradeEditCb(grade=grade.id, op=GradeEditOp.OPEN))
    kb.adjust(2)
    text = _("Remove grade {value} of {name}? The family will be told that it was removed.").format(
        value=grade.value, name=people[grade.student_id].full_name
    )
    await show(query, text, kb.as_markup())


async def on_grade_delete(
    query: CallbackQuery, callback_data: GradeEditCb, session: AsyncSession, viewer: Viewer
) -> None:
    grade = await grades.delete(session, viewer, callback_data.grade)
    notice = _("The grade is removed.")
    await show(query, *await value_view(session, viewer, grade.lesson_id or 0, grade.student_id, False, notice))


def make_router() -> Router:
    router = Router(name="journal_grades")
    router.callback_query.register(on_lesson_grades, LessonCb.filter(F.act == LessonAct.GRADES))
    # One handler an operation: the filter picks it, no handler switches on the op.
    grade_cb = GradeCb.filter
    router.callback_query.register(on_pick_student, grade_cb(F.op == GradeOp.PICK_STUDENT))
    router.callback_query.register(on_pick_value, grade_cb(F.op == GradeOp.PICK_VALUE))
    router.callback_query.register(on_save, grade_cb(F.op == GradeOp.SAVE))
    router.callback_query.register(on_sequence, grade_cb(F.op == GradeOp.SEQUENCE))
    router.callback_query.register(on_skip, grade_cb(F.op == GradeOp.SKIP))
    router.callback_query.register(on_ask_comment, grade_cb(F.op == GradeOp.COMMENT))
    router.callback_query.register(on_grade_open, GradeEditCb.filter(F.op == GradeEditOp.OPEN))
    router.callback_query.register(on_grade_set, GradeEditCb.filter(F.op == GradeEditOp.SET))
    router.callback_query.register(on_grade_ask_delete, GradeEditCb.filter(F.op == GradeEditOp.ASK_DELETE))
    router.callback_query.register(on_grade_delete, GradeEditCb.filter(F.op == GradeEditOp.DELETE))
    router.message.register(on_comment, GradeComment.text)
    return router
