"""outbox claim order index

The claim reads pending rows of a lane in (due_at, id) order; with id in the index the
database walks it and stops at the batch size instead of sorting every pending row.

Revision ID: 3b1f0c9d2e47
Revises: 7926aaf8b888
Create Date: 2026-11-23 18:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3b1f0c9d2e47"
down_revision: str | None = "7926aaf8b888"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_due")
        batch_op.create_index("ix_notifications_due", ["status", "lane", "due_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_due")
        batch_op.create_index("ix_notifications_due", ["status", "lane", "due_at"], unique=False)
