"""The administration's screens: /journal (read any class, 000 §2.10) and /substitute (004 §4)."""

from datetime import date, timedelta

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import JournalCb, SubstituteCb
from handlers.journal_render import day, lesson_title, short_day
from handlers.keyboards import Keyboard
from handlers.screens import Screen, show
from locales.i18n import day_in_words
from models import Person
from services import clock, journal_views, lessons
from services.clashes import Clash
from services.roles import Role, Viewer


async def class_screen(session: AsyncSession, viewer: Viewer) -> Screen:
    kb = Keyboard()
    for school_class in await journal_views.readable_classes(session, viewer):
        kb.button(text=school_class.name, callback_data=JournalCb(cls=school_class.id))
    kb.adjust(4)
    return _("The journal: choose the class."), kb.as_markup()


async def subject_screen(session: AsyncSession, viewer: Viewer, cb: JournalCb) -> Screen:
    kb = Keyboard()
    for subject in await journal_views.class_subjects(session, viewer, cb.cls):
        kb.button(text=subject.name, callback_data=JournalCb(cls=cb.cls, subject=subject.id))
    kb.adjust(2)
    return _("Choose the subject."), kb.as_markup()


async def week_screen(session: AsyncSession, viewer: Viewer, cb: JournalCb) -> Screen:
    """A class's journal of one subject for a week (this week when none is chosen)."""
    assert viewer.school is not None
    monday = date.fromordinal(cb.week) if cb.week else journal_views.week_of(clock.school_today(viewer.school))[0]
    sunday = monday + timedelta(days=6)
    page = await journal_views.journal_page(session, viewer, cb.cls, cb.subject, monday, sunday)
    lines = [f"{page.school_class.name} — {page.subject.name}, {short_day(monday)} – {short_day(sunday)}"]
    if not page.lessons:
        lines.append(_("No lessons in the journal this week."))
    for lesson in page.lessons:
        group = f" ({lesson.subgroup})" if lesson.subgroup else ""
        topic = lesson.topic or _("no topic")
        lines.append(f"\n{short_day(lesson.on_date)}, {lesson.lesson_no}{group}: {topic}")
        absent = page.absent.get(lesson.id)
        if absent:
            lines.append("  " + _("absent: {names}").format(names=", ".join(absent)))
        marks = page.grades.get(lesson.id)
        if marks:
            lines.append("  " + _("grades: {list}").format(list=", ".join(f"{n} {v}" for n, v in marks)))
    kb = Keyboard()
    kb.button(
        text="◀ " + _("previous week"),
        callback_data=JournalCb(cls=cb.cls, subject=cb.subject, week=(monday - timedelta(days=7)).toordinal()),
    )
    kb.button(
        text=_("next week") + " ▶",
        callback_data=JournalCb(cls=cb.cls, subject=cb.subject, week=(monday + timedelta(days=7)).toordinal()),
    )
    kb.button(text=_("another subject"), callback_data=JournalCb(cls=cb.cls))
    kb.adjust(2, 1)
    return "\n".join(lines)[:4000], kb.as_markup()


async def journal(message: Message, session: AsyncSession, viewer: Viewer) -> None:
    text, markup = await class_screen(session, viewer)
    await message.answer(text, reply_markup=markup)


async def on_journal_class(query: CallbackQuery, session: AsyncSession, viewer: Viewer) -> None:
    await show(query, await class_screen(session, viewer))


async def on_journal_subject(
    query: CallbackQuery, callback_data: JournalCb, session: AsyncSession, viewer: Viewer
) -> None:
    await show(query, await subject_screen(session, viewer, callback_data))


async def on_journal_week(
    query: CallbackQuery, callback_data: JournalCb, session: AsyncSession, viewer: Viewer
) -> None:
    await show(query, await week_screen(session, viewer, callback_data))


def _initials(person: Person) -> str:
    return f"{person.last_name} {person.first_name[:1]}.{(person.middle_name or ' ')[:1]}."


