"""quality roll-up: the index's sums per agency, procedure and month; which facts rows it holds

Revision ID: 0015_quality_rollup
Revises: 0014_routing_index
Create Date: 2026-12-01 02:10:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0015_quality_rollup'
down_revision = '0014_routing_index'
branch_labels = None
depends_on = None

LIVE_FACTS = "NOT rolled_up"
COLUMNS = ("filed", "filed_online", "fee_filed", "fee_paid_online", "refused", "results",
           "results_electronic", "ratings", "rating_sum", "rated_1", "rated_2", "rated_3",
           "rated_4", "rated_5", "new", "new_digitised", "new_reused", "early",
           "finished_on_time", "finished_late", "stopped", "withdrawn", "finished_unsatisfied",
           "finished_on_time_unsatisfied", "open", "open_on_time", "open_late", "paused",
           "open_unsatisfied", "open_on_time_unsatisfied")


def upgrade():
    op.create_table('quality_rollup',
    sa.Column('agency_code', sa.String(length=32), nullable=False),
    sa.Column('procedure_code', sa.String(length=64), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in COLUMNS),
    sa.PrimaryKeyConstraint('agency_code', 'procedure_code', 'month', name=op.f('pk_quality_rollup'))
    )
    with op.batch_alter_table('quality_facts', schema=None) as batch_op:
        # Every row stays read by the index itself until `flask quality rebuild` rolls the
        # finished ones up: right, then fast.
        batch_op.add_column(sa.Column('rolled_up', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index('ix_quality_facts_live', ['agency_code', 'procedure_code'], unique=False,
                              postgresql_where=sa.text(LIVE_FACTS), sqlite_where=sa.text(LIVE_FACTS))
    # The sums of the facts already there: `flask quality rebuild` (docs/quality.md).


def downgrade():
    with op.batch_alter_table('quality_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_facts_live')
        batch_op.drop_column('rolled_up')
    op.drop_table('quality_rollup')
