"""a work type's weight in a student's average (a test may count twice)

Every kind of work the schools already have counts once, as every grade did before.

Revision ID: 0013
Revises: c12e7a9f4d03
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "c12e7a9f4d03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work_types", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("weight", sa.Numeric(precision=4, scale=2), server_default=sa.text("1"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("work_types", schema=None) as batch_op:
        batch_op.drop_column("weight")
