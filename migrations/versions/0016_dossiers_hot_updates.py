"""dossiers updated in place: no index on updated_at (a draft's save changed an indexed
column, so PostgreSQL wrote a new entry in each of the table's 8 indexes); room on each page
for the new row version (fillfactor 85, PostgreSQL)

Revision ID: 0016_dossiers_hot_updates
Revises: 0015_quality_rollup
Create Date: 2026-12-02 13:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_dossiers_hot_updates'
down_revision = '0015_quality_rollup'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index('ix_dossiers_owner_updated')
    if op.get_bind().dialect.name == 'postgresql':
        # Rows already stored keep their pages until they are next written (or VACUUM FULL).
        op.execute('ALTER TABLE dossiers SET (fillfactor = 85)')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE dossiers RESET (fillfactor)')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index('ix_dossiers_owner_updated', ['owner_id', 'updated_at'], unique=False)
