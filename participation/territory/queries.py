"""Reads of the territory's reference data."""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from participation.core.forms import OTHER_COMMUNE
from participation.extensions import db
from participation.territory.models import Centre, Commune, Organisation


def list_communes() -> list[Commune]:
    return list(db.session.scalars(sa.select(Commune).order_by(Commune.name)))


def list_centres() -> list[Centre]:
    """The centres with their commune (pages show ``centre.place``): one query."""
    return list(db.session.scalars(sa.select(Centre).options(joinedload(Centre.commune))
                                   .order_by(Centre.short_name)))


def list_organisations() -> list[Organisation]:
    order = sa.case({"centre": 0, "federation": 1, "partner": 2}, value=Organisation.kind)
    return list(db.session.scalars(
        sa.select(Organisation).order_by(order, Organisation.short_name)))


def commune_from_choice(value: str | None) -> Commune | None:
    """The commune picked in a form; None for "another commune"."""
    if not value or value == OTHER_COMMUNE:
        return None
    try:
        return db.session.get(Commune, int(value))
    except ValueError:
        return None
