"""ratings: a returned dossier's rating with the provinces' criteria, reasons and the answer

Revision ID: 0008_ratings
Revises: 0007_quality_facts
Create Date: 2026-11-30 23:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401  (rendered JSONB types use it)
from sqlalchemy.dialects import postgresql

import app.models.base  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision = '0008_ratings'
down_revision = '0007_quality_facts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ratings',
    sa.Column('dossier_id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=32), nullable=False),
    sa.Column('procedure_code', sa.String(length=64), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('criteria', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('rated_at', app.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', app.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], name=op.f('fk_ratings_answered_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_ratings_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_ratings_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dossier_id', name=op.f('pk_ratings'))
    )
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index('ix_ratings_agency_rated', ['agency_code', 'rated_at'], unique=False)
    # Ratings given before this revision keep their level and comment on the dossier.


def downgrade():
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_ratings_agency_rated')
    op.drop_table('ratings')
