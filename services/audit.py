"""Writing audit entries; callers add them in the same transaction as the change."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry
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
