"""a child's pushes muted by a parent, and class teachers' notes apart from absences

A parent of several children may turn one child's pushes off (child_mutes, per account). Families'
notes to the class teacher get their own switch (push_notes), which starts as the absences one did.

Revision ID: b11d6f8e3c02
Revises: a10c5e7d2b01
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b11d6f8e3c02'
down_revision: str | None = 'a10c5e7d2b01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'child_mutes',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['account_id'],
            ['telegram_accounts.id'],
            name=op.f('fk_child_mutes_account_id_telegram_accounts'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['student_id'], ['students.id'], name=op.f('fk_child_mutes_student_id_students'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('account_id', 'student_id', name=op.f('pk_child_mutes')),
    )
    with op.batch_alter_table('preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('push_notes', sa.Boolean(), nullable=True))
    # Notes used to follow the absences switch: whoever turned that off keeps them off.
    op.execute('UPDATE preferences SET push_notes = push_absences')
    with op.batch_alter_table('preferences', schema=None) as batch_op:
        batch_op.alter_column('push_notes', existing_type=sa.Boolean(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('preferences', schema=None) as batch_op:
        batch_op.drop_column('push_notes')
    op.drop_table('child_mutes')
