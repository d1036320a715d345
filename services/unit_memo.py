"""What one transaction reads more than once (a lesson, its class, its class list, the school's work
types), kept for that transaction only: a tap checks its rules and then draws its screen, and both
ask for the same rows; and whether it has written anything. Forgotten at every commit and rollback."""

from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

T = TypeVar("T")
_MEMO = "diary_memo"
_HELD = "diary_held"
_WROTE = "diary_wrote"


def recall(session: AsyncSession, key: tuple[Any, ...]) -> Any:
    return session.info.get(_MEMO, {}).get(key)


def remember(session: AsyncSession, key: tuple[Any, ...], value: T) -> T:
    session.info.setdefault(_MEMO, {})[key] = value
    return value


def hold(session: AsyncSession, instance: T) -> T:
    """Keep an instance alive until the transaction ends, so the identity map answers the next
    `session.get` for it instead of the database (the map itself holds instances weakly)."""
    session.info.setdefault(_HELD, []).append(instance)
    return instance


def wrote(session: AsyncSession) -> bool:
    """Whether the transaction has sent any change to the database (a flush) so far."""
    return bool(session.info.get(_WROTE))


@event.listens_for(Session, "after_flush")
def _wrote(session: Session, *_args: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_MEMO, None)
    session.info.pop(_HELD, None)
    session.info.pop(_WROTE, None)
