"""Development tools: the Bot API emulator and the terminal chat (`diary-bot emulator`, `diary-bot chat`)."""
