"""The README's path end to end, as separate processes: import, codes, run the bot, link in the emulator."""

import asyncio
import csv
import io
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import Emulator, serve
from tests.conftest import DEMO, ROOT, TOKEN, free_port


@pytest.fixture
async def emulator() -> AsyncIterator[tuple[Emulator, str]]:
    emu = Emulator()
    port = free_port()
    runner = await serve(emu, "127.0.0.1", port)
    yield emu, f"http://127.0.0.1:{port}"
    await emu.close()
    await runner.cleanup()


def environment(tmp_path: Path, api_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "TELEGRAM_API_URL", "LOCALE")}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"
    if api_url:
        env.update(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api_url)
    return env


async def cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        await asyncio.wait_for(process.wait(), 20)
    except TimeoutError:
        process.kill()
        await process.wait()


async def test_import_codes_run_and_link(tmp_path: Path, emulator: tuple[Emulator, str]) -> None:
    emu, url = emulator
    offline = environment(tmp_path, None)
    code, out, err = await cli(offline, "import", str(DEMO))
    assert code == 0, err
    code, out, err = await cli(offline, "codes", "--class", "C5A", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    student = next(r for r in rows if r["role"] == "обучающийся")

    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=environment(tmp_path, url),
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await emu.send_text(2001, f"/start {student['code']}", language_code="ru")
        await emu.wait_messages(2001, 2, timeout=60)
        texts = emu.texts(2001)
        first_name = student["person"].split()[1]
        assert texts[0].startswith(f"Здравствуйте, {first_name}") and "обучающийся" in texts[0]
        assert texts[1].startswith("Согласие на обработку персональных данных")
        await emu.send_text(2001, "/language")
        language = (await emu.wait_messages(2001, 3))[-1]
        await emu.press_text(2001, language, "English")
        await emu.wait_messages(2001, 4)
        assert emu.last(2001)["text"].startswith("What you can do:")
        assert "/privacy — Consent to the processing of personal data" in emu.last(2001)["text"]
    finally:
        await stop(bot)
    log = (await bot.stderr.read()).decode() if bot.stderr else ""
    assert TOKEN.split(":")[1] not in log, "the token never reaches the log"


async def test_demo_prints_codes_and_runs_offline(tmp_path: Path, emulator: tuple[Emulator, str]) -> None:
    emu, url = emulator
    env = environment(tmp_path, url)
    demo = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        codes: dict[str, str] = {}
        assert demo.stdout is not None
        while len(codes) < 6:
            line = (await asyncio.wait_for(demo.stdout.readline(), 60)).decode()
            assert line, "the demo stopped before printing its codes"
            match = re.match(r"(.+?): (.+) — /start (\S+)", line.strip())
            if match:
                codes[match[1]] = match[3]
        assert {"родитель двоих детей", "ученик 5А", "учитель и классный руководитель 5А"} <= codes.keys()
        await emu.send_text(2002, f"/start {codes['родитель двоих детей']}", language_code="ru")
        await emu.wait_messages(2002, 1, timeout=60)
        assert emu.texts(2002)[0] == "Здравствуйте, Елизавета Сергеевна! Вы вошли как: родитель."
    finally:
        await stop(demo)
