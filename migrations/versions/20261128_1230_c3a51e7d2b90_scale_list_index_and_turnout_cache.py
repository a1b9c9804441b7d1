"""At the scale of the territory: a covering index for the public list of proposals,
indexes on the dates the dashboard counts by, and the turnout of published
consultations kept with their tally.

Revision ID: c3a51e7d2b90
Revises: 2a5adf6fb5d9
Create Date: 2026-11-28 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a51e7d2b90'
down_revision = '2a5adf6fb5d9'
branch_labels = None
depends_on = None

consultations = sa.table("consultations", sa.column("id", sa.Integer),
                         sa.column("results", sa.JSON))

DATE_INDEXES = [
    ("users", "ix_users_created_at", "created_at"),
    ("users", "ix_users_verified_at", "verified_at"),
    ("proposals", "ix_proposals_published_at", "published_at"),
    ("supports", "ix_supports_created_at", "created_at"),
    ("comments", "ix_comments_created_at", "created_at"),
    ("project_registrations", "ix_project_registrations_created_at", "created_at"),
    ("consultation_participations", "ix_consultation_participations_day", "day"),
]


def _turnout(bind, consultation_id):
    """As participation.consultations.queries.count_turnout counts it (frozen here)."""
    by_channel = dict(bind.execute(sa.text(
        "SELECT channel, count(*) FROM consultation_participations "
        "WHERE consultation_id = :id GROUP BY channel"), {"id": consultation_id}).all())
    by_commune = bind.execute(sa.text(
        "SELECT communes.name, count(p.id) FROM consultation_participations p "
        "LEFT OUTER JOIN communes ON communes.id = p.commune_id "
        "WHERE p.consultation_id = :id GROUP BY communes.name ORDER BY communes.name"),
        {"id": consultation_id}).all()
    by_centre = bind.execute(sa.text(
        "SELECT o.short_name, count(p.id) FROM consultation_participations p "
        "JOIN organisations o ON o.id = p.centre_id "
        "WHERE p.consultation_id = :id GROUP BY o.short_name ORDER BY o.short_name"),
        {"id": consultation_id}).all()
    return {"total": sum(by_channel.values()), "by_channel": by_channel,
            "by_commune": [[name, count] for name, count in by_commune],
            "by_centre": [[name, count] for name, count in by_centre]}


def upgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_list', ['status', 'theme_id', 'commune_id',
                                                    'centre_id', 'published_at',
                                                    'support_count', 'comment_count'],
                              unique=False)
    for table, name, column in DATE_INDEXES:
        op.create_index(name, table, [column], unique=False)
    bind = op.get_bind()
    for consultation_id, results in bind.execute(
            sa.select(consultations.c.id, consultations.c.results)
            .where(consultations.c.results.is_not(None))).all():
        if results and "turnout" not in results:
            results = {**results, "turnout": _turnout(bind, consultation_id)}
            bind.execute(consultations.update().where(consultations.c.id == consultation_id)
                         .values(results=results))


def downgrade():
    for table, name, _column in DATE_INDEXES:
        op.drop_index(name, table_name=table)
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_list')