async def teacher_screen(session: AsyncSession, viewer: Viewer) -> Screen:
    admin = viewer.require_any(Role.ADMIN)
    kb = Keyboard()
    for person in await lessons.teachers(session, admin.school_id):
        kb.button(text=_initials(person), callback_data=SubstituteCb(teacher=person.id))
    kb.adjust(2)
    return _("Whose lesson needs a substitute?"), kb.as_markup()


async def _absent_teacher(session: AsyncSession, viewer: Viewer, teacher_id: int) -> tuple[Person | None, list[Person]]:
    admin = viewer.require_any(Role.ADMIN)
    staff = await lessons.teachers(session, admin.school_id)
    return next((p for p in staff if p.id == teacher_id), None), staff


# One page of /substitute lists a week of the absent teacher's lessons.
PAGE_DAYS = 7


def _page(viewer: Viewer, cb: SubstituteCb) -> tuple[date, date, date, date]:
    """The page's first and last day, kept inside the days a substitute may be given for, so a
    stale or forged page shows the nearest one; and those days' bounds."""
    assert viewer.school is not None
    first, last = lessons.substitution_days(viewer.school)
    start = date.fromordinal(cb.day) if cb.day else clock.school_today(viewer.school)
    start = min(max(start, first), last)
    return start, min(start + timedelta(days=PAGE_DAYS - 1), last), first, last


async def lesson_screen(session: AsyncSession, viewer: Viewer, cb: SubstituteCb) -> Screen:
    absent, _staff = await _absent_teacher(session, viewer, cb.teacher)
    if absent is None:
        return _("There is no such active teacher."), None
    assert viewer.school is not None
    start, end, first, last = _page(viewer, cb)
    locale = get_i18n().current_locale
    found = await lessons.upcoming_of_teacher(session, absent, start, (end - start).days + 1)
    kb = Keyboard()
    for card in (await journal_views.cards(session, found))[:40]:
        mark = "🔁 " if card.lesson.substitute_id else ""
        kb.button(
            text=f"{mark}{short_day(card.lesson.on_date)} {card.lesson.lesson_no}. {card.class_name} {card.subject}",
            callback_data=SubstituteCb(teacher=absent.id, lesson=card.lesson.id, day=start.toordinal()),
        )
    nav = []
    if start > first:
        back = max(first, start - timedelta(days=PAGE_DAYS))
        nav.append(("◀ " + _("earlier"), back))
    if end < last:
        nav.append((_("later") + " ▶", end + timedelta(days=1)))
    for text, on in nav:
        kb.button(text=text, callback_data=SubstituteCb(teacher=absent.id, day=on.toordinal()))
    kb.button(text="↩ " + _("another teacher"), callback_data=SubstituteCb())
    kb.adjust(*([1] * min(len(found), 40)), len(nav) or 1, 1)
    lines = [
        _("{name}: which lesson? Lessons from {start} to {end}.").format(
            name=absent.full_name, start=day_in_words(start, locale), end=day_in_words(end, locale)
        )
    ]
    if not found:
        lines.append(_("No lessons on these days."))
    if start == first:
        lines.append(
            _(
                "Earlier days are not offered: the journal before {first} is closed, so a substitute could not fill it."
            ).format(first=day_in_words(first, locale))
        )
    return "\n".join(lines), kb.as_markup()


def _busy_line(staff: list[Person], busy: dict[int, Clash]) -> str:
    names = {p.id: _initials(p) for p in staff}
    parts = []
    for teacher, clash in busy.items():
        if teacher in names:
            group = " " + _("(group {group})").format(group=clash.subgroup) if clash.subgroup else ""
            parts.append(f"{names[teacher]} ({clash.class_name}{group}, {clash.starts_at:%H:%M}–{clash.ends_at:%H:%M})")
    return _("Busy at that time, not offered: {names}.").format(names="; ".join(parts)) if parts else ""


