"""The Mini App's page: bytes sent for the first load (gzip) and the time to the first screen in
Debian's headless Chromium at 390 px, for a teacher's grid and a family's gradebook.

    uv run python bench/miniapp.py            # SQLite in a temporary folder
"""

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestServer  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402
from sqlalchemy import update  # noqa: E402

from bot.miniapp.static import StaticFiles  # noqa: E402
from models import Person  # noqa: E402
from models.db import make_engine, make_sessionmaker  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from services import clock  # noqa: E402
from services.roster import import_roster  # noqa: E402
from tests.support.miniapp import init_data, linked, make_app  # noqa: E402

MONDAY_NOON = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 12:00 in the demo school's Barnaul
RUNS = 5


def sizes() -> dict[str, int]:
    files = StaticFiles()
    found = {name: len(asset.gzipped) for name, asset in files.assets.items()}
    found["index.html"] = len(files.page.gzipped)
    return found


async def first_screen(browser: object, url: str, user: int, selector: str) -> list[float]:
    took = []
    for _ in range(RUNS):
        page = await browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
        start = time.perf_counter()
        await page.goto(f"{url}#tgWebAppData={quote(init_data(user))}")
        await page.wait_for_selector(selector)
        took.append(time.perf_counter() - start)
        await page.close()
    return took


async def main() -> None:
    clock.now = lambda: MONDAY_NOON  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await upgrade(url)
        engine = make_engine(url)
        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            await import_roster(session, ROOT / "examples" / "demo-school")
            await session.commit()
            await linked(session, "S04", 1)
            await linked(session, "R017", 2)
            await session.execute(update(Person).where(Person.parent_ref == "R017").values(consent_at=MONDAY_NOON))
            await session.commit()
        server = TestServer(make_app(sessionmaker), host="127.0.0.1")
        await server.start_server()
        page_url = str(server.make_url("/app/"))
        try:
            async with async_playwright() as driver:
                browser = await driver.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                grid = await first_screen(browser, page_url, 1, "#grid")
                book = await first_screen(browser, page_url, 2, "#subjects")
                await browser.close()
        finally:
            await server.close()
            await engine.dispose()
    found = sizes()
    print("first load, gzip: " + ", ".join(f"{k} {v / 1024:.1f} KB" for k, v in found.items()))
    print(f"first load total: {sum(found.values()) / 1024:.1f} KB (limit 150 KB)")
    raw = sum(len((ROOT / "bot/miniapp/static" / n).read_bytes()) for n in ("app.js", "app.css", "index.html"))
    print(f"uncompressed: {raw / 1024:.1f} KB; gzip ratio {sum(found.values()) / raw:.2f}")
    for name, took in (("teacher's grid", grid), ("family's gradebook", book)):
        ms = sorted(t * 1000 for t in took)
        median, worst = ms[len(ms) // 2], ms[-1]
        print(
            f"first screen, {name}: median {median:.0f} ms, worst {worst:.0f} ms of {RUNS} "
            f"(first {took[0] * 1000:.0f} ms)"
        )


if __name__ == "__main__":
    asyncio.run(main())
