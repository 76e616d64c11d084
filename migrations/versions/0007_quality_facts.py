"""quality facts: one row per filed dossier, projected from its events, for the 766 index

Revision ID: 0007_quality_facts
Revises: 0006_phone_verification
Create Date: 2026-11-30 22:45:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0007_quality_facts'
down_revision = '0006_phone_verification'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('quality_facts',
    sa.Column('dossier_id', sa.Uuid(), nullable=False),
    sa.Column('agency_code', sa.String(length=32), nullable=False),
    sa.Column('procedure_code', sa.String(length=64), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('filed_online', sa.Boolean(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('refused_on', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('paused_on', sa.Date(), nullable=True),
    sa.Column('finished_on', sa.Date(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('result_on', sa.Date(), nullable=True),
    sa.Column('result_electronic', sa.Boolean(), nullable=True),
    sa.Column('returned_on', sa.Date(), nullable=True),
    sa.Column('supplements', sa.SmallInteger(), nullable=False),
    sa.Column('fee_due', sa.Boolean(), nullable=False),
    sa.Column('paid_online', sa.Boolean(), nullable=False),
    sa.Column('digitised', sa.Boolean(), nullable=False),
    sa.Column('reused', sa.Boolean(), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('rated_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_quality_facts_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dossier_id', name=op.f('pk_quality_facts'))
    )
    with op.batch_alter_table('quality_facts', schema=None) as batch_op:
        batch_op.create_index('ix_quality_facts_agency_received', ['agency_code', 'received_on'], unique=False)
        batch_op.create_index('ix_quality_facts_agency_procedure', ['agency_code', 'procedure_code'], unique=False)
    # Dossiers filed before this revision get their rows from the log:
    # `flask quality rebuild` (docs/quality.md).


def downgrade():
    with op.batch_alter_table('quality_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_facts_agency_procedure')
        batch_op.drop_index('ix_quality_facts_agency_received')
    op.drop_table('quality_facts')