async def substitute_screen(session: AsyncSession, viewer: Viewer, cb: SubstituteCb) -> Screen:
    absent, staff = await _absent_teacher(session, viewer, cb.teacher)
    if absent is None:
        return _("There is no such active teacher."), None
    # Teachers who teach another class then are not offered; substitute() refuses them all the same.
    lesson, free, busy = await lessons.substitution_choices(session, viewer, cb.lesson)
    card = (await journal_views.cards(session, [lesson]))[0]
    kb = Keyboard()
    for person in free:
        if person.id != absent.id:
            kb.button(
                text=f"{person.last_name} {person.first_name[:1]}.",
                callback_data=SubstituteCb(teacher=absent.id, lesson=cb.lesson, to=person.id, day=cb.day),
            )
    kb.button(
        text=_("No substitute: the lesson's own teacher"),
        callback_data=SubstituteCb(teacher=absent.id, lesson=cb.lesson, to=0, day=cb.day),
    )
    kb.button(text="↩ " + _("another lesson"), callback_data=SubstituteCb(teacher=absent.id, day=cb.day))
    kb.adjust(2)
    lines = [
        _("Who takes the lesson {day}, {lesson}?").format(
            day=day(lesson.on_date), lesson=lesson_title(lesson, card.class_name, card.subject)
        )
    ]
    if busy_line := _busy_line(staff, busy):
        lines.append(busy_line)
    return "\n".join(lines), kb.as_markup()


async def substitute(message: Message, session: AsyncSession, viewer: Viewer) -> None:
    text, markup = await teacher_screen(session, viewer)
    await message.answer(text, reply_markup=markup)


async def on_sub_teacher(query: CallbackQuery, session: AsyncSession, viewer: Viewer) -> None:
    await show(query, await teacher_screen(session, viewer))


async def on_sub_lesson(
    query: CallbackQuery, callback_data: SubstituteCb, session: AsyncSession, viewer: Viewer
) -> None:
    await show(query, await lesson_screen(session, viewer, callback_data))


async def on_sub_whom(query: CallbackQuery, callback_data: SubstituteCb, session: AsyncSession, viewer: Viewer) -> None:
    await show(query, await substitute_screen(session, viewer, callback_data))


async def on_sub_save(query: CallbackQuery, callback_data: SubstituteCb, session: AsyncSession, viewer: Viewer) -> None:
    cb = callback_data
    absent, staff = await _absent_teacher(session, viewer, cb.teacher)
    if absent is None:
        await show(query, (_("There is no such active teacher."), None))
        return
    lesson = await lessons.substitute(session, viewer, cb.lesson, cb.to or None)
    kb = Keyboard()
    kb.button(text="↩ " + _("another lesson"), callback_data=SubstituteCb(teacher=absent.id, day=cb.day))
    kb.button(text="↩ " + _("another teacher"), callback_data=SubstituteCb())
    kb.adjust(1)
    if lesson.substitute_id is None:
        await show(query, (_("The lesson stays with its own teacher."), kb.as_markup()))
        return
    name = next(p.full_name for p in staff if p.id == lesson.substitute_id)
    text = _("{name} takes the lesson of {day} and fills its journal.").format(name=name, day=short_day(lesson.on_date))
    await show(query, (text, kb.as_markup()))


def make_router() -> Router:
    router = Router(name="admin_journal")
    router.message.register(journal, Command("journal"))
    # A screen for each step: the first field not chosen yet picks the handler.
    router.callback_query.register(on_journal_class, JournalCb.filter(F.cls == 0))
    router.callback_query.register(on_journal_subject, JournalCb.filter(F.subject == 0))
    router.callback_query.register(on_journal_week, JournalCb.filter())
    router.message.register(substitute, Command("substitute"))
    router.callback_query.register(on_sub_teacher, SubstituteCb.filter(F.teacher == 0))
    router.callback_query.register(on_sub_lesson, SubstituteCb.filter(F.lesson == 0))
    router.callback_query.register(on_sub_whom, SubstituteCb.filter(F.to < 0))
    router.callback_query.register(on_sub_save, SubstituteCb.filter())
    return router
