"""The current time, in one place so tests can move it; school dates are in the school's zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from models import School


def now() -> datetime:
    return datetime.now(UTC)


def school_now(school: School) -> datetime:
    return now().astimezone(ZoneInfo(school.timezone))


def school_today(school: School) -> date:
    return school_now(school).date()
