"""Domain data turned into platform-neutral messages: text, buttons that name an action, files.

Telegram's handlers and delivery worker render through these; a second messenger would too."""
