"""/coverage: how far the bot reaches a tutor's class or the administrator's school, and new codes
for those not linked: the tap asks first, as /codes does (handlers.codes), how many get codes and
whether the earlier ones stay valid."""

from enum import StrEnum

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import OptionalId
from handlers.codes import back_only, issued_text, request_screen, send_codes
from handlers.keyboards import Keyboard
from handlers.screens import Screen, show
from services import coverage
from services.coverage import Coverage
from services.link_codes import CodeFilter, CodeRequest, ask_codes, issue_requested
from services.roles import Viewer
from views.coverage import class_lines, overview_lines

NAMES_SHOWN = 60  # a message holds 4,096 characters; the class's sheet of codes names everyone


class CoverageOp(StrEnum):
    LIST = "list"
    CLASS = "cls"
    CODES = "codes"  # asks: how many get codes, keep or cancel the earlier ones
    ISSUE = "issue"  # issue; codes handed out earlier keep working
    REPLACE = "replace"  # cancel the earlier unused codes of the same people, then issue


class CoverageCb(CallbackData, prefix="cov"):
    op: CoverageOp
    cls: OptionalId = 0
    stamp: OptionalId = 0  # the newest code of these people when the question was shown


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
    administrator's school); another class is refused by the service, saying why. The reach is
    counted once, of all the person's classes, for the way back to them."""
    class_id = await coverage.class_named(session, viewer, text)  # refuses a class not theirs
    (cov,) = await coverage.coverage(session, viewer)
    return class_screen(cov, class_id)


def codes_screen(request: CodeRequest, class_id: int) -> Screen:
    asked = CoverageCb(op=CoverageOp.ISSUE, cls=class_id, stamp=request.stamp)
    back = CoverageCb(op=CoverageOp.CLASS, cls=class_id)
    return request_screen(request, asked, asked.model_copy(update={"op": CoverageOp.REPLACE}), back)


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
    op, class_id = callback_data.op, callback_data.cls
    # The codes of a class through the same service and rules as /codes: a class teacher's own
    # class, family codes only; counted now, not taken from the message pressed.
    if op is CoverageOp.CODES:
        await show(query, codes_screen(await ask_codes(session, CodeFilter(class_id=class_id), actor=viewer), class_id))
        return
    if op in (CoverageOp.ISSUE, CoverageOp.REPLACE):
        done = await issue_requested(
            session,
            CodeFilter(class_id=class_id),
            days=link_code_days,
            actor=viewer,
            replace=op is CoverageOp.REPLACE,
            stamp=callback_data.stamp,
        )
        if isinstance(done, CodeRequest):
            notice = _(
                "Codes were issued to these people after this question was shown, so nothing was issued now: "
                "here are the numbers as they are."
            )
            await show(query, codes_screen(done, class_id), notice=notice)
            return
        await show(query, (issued_text(done), back_only(CoverageCb(op=CoverageOp.CLASS, cls=class_id))))
        await send_codes(query.message, done, bot, link_code_days)
        return
    if op is CoverageOp.CLASS:
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
