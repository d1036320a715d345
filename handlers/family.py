"""The family's diary for students and parents: /grades, /homework, /schedule, /attendance, /summary."""

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import ChildCb, ChildView, ExplainCb, ScheduleSpan, SummarySeenCb
from handlers.journal_render import REASON_LABELS, average, day, lesson_ref
from handlers.keyboards import Keyboard
from handlers.miniapp import offer_menu_button, with_open_button
from handlers.render import chunks
from locales.i18n import day_in_words
from services import absence_notes, averages, family, summaries
from services.family import Child, ChooseChild
from services.roles import Viewer
from views.summary import period_mark_lines, summary_text
from views.words import voice_for

VIEWS = tuple(ChildView)  # each a command: /grades, /homework, /schedule, /attendance, /summary
MAX_FILES = 10


def picker(kids: list[Child], view: ChildView) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for kid in kids:
        kb.button(text=f"{kid.name}, {kid.class_name}", callback_data=ChildCb(view=view, student=kid.student_id))
    kb.adjust(1)
    return kb.as_markup()


def switcher(kids: list[Child], view: ChildView, current: Child) -> InlineKeyboardMarkup | None:
    if len(kids) < 2:
        return None
    kb = Keyboard()
    for kid in kids:
        if kid.student_id != current.student_id:
            kb.button(text="↔ " + kid.name.split()[0], callback_data=ChildCb(view=view, student=kid.student_id))
    return kb.as_markup()


async def grades_lines(session: AsyncSession, viewer: Viewer, kid: Child, today: date) -> list[str]:
    """The current period's grades by subject, then the period grades of the school year."""
    assert viewer.school is not None
    if not await family.takes_grades(session, kid):  # as the Mini App: no grades part, whatever a table holds
        return [f"{kid.name}, {kid.class_name}", _("This class takes no grades: attendance and homework only.")]
    period = await family.period_now(session, viewer, today)
    if period is None:
        lines = [_("{name}: there is no school period now.").format(name=kid.name)]
    else:
        lines = current_grades_lines(
            kid,
            period.name,
            (await family.grades_by_subject(session, [kid.student_id], period.starts_on, period.ends_on)).get(
                kid.student_id, {}
            ),
            top=viewer.school.grade_max,
            heaviest=await averages.heaviest_work(session, viewer.school.id),
        )
    marks = (await family.year_marks(session, viewer.school.id, [kid.student_id], today)).get(kid.student_id, [])
    if marks:
        lines += ["", _("Period grades:")]
        lines += period_mark_lines(((m.period, m.subject, m.kind, m.value) for m in marks), get_i18n().current_locale)
    return lines


def current_grades_lines(
    kid: Child,
    period: str,
    by_subject: dict[str, family.SubjectGrades],
    top: int | None = None,
    heaviest: tuple[str, Decimal] | None = None,
) -> list[str]:
    """Each subject's grades and average; with the scale's `top`, what brings it to the next whole grade."""
    lines = [_("{name}, {cls}: grades for {period}").format(name=kid.name, cls=kid.class_name, period=period)]
    if not by_subject:
        lines.append(_("No grades yet."))
    for subject, grades in by_subject.items():
        values = " ".join(str(v) for _d, v, _w in grades.grades)
        lines.append(
            _("{subject}: {values} — average {average}").format(
                subject=subject, values=values, average=average(grades.average)
            )
        )
        pairs = [(v, w) for (_d, v, _w), w in zip(grades.grades, grades.weights, strict=False)]
        wanted = averages.needed(pairs, top, heaviest[1] if heaviest else None) if top else None
        if wanted is not None:
            lines.append("   " + needed_line(wanted, heaviest[0] if heaviest else ""))
    return lines


# Grades have names in Russian (a «пятёрка» is a 5); other values are said as «оценка «7»».
GRADE_COUNTS: dict[int, Callable[[int], str]] = {
    5: lambda n: ngettext("{n} more grade of 5", "{n} more grades of 5", n),
    4: lambda n: ngettext("{n} more grade of 4", "{n} more grades of 4", n),
    3: lambda n: ngettext("{n} more grade of 3", "{n} more grades of 3", n),
}


def grade_count(option: averages.Option) -> str:
    """«2 пятёрки», "2 more grades of 5"."""
    say = GRADE_COUNTS.get(option.value)
    if say is None:
        return ngettext("{n} more grade of {value}", "{n} more grades of {value}", option.count).format(
            n=option.count, value=option.value
        )
    return say(option.count).format(n=option.count)


