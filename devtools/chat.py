"""`diary-bot chat`: a terminal chat with the bot through the emulator's control endpoints."""

import asyncio
import json
import sys
from typing import Any

import aiohttp

from devtools.emulator import BOT_ID


def show(message: dict[str, Any], first: int = 1) -> list[str]:
    """Print one bot message, numbering its buttons from `first` (several messages that arrive
    together number on, so a typed number means one button); return their callback data."""
    text = message.get("text") or message.get("caption") or ""
    if "document" in message:
        text = f"[📎 {message['document'].get('file_name') or 'file'}] {text}"
    if "photo" in message:
        text = f"[🖼] {text}"
    print(f"\n🤖 {text}")
    data = []
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        labels = []
        for button in row:
            data.append(button.get("callback_data", ""))
            labels.append(f"[{first + len(data) - 1}] {button['text']}")
        print("   " + "  ".join(labels))
    return data


async def run_chat(url: str, user_id: int, language: str) -> None:
    seen: set[str] = set()
    buttons: list[tuple[int, str]] = []
    print("Type a message or a command; a number presses that button; Ctrl-D quits.")
    async with aiohttp.ClientSession(base_url=url) as http:
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            line = line.strip()
            if not line:
                continue
            body: dict[str, Any] = {"text": line, "language_code": language}
            if line.isdigit() and 0 < int(line) <= len(buttons):
                message_id, data = buttons[int(line) - 1]
                body = {"message_id": message_id, "data": data}
            async with http.post(f"/emulator/users/{user_id}/send", json=body) as response:
                update_id = (await response.json())["update_id"]
            async with http.get("/emulator/wait", params={"update_id": update_id, "timeout": 15}) as response:
                if not (await response.json())["processed"]:
                    print("(the bot did not answer in 15 s: is it running with TELEGRAM_API_URL set?)")
                    continue
            new = await settle(http, user_id, seen)
            if new:
                buttons = []
                for message in new:
                    buttons += [(message["message_id"], d) for d in show(message, len(buttons) + 1)]


async def settle(http: aiohttp.ClientSession, user_id: int, seen: set[str]) -> list[dict[str, Any]]:
    """The bot handles updates as tasks: collect its replies until it has been quiet a moment."""
    new: list[dict[str, Any]] = []
    quiet = 0
    for _ in range(50):
        async with http.get(f"/emulator/users/{user_id}/messages") as response:
            messages = (await response.json())["messages"]
        fresh = []
        for message in messages:
            key = json.dumps(message, sort_keys=True)
            if message["from"]["id"] == BOT_ID and key not in seen:
                seen.add(key)
                fresh.append(message)
        new += fresh
        quiet = 0 if fresh else quiet + 1
        if new and quiet >= 4:
            break
        await asyncio.sleep(0.1)
    return new
