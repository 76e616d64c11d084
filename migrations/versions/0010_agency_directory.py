"""agency directory: electronic identifier, kind, administrative unit, served units;
the competent level and kind of each procedure

Revision ID: 0010_agency_directory
Revises: 0009_procedure_sources
Create Date: 2026-11-30 22:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0010_agency_directory'
down_revision = '0009_procedure_sources'
branch_labels = None
depends_on = None


def upgrade():
    # Agencies made before the directory keep their dossiers; `flask demo load` fills the
    # new columns for the directory's agencies. Only added columns and indexes: SQLite keeps
    # the table (and the rows that refer to it) as it is.
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('electronic_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('unit_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('serves', JSON, nullable=False, server_default='[]'))
        batch_op.create_index('ix_agencies_electronic_id', ['electronic_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_agencies_unit_code'), ['unit_code'], unique=False)
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('competent', JSON, nullable=False, server_default='{}'))


def downgrade():
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.drop_column('competent')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agencies_unit_code'))
        batch_op.drop_index('ix_agencies_electronic_id')
        batch_op.drop_column('serves')
        batch_op.drop_column('unit_code')
        batch_op.drop_column('kind')
        batch_op.drop_column('electronic_id')
