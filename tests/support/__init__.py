"""Helpers shared by the tests: acting as demo people, driving the bot, editing rosters."""
