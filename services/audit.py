"""Writing audit entries; callers add them in the same transaction as the change."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, Person
from models.base import utcnow


def record(
    session: AsyncSession,
    *,
    action: str,
    entity: str,
    entity_id: int | None,
    school_id: int | None = None,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=utcnow(),
        action=action,
        entity=entity,
        entity_id=entity_id,
        school_id=school_id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


async def recent(
    session: AsyncSession, *, since: datetime | None = None, entity: str | None = None, limit: int = 100
) -> list[tuple[AuditEntry, str | None]]:
    """The latest entries, newest first, each with the acting person's name (for the administrator)."""
    query = (
        select(AuditEntry, Person)
        .outerjoin(Person, Person.id == AuditEntry.actor_person_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    return [(entry, person.full_name if person else None) for entry, person in (await session.execute(query)).all()]
