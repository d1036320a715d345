"""Running the bot's coroutines: on uvloop where it exists (Linux, macOS), else on asyncio's own loop."""

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """uvloop roughly halves the event loop's share of a send, which is most of the delivery worker's
    time at a high rate; the code does not depend on it."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
