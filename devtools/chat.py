"""`diary-bot chat`: a terminal chat with the bot through the emulator's control endpoints.

What the bot sends is printed as it comes, while the chat waits for input: a thread long-polls the
emulator's view of the person (`/emulator/users/{id}/view`), so a push needs no keystroke, and
pop-up answers to presses are shown too. Buttons are numbered on across messages, and a number keeps
its button while the message shows it (see `Screen`).

It starts in a fraction of a second: `diary-bot chat` reaches this module without importing the rest
of the command line (bot/launch.py), and it needs none of the bot, only the standard library's HTTP.
"""

import contextlib
import inspect
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Annotated, Any

import typer
from dotenv import dotenv_values

from locales.i18n import DEFAULT_LOCALE, LOCALES, translate
from services.errors import N_

POLL_SECONDS = 25  # one long poll of the view; the emulator answers at once when something changes
ANSWER_SECONDS = 15  # how long the bot may take to take an update before the chat says it is not running
QUIET_SECONDS = 0.3  # the bot handles an update as a task: its answer is complete once it is quiet this long
HISTORY = 3  # messages shown from before the chat started
PROMPT = "> "


def operator_locale() -> str:
    """The command line's language (LOCALE from the environment or .env), read without the bot's
    settings, which take a second to import; anything else falls back to the default."""
    value = os.environ.get("LOCALE") or dotenv_values(".env").get("LOCALE") or DEFAULT_LOCALE
    return value if value in LOCALES else DEFAULT_LOCALE


LOCALE = operator_locale()


def _(message: str, **params: Any) -> str:
    return translate(message, LOCALE, **params)


# Message ids: bot/cli.py shows them translated, as it does every command's help.
HELP = N_("Talk to the bot through the emulator from this terminal; press buttons by number.")


class Screen:
    """The buttons on screen and their numbers. Numbers go on across messages and never pass to another
    message, so a typed number presses the button printed with it, whatever arrived since. An
    edited message that shows the same kind of buttons (a setting toggled, a student marked) keeps its
    numbers; a different screen in it takes new ones, and the numbers it no longer shows press nothing,
    as do a deleted message's."""

    def __init__(self) -> None:
        self.next_number = 1
        self.buttons: dict[int, tuple[int, str]] = {}  # number -> (message id, callback data)
        self.blocks: dict[int, tuple[list[int], list[str]]] = {}  # message id -> its numbers, their kinds

    def number(self, message_id: int, data: list[str]) -> list[int]:
        kinds = [d.split(":")[0] for d in data]  # a CallbackData's prefix names its screen's kind of button
        old, old_kinds = self.blocks.get(message_id, ([], []))
        self.forget(message_id)
        if kinds == old_kinds:
            numbers = old
        else:
            numbers = list(range(self.next_number, self.next_number + len(data)))
            self.next_number += len(data)
        self.blocks[message_id] = (numbers, kinds)
        for number, pressed in zip(numbers, data, strict=True):
            self.buttons[number] = (message_id, pressed)
        return numbers

    def forget(self, message_id: int) -> None:
        numbers, _kinds = self.blocks.pop(message_id, ([], []))
        for number in numbers:
            self.buttons.pop(number, None)

    def show(self, message: dict[str, Any], edited: bool = False) -> list[str]:
        """The message's lines as printed, its buttons numbered."""
        text = message.get("text") or message.get("caption") or ""
        if "document" in message:
            text = f"[📎 {message['document'].get('file_name') or 'file'}] {text}"
        if "photo" in message:
            text = f"[🖼] {text}"
        head = "🤖 " + (_("(edited)") + " " if edited else "")
        lines = [(head if n == 0 else "   ") + line for n, line in enumerate(text.split("\n"))]
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        data = [b["callback_data"] for row in rows for b in row if "callback_data" in b]
        numbers = iter(self.number(message["message_id"], data))
        for row in rows:
            labels = []
            for button in row:
                if "callback_data" in button:
                    labels.append(f"[{next(numbers)}] {button['text']}")
                else:
                    labels.append(f"🔗 {button['text']} ({button.get('url', '')})")
            lines.append("   " + "  ".join(labels))
        return lines

    def press(self, number: int) -> tuple[int, str] | str:
        """The button's message and data, or why there is none."""
        if number in self.buttons:
            return self.buttons[number]
        if number < self.next_number:
            return _("[{number}] is no longer on screen: its message changed or was deleted.", number=number)
        return _("There is no button [{number}]. To send the number as text, type \\{number}.", number=number)


