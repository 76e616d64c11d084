"""signed documents prepared by a worker: a document is stored with what it says (`source`)
before its PDF is laid out and signed (`pdf`, `sha256` and `signed_at` set then); the
unsigned ones indexed for the workers' sweep

Revision ID: 0017_documents_signed_later
Revises: 0016_dossiers_hot_updates
Create Date: 2026-12-03 20:20:00

"""
import sqlalchemy as sa
from alembic import op

from app.models.base import JsonType, UtcDateTime

# revision identifiers, used by Alembic.
revision = '0017_documents_signed_later'
down_revision = '0016_dossiers_hot_updates'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('issued_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', JsonType, nullable=True))
        batch_op.add_column(sa.Column('signed_at', UtcDateTime(timezone=True), nullable=True))
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('pdf', existing_type=sa.LargeBinary(), nullable=True)
        batch_op.create_index('ix_issued_documents_unsigned', ['issued_at'], unique=False,
                              sqlite_where=sa.text('pdf IS NULL'),
                              postgresql_where=sa.text('pdf IS NULL'))
    op.execute('UPDATE issued_documents SET signed_at = issued_at')


def downgrade():
    op.execute('DELETE FROM issued_documents WHERE pdf IS NULL')
    with op.batch_alter_table('issued_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_issued_documents_unsigned')
        batch_op.alter_column('pdf', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('signed_at')
        batch_op.drop_column('source')
