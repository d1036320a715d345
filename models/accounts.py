"""Telegram accounts, the link codes that bind them to people, and per-account preferences."""

from datetime import datetime, time
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAt, UTCDateTime


class TelegramAccount(CreatedAt, Base):
    """A Telegram user who has talked to the bot; linked when person_id is set."""

    __tablename__ = "telegram_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # Unique: a person who links a new Telegram account loses the old link.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), unique=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    # Which side of the person this account was linked for: family, staff or all (services.roles.Scope).
    scope: Mapped[str | None] = mapped_column(String(8))
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LinkCode(CreatedAt, Base):
    """A single-use code; only its hash is stored."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    # The roles it links: family, staff or all (services.roles.Scope); a class teacher's are family.
    scope: Mapped[str] = mapped_column(String(8))
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LinkAttemptWindow(Base):
    """Codes tried in one fixed time window, by one Telegram user ("u<id>") or by everyone ("*"):
    counted with one atomic upsert, so quick parallel guesses cannot slip past the limit."""

    __tablename__ = "link_attempt_windows"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    tries: Mapped[int] = mapped_column(default=0)


# A new account's quiet hours, in the school's time zone.
QUIET_HOURS = (time(21, 0), time(7, 30))


class Preference(Base):
    __tablename__ = "preferences"

    account_id: Mapped[int] = mapped_column(ForeignKey("telegram_accounts.id", ondelete="CASCADE"), primary_key=True)
    push_grades: Mapped[bool] = mapped_column(default=True)
    push_absences: Mapped[bool] = mapped_column(default=True)
    push_homework: Mapped[bool] = mapped_column(default=True)
    push_summaries: Mapped[bool] = mapped_column(default=True)
    push_reminders: Mapped[bool] = mapped_column(default=True)
    # A class teacher's notes from families: apart from absences, which are a family's own pushes.
    push_notes: Mapped[bool] = mapped_column(default=True)
    # None is "no quiet hours". The default comes from __init__, not from a column default: the ORM
    # takes None as "not given" for a column that has one, so `quiet_from=None` was saved as 21:00.
    quiet_from: Mapped[time | None] = mapped_column()
    quiet_to: Mapped[time | None] = mapped_column()
    # The child a parent of several last chose in the family's diary.
    child_student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id", ondelete="SET NULL"))

    def __init__(self, **values: Any) -> None:
        values.setdefault("quiet_from", QUIET_HOURS[0])
        values.setdefault("quiet_to", QUIET_HOURS[1])
        super().__init__(**values)


class ChildMute(Base):
    """A parent of several children who turned one child's pushes off, on this account."""

    __tablename__ = "child_mutes"

    account_id: Mapped[int] = mapped_column(ForeignKey("telegram_accounts.id", ondelete="CASCADE"), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), primary_key=True)
