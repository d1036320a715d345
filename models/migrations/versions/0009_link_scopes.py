"""link scopes, atomic attempt windows, school kind, private chats

A code and the account it links carry a scope (family, staff or all) so a class teacher's code
never yields a staff role; failed codes are counted per fixed window with an atomic upsert; a
school is a school or a college; an account's chat is always its private chat.

Revision ID: 5c2d9e71a0b4
Revises: 246e8b521a1c
Create Date: 2026-12-01 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5c2d9e71a0b4'
down_revision: str | None = '246e8b521a1c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('link_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=8), nullable=True))
    # A code for a student or parent, or one a class teacher (no administrator) issued, is the
    # family's; the administrator's other codes keep every role, as they did.
    op.execute(
        "UPDATE link_codes SET scope = CASE WHEN role IN ('student', 'parent') OR (issued_by IS NOT NULL "
        "AND issued_by NOT IN (SELECT person_id FROM role_grants WHERE role = 'admin')) "
        "THEN 'family' ELSE 'all' END"
    )
    with op.batch_alter_table('link_codes', schema=None) as batch_op:
        batch_op.alter_column('scope', existing_type=sa.String(length=8), nullable=False)
        batch_op.drop_column('role')

    with op.batch_alter_table('telegram_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=8), nullable=True))
    op.execute("UPDATE telegram_accounts SET scope = 'all' WHERE person_id IS NOT NULL")
    # A /start or /language sent in a group used to move the chat there: private chat = user id.
    op.execute("UPDATE telegram_accounts SET chat_id = telegram_user_id")

    op.drop_table('link_attempts')
    op.create_table(
        'link_attempt_windows',
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('tries', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key', 'window_start', name=op.f('pk_link_attempt_windows')),
    )

    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='school', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.drop_column('kind')
    op.drop_table('link_attempt_windows')
    op.create_table(
        'link_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_link_attempts')),
    )
    with op.batch_alter_table('link_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_attempts_telegram_user_id'), ['telegram_user_id'], unique=False)
    with op.batch_alter_table('telegram_accounts', schema=None) as batch_op:
        batch_op.drop_column('scope')
    with op.batch_alter_table('link_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), nullable=True))
    op.execute("UPDATE link_codes SET role = CASE WHEN scope = 'family' THEN 'parent' ELSE 'teacher' END")
    with op.batch_alter_table('link_codes', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_column('scope')
