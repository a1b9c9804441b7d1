"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from participation.extensions import db
from participation.territory.models import Centre, Commune, Federation, Partner


def test_migrated_schema_matches_the_models(session):
    # The test database was built by running every migration (see conftest).
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_reference_data_arrives_with_the_migrations(session):
    communes = {c.name: c.postal_code for c in db.session.scalars(sa.select(Commune))}
    assert communes == {"Calais": "62100", "Marck": "62730", "Sangatte": "62231"}
    centres = {c.short_name: c.commune.name for c in db.session.scalars(sa.select(Centre))}
    assert centres == {"Espace Fort": "Calais", "Jacques Yves Cousteau": "Marck",
                       "Marie Jeanne Bassot": "Sangatte", "Matisse": "Calais"}
    assert db.session.scalar(sa.select(Federation)).town == "Arques"
    partners = set(db.session.scalars(sa.select(Partner.short_name)))
    assert partners == {"CAF", "Département", "Région", "CAP Calaisis"}


def test_constraints_hold_in_the_database(session):
    from participation.accounts.models import User

    savepoint = db.session.begin_nested()
    db.session.add(User(pseudonym="x", pseudonym_key="x-birth", birth_year=1800))
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        savepoint.rollback()
    else:
        raise AssertionError("a birth year of 1800 was accepted")
