"""the desk: who holds a dossier, the draft result for the leader, the apology's new date,
the search text (filled for existing dossiers)

Revision ID: 0012_desk
Revises: 0011_telemetry
Create Date: 2026-11-30 22:30:00

"""
import json
import unicodedata

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import app.models.base  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision = '0012_desk'
down_revision = '0011_telemetry'
branch_labels = None
depends_on = None


def _fold(text):
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, str):
        yield value


def upgrade():
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('draft_result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('awaiting_approval', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('new_appointment_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=True))
        batch_op.create_index('ix_dossiers_agency_assignee', ['agency_code', 'assignee_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_dossiers_assignee_id_users'), 'users', ['assignee_id'], ['id'], ondelete='SET NULL')
    # What the desk searches, for the dossiers already filed (later ones get it at each step).
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT d.id, d.fields, d.receipt_code, u.full_name, u.phone FROM dossiers d "
        "JOIN users u ON u.id = d.owner_id WHERE d.status <> 'draft'")).fetchall()
    for row in rows:
        fields = row.fields if isinstance(row.fields, dict) else json.loads(row.fields or "{}")
        parts = [row.full_name or "", row.phone or "", row.receipt_code or "", *_leaves(fields)]
        conn.execute(sa.text("UPDATE dossiers SET search_text = :t WHERE id = :i"),
                     {"t": _fold(" | ".join(p for p in parts if p)), "i": row.id})


def downgrade():
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_dossiers_assignee_id_users'), type_='foreignkey')
        batch_op.drop_index('ix_dossiers_agency_assignee')
        batch_op.drop_column('search_text')
        batch_op.drop_column('new_appointment_date')
        batch_op.drop_column('awaiting_approval')
        batch_op.drop_column('draft_result')
        batch_op.drop_column('assignee_id')