def needed_line(wanted: averages.Needed, heavy_work: str) -> str:
    """«до 5: ещё 2 пятёрки или 1 пятёрка за «Контрольная работа»»."""
    ways = [grade_count(o) for o in wanted.options]
    if wanted.heavy is not None:
        ways.append(_("{grades} for «{work}»").format(grades=grade_count(wanted.heavy), work=_(heavy_work)))
    return _("to reach {target}: {ways}").format(target=wanted.target, ways=_(" or ").join(ways))


async def homework_lines(session: AsyncSession, kid: Child, today: date) -> tuple[list[str], list[tuple[str, str]]]:
    tasks = (await family.homework_due(session, [kid], today + timedelta(days=1), today + timedelta(days=7))).get(
        kid.student_id, []
    )
    lines = [_("{name}: homework for tomorrow and the week").format(name=kid.name)]
    if not tasks:
        lines.append(_("Nothing is set."))
    files: list[tuple[str, str]] = []
    for task in tasks:
        due = day(task.due_on) if task.due_on else "—"
        lines.append(f"{due} · {task.subject}: {task.text}")
        files += task.files
    return lines, files[:MAX_FILES]


async def schedule_lines(session: AsyncSession, kid: Child, today: date, span: ScheduleSpan) -> list[str]:
    start, end = {
        ScheduleSpan.WEEK: (family.week_start(today), family.week_start(today) + timedelta(days=6)),
        ScheduleSpan.TOMORROW: (today + timedelta(days=1), today + timedelta(days=1)),
    }.get(span, (today, today))
    days = await family.schedule(session, kid, start, end)
    lines = [_("{name}, {cls}: timetable").format(name=kid.name, cls=kid.class_name)]
    if not days:
        lines.append(_("No lessons."))
    for on, slots in days.items():
        lines.append("\n" + day(on))
        for s in slots:
            room = " (" + _("room {room}").format(room=s.room) + ")" if s.room else ""
            lines.append(f"{s.lesson_no}. {s.starts_at:%H:%M}–{s.ends_at:%H:%M} {s.subject}{room}")
    return lines


async def attendance_lines(
    session: AsyncSession, viewer: Viewer, kid: Child, today: date
) -> tuple[list[str], list[date]]:
    """The child's absences in the period, and the days among them with no reason yet."""
    assert viewer.school is not None
    period = await family.period_now(session, viewer, today)
    start = period.starts_on if period else today - timedelta(days=30)
    missed = (await family.absences(session, [kid.student_id], start, today)).get(kid.student_id, [])
    lines = [_("{name}: absences since {date}").format(name=kid.name, date=day_in_words(start, locale()))]
    if not missed:
        lines.append(_("No absences."))
    # A day's lessons missed alike are one line: a week of illness is five lines, not thirty.
    alike: dict[tuple[date, str, str | None], list[family.Missed]] = {}
    for m in missed:
        alike.setdefault((m.on_date, m.mark, m.reason), []).append(m)
    for (on, mark, why), lessons in alike.items():
        # nouns, not «опоздал(а)»: the list reads the same for a boy and a girl
        what = _("lateness") if mark == "late" else _("absence")
        reason = _(REASON_LABELS[why]) if why else _("no reason yet")
        if len(lessons) == 1:
            lines.append(f"{day(on)}, {lesson_ref(lessons[0].lesson_no, lessons[0].subject)}: {what} — {reason}")
        else:
            numbers = ", ".join(str(m.lesson_no) for m in lessons)
            lines.append(
                _("{day}, lessons {numbers}: {what} — {reason}").format(
                    day=day(on), numbers=numbers, what=what, reason=reason
                )
            )
    return lines, sorted({m.on_date for m in missed if m.mark == "absent" and not m.reason})


async def with_explain_buttons(
    session: AsyncSession, viewer: Viewer, kid: Child, days: list[date], markup: InlineKeyboardMarkup | None
) -> InlineKeyboardMarkup | None:
    """An "explain" button for each day still without a reason, so a family with absence pushes
    off (or who missed the push) can explain it here; the newest days first, a few at a time."""
    days = await absence_notes.days_to_explain(session, viewer, kid.student_id, days)
    if not days:
        return markup
    kb = Keyboard.from_markup(markup) if markup else Keyboard()
    for on in sorted(days, reverse=True)[:5]:
        kb.row(
            InlineKeyboardButton(
                text=_("Explain the absence of {day}").format(day=day(on)),
                callback_data=ExplainCb(student=kid.student_id, day=on.toordinal()).pack(),
            )
        )
    return kb.as_markup()


def summary_lines(viewer: Viewer, kid: Child, summary: family.WeekSummary) -> list[str]:
    """The same text the Saturday push carries, from the same payload; to the student himself in
    the second person, as his push."""
    assert viewer.school is not None
    voice = voice_for(own=kid.student_id == viewer.own_student_id, college=viewer.school.kind == "college")
    return summary_text(summaries.payload_of(summary), kid.name, locale(), voice).split("\n")


