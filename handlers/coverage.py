"""/coverage: how far the bot reaches a tutor's class or the administrator's school, and new codes
for those not linked in one tap."""

from enum import StrEnum

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import OptionalId
from handlers.codes import send_codes
from handlers.keyboards import Keyboard
from handlers.screens import Screen
from services import coverage
from services.coverage import Coverage
from services.link_codes import CodeFilter, issue_codes
from services.roles import Role, Viewer
from views.coverage import class_lines, overview_lines

NAMES_SHOWN = 60  # a message holds 4,096 characters; the class's sheet of codes names everyone


class CoverageOp(StrEnum):
    LIST = "list"
    CLASS = "cls"
    CODES = "codes"


class CoverageCb(CallbackData, prefix="cov"):
    op: CoverageOp
    cls: OptionalId = 0


def locale() -> str:
    return get_i18n().current_locale


def overview_screen(cov: Coverage) -> Screen:
    kb = Keyboard()
    for c in cov.classes:
        kb.button(text=c.name, callback_data=CoverageCb(op=CoverageOp.CLASS, cls=c.class_id))
    kb.adjust(4)
    return "\n".join(overview_lines(cov, locale())), kb.as_markup()


def class_screen(cov: Coverage, class_id: int) -> Screen:
    found = cov.of_class(class_id)
    kb = Keyboard()
    if found.unlinked:
        kb.button(
            text="🔑 " + _("New codes for those not linked"),
            callback_data=CoverageCb(op=CoverageOp.CODES, cls=class_id),
        )
    if len(cov.classes) > 1:
        kb.button(text="◀ " + _("all classes"), callback_data=CoverageCb(op=CoverageOp.LIST))
    kb.adjust(1)
    return "\n".join(class_lines(found, cov, locale(), NAMES_SHOWN)), kb.as_markup()


async def first_screen(session: AsyncSession, viewer: Viewer) -> Screen:
    """A class teacher of one class sees it at once; an administrator sees the school by class."""
    (cov,) = await coverage.coverage(session, viewer)
    if not cov.classes:
        return _("There are no classes to show."), None
    if len(cov.classes) == 1:
        return class_screen(cov, cov.classes[0].class_id)
    return overview_screen(cov)


async def named_screen(session: AsyncSession, viewer: Viewer, text: str) -> Screen:
    """/coverage 7Б: that class, if it is the person's to see (a class teacher's own, any of an
    administrator's school); another class is refused by the service, saying why."""
    class_id = await coverage.class_named(session, viewer, text)
    (cov,) = await coverage.coverage(session, viewer, class_id=class_id)  # refuses a class not theirs
    if len(viewer.tutor_class_ids) > 1 or Role.ADMIN in viewer.roles:
        (cov,) = await coverage.coverage(session, viewer)  # all of theirs, for the way back
    return class_screen(cov, class_id)


async def on_coverage(message: Message, command: CommandObject, session: AsyncSession, viewer: Viewer) -> None:
    named = (command.args or "").strip()
    text, markup = await (named_screen(session, viewer, named) if named else first_screen(session, viewer))
    await message.answer(text, reply_markup=markup)


async def on_press(
    query: CallbackQuery,
    callback_data: CoverageCb,
    session: AsyncSession,
    viewer: Viewer,
    bot: Bot,
    link_code_days: int,
) -> None:
    assert isinstance(query.message, Message)
    if callback_data.op is CoverageOp.CODES:
        (cov,) = await coverage.coverage(session, viewer, class_id=callback_data.cls)
        found = cov.of_class(callback_data.cls)  # the class is the viewer's to see, or this refuses
        issued = await issue_codes(session, CodeFilter(class_ref=found.ref), days=link_code_days, actor=viewer)
        await query.answer()
        await send_codes(query.message, issued, bot, link_code_days)
        return
    if callback_data.op is CoverageOp.CLASS:
        (cov,) = await coverage.coverage(session, viewer)  # all of theirs, for the way back; no other
        text, markup = class_screen(cov, callback_data.cls)
    else:
        text, markup = await first_screen(session, viewer)
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


def make_router() -> Router:
    router = Router(name="coverage")
    router.message.register(on_coverage, Command("coverage"))
    router.callback_query.register(on_press, CoverageCb.filter())
    return router
