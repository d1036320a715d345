"""The Telegram Mini App: its pages and JSON API, served beside the webhook by the same aiohttp app."""
