"""`python -m bot` is the same as the `diary-bot` command."""

from bot.launch import main

main()