class EmulatorGone(Exception):
    """The emulator stopped answering; the chat waits for it and says when it is back."""


class Chat:
    def __init__(self, url: str, user: int, language: str) -> None:
        self.url, self.user, self.language = url.rstrip("/"), user, language
        self.screen = Screen()
        self.shown: set[int] = set()  # ids of the bot's messages printed
        self.version = 0  # of the view, as far as printed
        self.changed_at = time.monotonic()
        self.changed = threading.Condition()  # the watcher moved `version` on
        self.output = threading.Lock()
        self.interactive = sys.stdin.isatty() and sys.stdout.isatty()
        self.at_prompt = False

    # --- the emulator ---------------------------------------------------------------------------
    def _request(self, path: str, body: dict[str, Any] | None = None, timeout: float = 10) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 400:
                return json.load(error)
            raise EmulatorGone from error
        except (OSError, ValueError) as error:
            raise EmulatorGone from error

    def _view(self, after: int, timeout: float) -> dict[str, Any]:
        query = urllib.parse.urlencode({"after": after, "timeout": timeout})
        return self._request(f"/emulator/users/{self.user}/view?{query}", timeout=timeout + 10)

    # --- printing -------------------------------------------------------------------------------
    def say(self, lines: list[str]) -> None:
        """Print above the prompt: wipe the prompt line, print, and put the prompt and what the
        person has typed so far back."""
        with self.output:
            if self.at_prompt:
                sys.stdout.write("\r\x1b[K")
            sys.stdout.write("\n".join(lines) + "\n")
            if self.at_prompt:
                import readline

                sys.stdout.write(PROMPT + readline.get_line_buffer())
            sys.stdout.flush()

    def print_events(self, events: list[dict[str, Any]]) -> None:
        lines: list[str] = []
        for event in events:
            if "message" in event:
                message = event["message"]
                lines += ["", *self.screen.show(message, edited=message["message_id"] in self.shown)]
                self.shown.add(message["message_id"])
            elif "deleted" in event and event["deleted"] in self.shown:
                self.screen.forget(event["deleted"])
                lines += ["", "🤖 " + _("(deleted its message)")]
            elif "popup" in event and event["popup"]["text"]:
                popup = event["popup"]
                lines.append(("⚠ " if popup["show_alert"] else "ℹ ") + popup["text"])
        if lines:
            self.say(lines)

    def catch_up(self) -> None:
        """At the start (or when the emulator was restarted): the last few messages, to go on from."""
        view = self._view(0, 0)
        messages = [e for e in view["events"] if "message" in e]
        self.shown = {e["message"]["message_id"] for e in messages[:-HISTORY]}
        self.screen = Screen()
        self.print_events(messages[-HISTORY:])
        self.moved_to(view["version"])

    def moved_to(self, version: int) -> None:
        with self.changed:
            self.version = version
            self.changed_at = time.monotonic()
            self.changed.notify_all()

    def watch(self) -> None:
        """The background thread: print what changes as it comes."""
        lost = False
        while True:
            try:
                view = self._view(self.version, 0 if lost else POLL_SECONDS)  # back: say so at once
                if lost:
                    lost = False
                    self.say(["", _("(the emulator answers again)")])
                if view["version"] < self.version:  # a new emulator: its ids start over
                    self.catch_up()
                    continue
                self.print_events(view["events"])
                if view["version"] != self.version:
                    self.moved_to(view["version"])
            except EmulatorGone:
                if not lost:
                    lost = True
                    self.say(["", _("(the emulator at {url} does not answer; waiting for it)", url=self.url)])
                time.sleep(1)

    # --- what the person types --------------------------------------------------------------------
    def read(self) -> str | None:
        if not self.interactive:
            line = sys.stdin.readline()
            if line:
                self.say([PROMPT + line.rstrip("\n")])  # a transcript of piped input reads like a chat
            return line or None
        import readline  # noqa: F401  (line editing and history for input())

        with self.output:
            self.at_prompt = True
        try:
            return input(PROMPT)
        except EOFError:
            return None
        finally:
            with self.output:
                self.at_prompt = False

    def body(self, line: str) -> dict[str, Any] | None:
        """What to send for a typed line: a number presses the button shown with it, \\N sends N."""
        if line.isdigit():
            pressed = self.screen.press(int(line))
            if isinstance(pressed, str):
                self.say([pressed])
                return None
            message_id, data = pressed
            return {"message_id": message_id, "data": data}
        if line.startswith("\\") and line[1:].isdigit():
            line = line[1:]
        return {"text": line, "language_code": self.language}

    def send(self, body: dict[str, Any]) -> None:
        sent = self._request(f"/emulator/users/{self.user}/send", body)
        if "error" in sent:
            self.say([_("That button's message is gone.")])
            return
        waited = self._request(
            f"/emulator/wait?update_id={sent['update_id']}&timeout={ANSWER_SECONDS}", timeout=ANSWER_SECONDS + 10
        )
        if not waited["processed"]:
            self.say(
                [
                    _(
                        "(the bot did not take it in {seconds} s: is it running with TELEGRAM_API_URL set?)",
                        seconds=ANSWER_SECONDS,
                    )
                ]
            )
            return
        self.settle(sent["version"])

    def settle(self, before: int) -> None:
        """Wait for the bot's answer to be printed (it is complete once the view is quiet a moment), so
        the next line, piped ones too, reads the numbers it shows."""
        deadline = time.monotonic() + 10
        with self.changed:
            self.changed.wait_for(lambda: self.version > before, timeout=3)
            while self.version > before and time.monotonic() < deadline:
                quiet = time.monotonic() - self.changed_at
                if quiet >= QUIET_SECONDS:
                    return
                self.changed.wait(QUIET_SECONDS - quiet)

    def run(self) -> int:
        try:
            self.catch_up()
        except EmulatorGone:
            typer.echo(
                _("The emulator at {url} does not answer: start it with `diary-bot emulator`.", url=self.url), err=True
            )
            return 2
        self.say(
            [_("Type a message or a command as in Telegram; a number presses the button shown with it; Ctrl-D quits.")]
        )
        threading.Thread(target=self.watch, name="chat-watch", daemon=True).start()
        with contextlib.suppress(KeyboardInterrupt):
            while (line := self.read()) is not None:
                body = self.body(line.strip()) if line.strip() else None
                try:
                    if body is not None:
                        self.send(body)
                except EmulatorGone:
                    self.say([_("The emulator at {url} does not answer: nothing was sent.", url=self.url)])
        if self.interactive:
            print()
        return 0


def command(
    user: Annotated[int, typer.Option(help=N_("the Telegram user id to act as"))] = 1001,
    url: Annotated[str, typer.Option(help=N_("the emulator's address"))] = "http://127.0.0.1:8081",
    language: Annotated[str, typer.Option(help=N_("the user's Telegram language"))] = "ru",
) -> None:
    raise typer.Exit(Chat(url, user, language).run())


def quick_options(args: list[str]) -> dict[str, Any] | None:
    """`command`'s options as typer reads them, in the plain cases (`--user 1002`, `--url=…`), for
    bot/launch.py: typer loads pydantic to read options, which was half the chat's start. None leaves
    anything else (--help, a mistake) to the whole command line, for the same help and messages as
    every other command."""
    options = {name: p.default for name, p in inspect.signature(command).parameters.items()}
    rest = list(args)
    while rest:
        name, equals, value = rest.pop(0).partition("=")
        key = name.removeprefix("--").replace("-", "_")
        if not name.startswith("--") or key not in options or not (equals or rest):
            return None
        value = value if equals else rest.pop(0)
        try:
            options[key] = type(options[key])(value)
        except ValueError:
            return None
    return options
