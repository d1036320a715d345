"""Typed callback data for every inline button the bot shows."""

from aiogram.filters.callback_data import CallbackData


class ConsentCb(CallbackData, prefix="consent"):
    accept: bool


class LanguageCb(CallbackData, prefix="lang"):
    locale: str


class LogoutCb(CallbackData, prefix="logout"):
    confirm: bool
