"""The `diary-bot` command and `python -m bot`. `chat` goes straight to the terminal chat, which needs
none of the bot: aiogram, SQLAlchemy, Alembic and the services take seconds to import, and the chat
should start at once. Every other command goes to bot/cli.py (which also lists `chat`)."""

import sys


def main() -> None:
    if sys.argv[1:2] == ["chat"]:
        chat(sys.argv[2:])
        return
    from bot.cli import app

    app(prog_name="diary-bot")


def chat(args: list[str]) -> None:
    from devtools.chat import Chat, quick_options

    options = quick_options(args)
    if options is not None:
        sys.exit(Chat(**options).run())
    # --help or a mistake in the options: typer answers as the whole command line does, in its
    # language, from a command line that holds the chat alone.
    import typer

    from bot.cli_help import LocalizedCommand, LocalizedGroup
    from devtools.chat import HELP, command

    alone = typer.Typer(cls=LocalizedGroup, add_completion=False)
    alone.callback()(lambda: None)
    alone.command("chat", cls=LocalizedCommand, help=HELP)(command)
    alone(["chat", *args], prog_name="diary-bot")
