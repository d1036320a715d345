"""a person's sex, optional, from the roster

Lets messages about a student use the right gendered form («отсутствовал» / «отсутствовала»);
unknown stays NULL and the wording falls back to the patronymic or a neutral form.

Revision ID: a10c5e7d2b01
Revises: 5c2d9e71a0b4
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a10c5e7d2b01'
down_revision: str | None = '5c2d9e71a0b4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sex', sa.String(length=1), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_column('sex')
