"""The Mini App's page: bytes sent for the first load (gzip) and the time to the first screen in
Debian's headless Chromium at 390 px, for a teacher's grid and a family's gradebook; and the
server's side of the first screen (the one API call it makes, /app/api/me with the screen's data).

    uv run python bench/miniapp.py            # SQLite in a temporary folder

"Cold" is the very first open of a class's period on a fresh copy of the database: its lessons are
made from the timetable in that call. Every page open is a new browser context, so nothing is
cached by the browser (the page, its script, style and words are fetched each time).
"""

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402
from sqlalchemy import update  # noqa: E402

from bot.miniapp.auth import HEADER  # noqa: E402
from bot.miniapp.static import StaticFiles  # noqa: E402
from models import Person  # noqa: E402
from models.db import make_engine, make_sessionmaker  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from services import clock  # noqa: E402
from services.roster import import_roster  # noqa: E402
from tests.support.miniapp import init_data, linked, make_app, serving  # noqa: E402

MONDAY_NOON = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 12:00 in the demo school's Barnaul
RUNS = 5
TEACHER, PARENT = 1, 2


def sizes() -> dict[str, int]:
    files = StaticFiles()
    found = {name: len(asset.gzipped) for name, asset in files.assets.items()}
    found["index.html"] = len(files.page.gzipped)
    found["strings/ru.json"] = len(files.words["ru"].gzipped)
    return found


@asynccontextmanager
async def served(db: Path) -> AsyncIterator[str]:
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    try:
        async with serving(make_app(make_sessionmaker(engine))) as url:
            yield url
    finally:
        await engine.dispose()


async def open_page(browser: Any, url: str, user: int, selector: str) -> float:
    page = await browser.new_page(viewport={"width": 390, "height": 844})
    start = time.perf_counter()
    await page.goto(f"{url}#tgWebAppData={quote(init_data(user))}")
    await page.wait_for_selector(selector)
    took = time.perf_counter() - start
    await page.close()
    return took


async def me(url: str, user: int) -> float:
    async with ClientSession() as http:
        start = time.perf_counter()
        async with http.get(url + "api/me", headers={HEADER: init_data(user)}) as response:
            assert response.status == 200, await response.text()
            await response.read()
        return time.perf_counter() - start


def line(name: str, took: list[float]) -> str:
    ms = sorted(t * 1000 for t in took)
    return f"{name}: median {statistics.median(ms):.0f} ms, best {ms[0]:.0f}, worst {ms[-1]:.0f} of {len(ms)}"


async def main() -> None:
    clock.now = lambda: MONDAY_NOON  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base.db"
        await upgrade(f"sqlite+aiosqlite:///{base}")
        engine = make_engine(f"sqlite+aiosqlite:///{base}")
        async with make_sessionmaker(engine)() as session:
            await import_roster(session, ROOT / "examples" / "demo-school")
            await session.commit()
            await linked(session, "S04", TEACHER)
            await linked(session, "R017", PARENT)
            await session.execute(update(Person).where(Person.parent_ref == "R017").values(consent_at=MONDAY_NOON))
            await session.commit()
        await engine.dispose()

        def fresh(n: int) -> Path:
            copy = Path(folder) / f"copy{n}.db"
            shutil.copy(base, copy)
            return copy

        results: dict[str, list[float]] = {}
        # The server alone: the first screen's one call, cold (the period's lessons made) and warm.
        for n in range(RUNS):
            async with served(fresh(100 + n)) as url:
                results.setdefault("server, teacher's /me cold", []).append(await me(url, TEACHER))
                for _ in range(3):
                    results.setdefault("server, teacher's /me warm", []).append(await me(url, TEACHER))
                    results.setdefault("server, family's /me", []).append(await me(url, PARENT))
        async with async_playwright() as driver:
            browser = await driver.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            await open_page(browser, "about:blank", TEACHER, "body")  # the browser's own start, not counted
            for n in range(RUNS):
                async with served(fresh(n)) as url:
                    cold = await open_page(browser, url, TEACHER, "#grid")
                    results.setdefault("first screen, teacher's grid, cold period", []).append(cold)
            async with served(fresh(RUNS)) as url:
                await open_page(browser, url, TEACHER, "#grid")  # the period's lessons made once
                for _ in range(RUNS):
                    warm = await open_page(browser, url, TEACHER, "#grid")
                    results.setdefault("first screen, teacher's grid", []).append(warm)
                    book = await open_page(browser, url, PARENT, "#subjects")
                    results.setdefault("first screen, family's gradebook", []).append(book)
            await browser.close()
    found = sizes()
    print("first load, gzip: " + ", ".join(f"{k} {v / 1024:.1f} KB" for k, v in found.items()))
    print(f"first load total: {sum(found.values()) / 1024:.1f} KB (limit 150 KB)")
    raw = sum(len((ROOT / "bot/miniapp/static" / n).read_bytes()) for n in ("app.js", "app.css", "index.html"))
    print(f"uncompressed page: {raw / 1024:.1f} KB")
    for name, took in results.items():
        print(line(name, took))


if __name__ == "__main__":
    asyncio.run(main())
