"""telemetry: events without personal values, per-phone rate windows, drops by reason

Revision ID: 0011_telemetry
Revises: 0010_agency_directory
Create Date: 2026-11-30 23:30:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.base  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision = '0011_telemetry'
down_revision = '0010_agency_directory'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('telemetry_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('procedure_code', sa.String(length=64), nullable=True),
    sa.Column('form_version', sa.Integer(), nullable=True),
    sa.Column('section', sa.String(length=64), nullable=True),
    sa.Column('field', sa.String(length=130), nullable=True),
    sa.Column('rule', sa.String(length=70), nullable=True),
    sa.Column('network', sa.String(length=12), nullable=True),
    sa.Column('reason', sa.String(length=24), nullable=True),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telemetry_events'))
    )
    with op.batch_alter_table('telemetry_events', schema=None) as batch_op:
        batch_op.create_index('ix_telemetry_events_kind_day', ['kind', 'day', 'procedure_code'], unique=False)
    op.create_table('telemetry_devices',
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('window_start', app.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_telemetry_devices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_telemetry_devices'))
    )
    with op.batch_alter_table('telemetry_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telemetry_devices_user_id'), ['user_id'], unique=False)
    op.create_table('telemetry_drops',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'reason', name=op.f('pk_telemetry_drops'))
    )


def downgrade():
    op.drop_table('telemetry_drops')
    with op.batch_alter_table('telemetry_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telemetry_devices_user_id'))
    op.drop_table('telemetry_devices')
    with op.batch_alter_table('telemetry_events', schema=None) as batch_op:
        batch_op.drop_index('ix_telemetry_events_kind_day')
    op.drop_table('telemetry_events')
