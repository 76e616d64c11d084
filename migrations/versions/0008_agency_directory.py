"""agency directory: electronic identifier, kind, administrative unit, served units;
the competent level and kind of each procedure

Revision ID: 0008_agency_directory
Revises: 0007_quality_facts
Create Date: 2026-11-30 22:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0008_agency_directory'
down_revision = '0007_quality_facts'
branch_labels = None
depends_on = None


def upgrade():
    # Agencies made before the directory keep their dossiers; `flask demo load` fills the
    # new columns for the directory's agencies.
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('electronic_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('unit_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('serves', JSON, nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_agencies_electronic_id'), ['electronic_id'])
        batch_op.create_index(batch_op.f('ix_agencies_unit_code'), ['unit_code'], unique=False)
    op.execute("UPDATE agencies SET serves = '[]'")
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.alter_column('serves', existing_type=JSON, nullable=False)
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('competent', JSON, nullable=True))
    op.execute("UPDATE procedures SET competent = '{}'")
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.alter_column('competent', existing_type=JSON, nullable=False)


def downgrade():
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.drop_column('competent')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agencies_unit_code'))
        batch_op.drop_constraint(batch_op.f('uq_agencies_electronic_id'), type_='unique')
        batch_op.drop_column('serves')
        batch_op.drop_column('unit_code')
        batch_op.drop_column('kind')
        batch_op.drop_column('electronic_id')
