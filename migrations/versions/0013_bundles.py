"""bundles (liên thông): a procedure's member procedures, a member dossier's bundle

Revision ID: 0013_bundles
Revises: 0012_desk
Create Date: 2026-11-30 23:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0013_bundles'
down_revision = '0012_desk'
branch_labels = None
depends_on = None


def upgrade():
    # Added columns and an index only: SQLite keeps the tables others refer to.
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('members', JSON, nullable=False, server_default='[]'))
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bundle_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_dossiers_bundle_id'), ['bundle_id'], unique=False)


def downgrade():
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossiers_bundle_id'))
        batch_op.drop_column('bundle_id')
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.drop_column('members')
