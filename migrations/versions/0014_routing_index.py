"""routing as an indexed lookup: agencies by kind, level and unit; the units an agency
serves beyond its own as rows (agency_serves), filled from agencies.serves

Revision ID: 0014_routing_index
Revises: 0013_bundles
Create Date: 2026-12-01 02:00:00

"""
import json

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0014_routing_index'
down_revision = '0013_bundles'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'agency_serves',
        sa.Column('unit_code', sa.String(length=16), nullable=False),
        sa.Column('agency_code', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('unit_code', 'agency_code'),
    )
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.create_index('ix_agencies_kind_level_unit', ['kind', 'level', 'unit_code'],
                              unique=False)
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT code, serves FROM agencies")).fetchall()
    for code, serves in rows:
        units = json.loads(serves) if isinstance(serves, str) else (serves or [])
        for unit in dict.fromkeys(units):
            conn.execute(sa.text("INSERT INTO agency_serves (unit_code, agency_code) "
                                 "VALUES (:unit, :code)"), {"unit": unit, "code": code})


def downgrade():
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_index('ix_agencies_kind_level_unit')
    op.drop_table('agency_serves')
