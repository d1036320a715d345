"""The Mini App's routes: the page under /app/ and its JSON API under /app/api/, each call through
the same services and rules as the bot."""

import io
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from aiogram import Bot
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.miniapp import bodies
from bot.miniapp.api import Api, Call, ChangeRefused, RateLimiter
from bot.miniapp.static import StaticFiles
from bot.miniapp.strings import strings_for
from locales.i18n import translate
from services import absences, attendance, class_grid, gradebook, grades, homework
from services.errors import DiaryError
from services.roles import Role

log = logging.getLogger(__name__)

PREFIX = "/app"


async def me(call: Call) -> dict[str, Any]:
    viewer = call.viewer
    person = viewer.require_linked()
    screens = []
    if viewer.roles & {Role.TEACHER, Role.TUTOR, Role.ADMIN}:
        screens.append("journal")
    if Role.TUTOR in viewer.roles:
        screens.append("klass")
    if viewer.roles & {Role.STUDENT, Role.PARENT}:
        screens.append("diary")
    return {
        "locale": call.locale,
        "name": person.short_name or person.full_name,
        "roles": sorted(viewer.roles),
        "screens": screens,
        "strings": strings_for(call.locale),
    }


async def grid_choices(call: Call) -> class_grid.Choices:
    return await class_grid.choices(call.session, call.viewer)


async def grid(call: Call) -> class_grid.Grid:
    query = call.query(bodies.GridQuery)
    found = await class_grid.grid(call.session, call.viewer, query.class_id, query.subject_id)
    for kind in found.work_types:
        kind.name = work_type_name(kind.name, call.locale)
    return found


def work_type_name(name: str, locale: str) -> str:
    """The standard kinds of work are in the catalogs (as the bot shows them, `_(wt.name)`); a
    school's own kind is its own text and comes back as it is."""
    return translate(name, locale)


async def save(call: Call) -> dict[str, int]:
    """A batch of the teacher's changes, all or nothing: attendance first (a lesson's marks in one
    save, as the bot's sheet does), then grades, topics and homework in the order made."""
    changes = call.parsed(bodies.Save).changes
    marks: dict[int, list[tuple[int, bodies.Mark]]] = defaultdict(list)
    for index, change in enumerate(changes):
        if isinstance(change, bodies.Mark):
            marks[change.lesson_id].append((index, change))
    for lesson_id, found in marks.items():
        await _at(found[0][0], _marks(call, lesson_id, [change for _i, change in found]))
    for index, change in enumerate(changes):
        if not isinstance(change, bodies.Mark):
            await _at(index, _apply(call, change))
    return {"saved": len(changes)}


async def _at(index: int, work: Any) -> None:
    try:
        await work
    except DiaryError as error:
        raise ChangeRefused(error, index) from None


async def _marks(call: Call, lesson_id: int, changes: list[bodies.Mark]) -> None:
    sheet = await attendance.sheet(call.session, call.viewer, lesson_id)
    wanted = dict(sheet.marks)
    for change in changes:
        wanted[change.student_id] = change.mark
    await attendance.save(call.session, call.viewer, lesson_id, wanted)


async def _apply(call: Call, change: Any) -> None:
    session, viewer = call.session, call.viewer
    if isinstance(change, bodies.GradeAdd):
        await grades.add(
            session,
            viewer,
            change.lesson_id,
            change.student_id,
            change.value,
            change.work_type_id,
            change.comment,
            absent_confirmed=change.confirm_absent,
        )
    elif isinstance(change, bodies.GradeChange):
        await grades.change(
            session,
            viewer,
            change.grade_id,
            value=change.value,
            work_type_id=change.work_type_id,
            comment=change.comment,
        )
    elif isinstance(change, bodies.GradeDelete):
        await grades.delete(session, viewer, change.grade_id)
    elif isinstance(change, bodies.Topic):
        await homework.set_topic(session, viewer, change.lesson_id, change.text)
    elif isinstance(change, bodies.HomeworkSet):
        await _homework(call, change)


async def _homework(call: Call, change: bodies.HomeworkSet) -> None:
    if change.homework_id is None:
        await homework.post(call.session, call.viewer, change.lesson_id, change.text, due_on=change.due_on)
    else:
        # homework.edit asks again whether this person may change that homework, whatever the page says.
        await homework.edit(call.session, call.viewer, change.homework_id, text=change.text, due_on=change.due_on)


async def unexplained(call: Call) -> dict[str, Any]:
    query = call.query(bodies.ClassQuery)
    gradebook.require_class_teacher(call.viewer)
    school_class = await absences.tutor_class(call.session, call.viewer, query.class_id)
    days = await absences.unexplained(call.session, call.viewer, school_class.id)
    return {"class_id": school_class.id, "class_name": school_class.name, "days": days}


async def reason(call: Call) -> dict[str, int]:
    body = call.parsed(bodies.Reason)
    changed = await absences.give_reason(
        call.session,
        call.viewer,
        reason=body.reason,
        attendance_id=body.attendance_id,
        student_id=body.student_id,
        on_date=body.on_date,
    )
    return {"saved": len(changed)}


async def class_grades(call: Call) -> gradebook.ClassGrades:
    query = call.query(bodies.ClassQuery)
    return await gradebook.class_grades(call.session, call.viewer, query.class_id, query.span)


async def book(call: Call) -> gradebook.Book:
    query = call.query(bodies.BookQuery)
    found = await gradebook.book(call.session, call.viewer, query.student_id, query.month)
    for subject in found.subjects:
        for entry in subject.grades:
            entry.work_type = entry.work_type and work_type_name(entry.work_type, call.locale)
    return found


def file_endpoint(bot: Bot) -> Callable[[Call], Any]:
    async def attachment(call: Call) -> web.Response:
        query = call.query(bodies.FileQuery)
        found = await gradebook.homework_file(
            call.session, call.viewer, query.student_id, query.homework_id, query.index
        )
        content = io.BytesIO()
        await bot.download(found.file_id, destination=content)
        kind = "image/jpeg" if found.kind == "photo" else "application/octet-stream"
        return web.Response(body=content.getvalue(), content_type=kind, headers={"Cache-Control": "private, no-store"})

    return attachment


def miniapp_routes(
    token: str, bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], auth_hours: float
) -> Callable[[web.Application], None]:
    """What the web server adds: the page, its files and its API."""
    api = Api(token, sessionmaker, auth_hours, RateLimiter())
    files = StaticFiles()

    def add(app: web.Application) -> None:
        app.router.add_get(PREFIX, files.redirect)
        app.router.add_get(PREFIX + "/", files.index)
        app.router.add_get(PREFIX + "/{name:app\\.(?:js|css)}", files.asset)
        for path, endpoint in (
            ("me", me),
            ("grid/choices", grid_choices),
            ("grid", grid),
            ("absences", unexplained),
            ("class-grades", class_grades),
            ("book", book),
            ("file", file_endpoint(bot)),
        ):
            app.router.add_get(f"{PREFIX}/api/{path}", api(endpoint))
        app.router.add_post(f"{PREFIX}/api/save", api(save))
        app.router.add_post(f"{PREFIX}/api/reason", api(reason))

    return add
