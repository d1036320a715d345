"""`python -m bot` is the same as the `diary-bot` command."""

from bot.cli import app

app(prog_name="diary-bot")
