"""The transactional outbox: one row per push to one recipient, written with the change."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAt, UTCDateTime


class Notification(CreatedAt, Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "lane", "due_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("telegram_accounts.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(16))  # grades | absences | homework | …
    kind: Mapped[str] = mapped_column(String(32))  # what to render
    lane: Mapped[str] = mapped_column(String(8), default="realtime")  # realtime | bulk
    payload: Mapped[dict[str, Any]]
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    # What the push is about, for one recipient: a correction inside the grace period finds the
    # pending row by it and replaces the payload instead of queuing a second push.
    topic: Mapped[str | None] = mapped_column(String(160), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # Sticky for the row's life: a send of it may have reached Telegram (no answer, a dropped
    # connection, a worker gone mid-send), so a repeat is counted apart from a duplicate.
    outcome_unknown: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Since when Telegram could not be reached for this row: an outage is waited out, up to a cap.
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A weekly summary's "Seen" button (000 §2.12): when the family marked it read.
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SummaryRun(CreatedAt, Base):
    """A school's weekly summaries, all queued: the scheduler's minute-by-minute check skips the
    school instead of building its summaries again (000 §2.12)."""

    __tablename__ = "summary_runs"
    __table_args__ = (UniqueConstraint("school_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    week_start: Mapped[date]
    queued: Mapped[int] = mapped_column(default=0)
