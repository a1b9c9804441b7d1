"""An index for the pages of a proposal's comment threads (proposal, parent, id).

Revision ID: 5e2c8d41a7b3
Revises: c3a51e7d2b90
Create Date: 2026-11-28 15:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5e2c8d41a7b3'
down_revision = 'c3a51e7d2b90'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_comments_thread', 'comments', ['proposal_id', 'parent_id', 'id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_comments_thread', table_name='comments')
