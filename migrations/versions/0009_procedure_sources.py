"""procedure sources: each procedure's legal basis and the date it was checked

Revision ID: 0009_procedure_sources
Revises: 0008_ratings
Create Date: 2026-12-01 00:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0009_procedure_sources'
down_revision = '0008_ratings'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('procedures') as batch_op:
        batch_op.add_column(sa.Column('legal_basis', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('checked_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('procedures') as batch_op:
        batch_op.drop_column('checked_on')
        batch_op.drop_column('legal_basis')
