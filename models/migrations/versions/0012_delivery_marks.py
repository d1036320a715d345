"""the outbox's sticky "outcome unknown" mark, and since when Telegram has been unreachable for a row

A row that may have reached Telegram keeps saying so for its life, whatever later failures write
in last_error; a row waiting out a Telegram outage counts the time against a cap instead of its
attempts. Rows already marked in last_error keep the mark.

Revision ID: c12e7a9f4d03
Revises: b11d6f8e3c02
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c12e7a9f4d03'
down_revision: str | None = 'b11d6f8e3c02'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_unknown', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('unreachable_since', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE notifications SET outcome_unknown = true WHERE last_error LIKE 'outcome unknown%'")


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('unreachable_since')
        batch_op.drop_column('outcome_unknown')
