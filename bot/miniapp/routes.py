"""The Mini App's routes: the page under /app/ and its JSON API under /app/api/, each call through
the same services and rules as the bot."""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.miniapp import bodies
from bot.miniapp.api import Api, Call, ChangeRefused, RateLimiter, make_limiter
from bot.miniapp.static import StaticFiles
from locales.i18n import translate
from services import absences, attendance, class_grid, gradebook, grades
from services.errors import N_, DiaryError, NotAllowed, NotFound
from services.roles import Role

log = logging.getLogger(__name__)

PREFIX = "/app"


async def me(call: Call) -> dict[str, Any]:
    """Who is asking, which screens are theirs, and the first screen's own data with it: the page
    draws it without a second and third round trip (the choices, then the grid) after this one.
    Its words are not here: they are the same for everyone and kept by the browser (static.py)."""
    viewer = call.viewer
    person = viewer.require_linked()
    query = call.query(bodies.MeQuery)
    screens = []
    if viewer.roles & {Role.TEACHER, Role.TUTOR, Role.ADMIN}:
        screens.append("journal")
    if Role.TUTOR in viewer.roles:
        screens.append("klass")
    if viewer.roles & {Role.STUDENT, Role.PARENT}:
        screens.append("diary")
    found: dict[str, Any] = {
        "locale": call.locale,
        "name": person.short_name or person.full_name,
        "roles": sorted(viewer.roles),
        "screens": screens,
    }
    try:
        if screens and screens[0] == "journal":
            choices = await class_grid.choices(call.session, viewer)
            found["choices"] = choices
            wanted = next(
                (c for c in choices.choices if (c.class_id, c.subject_id) == (query.class_id, query.subject_id)),
                choices.default,
            )
            if wanted is not None:
                found["grid"] = await _grid(call, wanted.class_id, wanted.subject_id, None)
        elif screens:
            found["book"] = await _book(call, None, None)
    except DiaryError:
        pass  # the page asks for that screen itself and shows its refusal there
    return found


async def grid_choices(call: Call) -> class_grid.Choices:
    return await class_grid.choices(call.session, call.viewer)


async def grid(call: Call) -> class_grid.Grid:
    query = call.query(bodies.GridQuery)
    return await _grid(call, query.class_id, query.subject_id, query.period_id)


async def _grid(call: Call, class_id: int, subject_id: int, period_id: int | None) -> class_grid.Grid:
    found = await class_grid.grid(call.session, call.viewer, class_id, subject_id, period_id)
    for kind in found.work_types:
        kind.name = work_type_name(kind.name, call.locale)
    return found


async def due(call: Call) -> dict[str, Any]:
    query = call.query(bodies.LessonQuery)
    return {"dates": await class_grid.due_dates(call.session, call.viewer, query.lesson_id)}


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
        await class_grid.write_topic(session, viewer, change.lesson_id, change.text)
    elif isinstance(change, bodies.HomeworkSet):
        await class_grid.write_homework(
            session, viewer, change.lesson_id, change.homework_id, change.text, change.due_on
        )
    elif isinstance(change, bodies.HomeworkDelete):
        await class_grid.remove_homework(session, viewer, change.lesson_id, change.homework_id)


async def unexplained(call: Call) -> gradebook.ClassAbsences:
    query = call.query(bodies.ClassQuery)
    return await gradebook.class_absences(call.session, call.viewer, query.class_id)


async def reason(call: Call) -> dict[str, int]:
    body = call.parsed(bodies.Reason)
    gradebook.require_class_teacher(call.viewer)  # refused in the page's words, not the bot's "command"
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
    return await _book(call, query.student_id, query.month)


async def _book(call: Call, student_id: int | None, month: Any) -> gradebook.Book:
    found = await gradebook.book(call.session, call.viewer, student_id, month)
    for subject in found.subjects:
        for entry in subject.grades:
            entry.work_type = entry.work_type and work_type_name(entry.work_type, call.locale)
    return found


# Telegram's Bot API gives bots files up to 20 MB; a bigger one is not fetched at all.
MAX_FILE = 20 * 1024 * 1024
# The browser keeps a fetched file for the reader (its address names the file and the reader).
FILE_CACHE = "private, max-age=86400"


