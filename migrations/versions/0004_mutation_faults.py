"""mutation faults and dead letters

Revision ID: 0004_mutation_faults
Revises: 0003_payments
Create Date: 2026-11-30 19:20:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401  (rendered JSONB types use it)

import app.models.base  # noqa: F401  (custom column types)
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0004_mutation_faults'
down_revision = '0003_payments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mutation_faults',
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('mutation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('args', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('captured_at', app.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('deliveries', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('first_failed_at', app.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_failed_at', app.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('dead_at', app.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('replayed_at', app.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('replay_result', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client_states.client_id'], name=op.f('fk_mutation_faults_client_id_client_states'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mutation_faults_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', 'mutation_id', name=op.f('pk_mutation_faults'))
    )
    with op.batch_alter_table('mutation_faults', schema=None) as batch_op:
        batch_op.create_index('ix_mutation_faults_dead_at', ['dead_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mutation_faults_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('mutation_faults', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mutation_faults_user_id'))
        batch_op.drop_index('ix_mutation_faults_dead_at')
    op.drop_table('mutation_faults')
