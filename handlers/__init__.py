"""aiogram routers, one module per audience or flow; thin: parse, call a service, render."""

from aiogram import Router

from handlers import account, codes, fallback, start


def build_router() -> Router:
    root = Router(name="diary")
    # The fallback comes last so that every other router sees an update first.
    root.include_routers(start.make_router(), account.make_router(), codes.make_router(), fallback.make_router())
    return root