class FileTooLarge(DiaryError):
    """An attachment over what the page may fetch from Telegram."""


# Files fetched at once by a process: each is held whole (up to 20 MB) until it is sent, so a burst of
# taps, one person's or many people's, waits its turn rather than filling the memory.
DOWNLOADS_AT_ONCE = 4


def file_endpoint(bot: Bot) -> Callable[[Call], Any]:
    downloads = asyncio.Semaphore(DOWNLOADS_AT_ONCE)

    async def attachment(call: Call) -> web.StreamResponse:
        query = call.query(bodies.FileQuery)
        signed_user = call.viewer.telegram_user_id
        if query.user != signed_user:
            # An address made for another account on this device: that one's cache is not this one's.
            raise NotAllowed(N_("You can see only your own child's diary."))
        found = await gradebook.homework_file(
            call.session, call.viewer, query.student_id, query.homework_id, query.index
        )
        if gradebook.file_key(found.file_id) != query.key:
            raise NotFound(N_("This homework is not in the journal (it may have been removed)."))
        # The database's part is done: its transaction (the child chosen is remembered) is not held
        # open, with SQLite's lock, while up to 20 MB come from Telegram.
        await call.session.commit()
        async with downloads:
            return await _fetch(bot, found)

    return attachment


async def _fetch(bot: Bot, found: gradebook.FileRef) -> web.Response:
    """The file from Telegram, read no further than the limit (Telegram's stated size is checked
    first, and what arrives is counted too)."""
    too_large = FileTooLarge(N_("This file is too large to open here: more than {size} MB."), size=MAX_FILE // 2**20)
    try:
        described = await bot.get_file(found.file_id)
    except TelegramBadRequest as error:
        if "too big" in error.message.lower():  # Telegram's own refusal of a file over 20 MB
            raise too_large from None
        raise
    if described.file_size is not None and described.file_size > MAX_FILE:
        raise too_large
    if described.file_path is None:
        raise NotFound(N_("This homework is not in the journal (it may have been removed)."))
    url = bot.session.api.file_url(bot.token, described.file_path)
    parts, size = [], 0
    async for chunk in bot.session.stream_content(url=url, timeout=60, chunk_size=65536, raise_for_status=True):
        size += len(chunk)
        if size > MAX_FILE:
            raise too_large
        parts.append(chunk)
    kind = "image/jpeg" if found.kind == "photo" else "application/octet-stream"
    return web.Response(
        body=b"".join(parts),
        content_type=kind,
        headers={"Cache-Control": FILE_CACHE, "X-Content-Type-Options": "nosniff"},
    )


def miniapp_routes(
    token: str,
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    auth_hours: float,
    *,
    redis_url: str | None = None,
    limiter: RateLimiter | None = None,
) -> Callable[[web.Application], None]:
    """What the web server adds: the page, its files and its API. With Redis, the rate per user is
    shared by every process; stopping, the server waits for the calls under way."""
    api = Api(token, sessionmaker, auth_hours, limiter or make_limiter(token, redis_url))
    files = StaticFiles()

    async def drain(_app: web.Application) -> None:
        await api.drain()

    async def close(_app: web.Application) -> None:
        await api.limiter.close()

    def add(app: web.Application) -> None:
        app.router.add_get(PREFIX, files.redirect)
        app.router.add_get(PREFIX + "/", files.index)
        app.router.add_get(PREFIX + "/{name:app\\.(?:js|css)}", files.asset)
        app.router.add_get(PREFIX + "/strings/{locale:[a-z]{2}}.json", files.strings)
        for path, endpoint in (
            ("me", me),
            ("grid/choices", grid_choices),
            ("grid", grid),
            ("due", due),
            ("absences", unexplained),
            ("class-grades", class_grades),
            ("book", book),
            ("file", file_endpoint(bot)),
        ):
            app.router.add_get(f"{PREFIX}/api/{path}", api(endpoint))
        app.router.add_post(f"{PREFIX}/api/save", api(save))
        app.router.add_post(f"{PREFIX}/api/reason", api(reason))
        app.on_shutdown.append(drain)
        app.on_cleanup.append(close)

    return add