def locale() -> str:
    return get_i18n().current_locale


async def show(
    target: Message,
    session: AsyncSession,
    viewer: Viewer,
    bot: Bot,
    view: ChildView,
    student_id: int | None,
    span: ScheduleSpan = ScheduleSpan.DEFAULT,
    *,
    miniapp_url: str | None = None,
) -> None:
    try:
        kid = await family.child(session, viewer, student_id)
    except ChooseChild as choose:
        await target.answer(_("Whose diary?"), reply_markup=picker(choose.kids, view))
        return
    kids = await family.children(session, viewer)
    today = await family.today_for(session, viewer)
    files: list[tuple[str, str]] = []
    markup = switcher(kids, view, kid)
    if view == ChildView.GRADES:
        lines = await grades_lines(session, viewer, kid, today)
        markup = with_open_button(markup, miniapp_url, _("Open the diary"))
    elif view == ChildView.HOMEWORK:
        lines, files = await homework_lines(session, kid, today)
    elif view == ChildView.SCHEDULE:
        lines = await schedule_lines(session, kid, today, span)
        kb = Keyboard.from_markup(markup) if markup else Keyboard()
        spans = (
            (ScheduleSpan.TODAY, _("today")),
            (ScheduleSpan.TOMORROW, _("tomorrow")),
            (ScheduleSpan.WEEK, _("the week")),
        )
        for key, label in spans:
            if key != (span or ScheduleSpan.TODAY):
                kb.button(text=label, callback_data=ChildCb(view=ChildView.SCHEDULE, student=kid.student_id, span=key))
        markup = kb.as_markup()
    elif view == ChildView.ATTENDANCE:
        lines, unexplained = await attendance_lines(session, viewer, kid, today)
        markup = await with_explain_buttons(session, viewer, kid, unexplained, markup)
    else:
        period = await family.period_now(session, viewer, today)
        assert viewer.school is not None
        # The week so far, and the homework from tomorrow: mid-week, Thursday's is as near as next week's.
        week = family.week_start(today)
        summaries_of = await family.summaries(
            session, [kid], week, period, viewer.school.timezone, homework_from=today + timedelta(days=1)
        )
        summary = summaries_of[kid.student_id]
        lines = summary_lines(viewer, kid, summary)
    parts = chunks(lines)
    # A child's diary is not to be forwarded or saved out of the chat (152-FZ).
    for n, part in enumerate(parts):
        await target.answer(part, reply_markup=markup if n == len(parts) - 1 else None, protect_content=True)
    for kind, file_id in files:
        if kind == "photo":
            await bot.send_photo(target.chat.id, file_id, protect_content=True)
        else:
            await bot.send_document(target.chat.id, file_id, protect_content=True)


def command_handler(view: ChildView) -> Callable[..., Awaitable[None]]:
    async def handler(
        message: Message,
        command: CommandObject,
        session: AsyncSession,
        viewer: Viewer,
        bot: Bot,
        miniapp_url: str | None = None,
    ) -> None:
        given = (command.args or "").strip()
        if given:  # «/schedule завтра»: said, not silently dropped, before what the command shows
            await message.answer(
                _("/{command} takes nothing after it («{given}» is not used); here is what it shows.").format(
                    command=view.value, given=given
                )
            )
        await show(message, session, viewer, bot, view, None, miniapp_url=miniapp_url)
        if view == ChildView.GRADES:
            await offer_menu_button(bot, viewer, message.chat.id, miniapp_url)

    handler.__name__ = f"family_{view}"
    return handler


async def on_child(
    query: CallbackQuery, callback_data: ChildCb, session: AsyncSession, viewer: Viewer, bot: Bot
) -> None:
    assert isinstance(query.message, Message)
    await query.answer()
    await show(
        query.message, session, viewer, bot, callback_data.view, callback_data.student or None, callback_data.span
    )


async def on_seen(query: CallbackQuery, callback_data: SummarySeenCb, session: AsyncSession, viewer: Viewer) -> None:
    assert isinstance(query.message, Message)
    await summaries.mark_seen(session, viewer, callback_data.n)
    await query.answer(_("Thank you: the class teacher sees that you have read it."))
    await query.message.edit_reply_markup(reply_markup=None)


def make_router() -> Router:
    router = Router(name="family")
    router.callback_query.register(on_seen, SummarySeenCb.filter())
    for view in VIEWS:
        router.message.register(command_handler(view), Command(view.value))
    router.callback_query.register(on_child, ChildCb.filter())
    return router
