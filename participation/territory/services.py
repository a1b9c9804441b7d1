"""Changes to the reference data, made by administrators and logged."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from participation.core import audit
from participation.core.errors import DomainError
from participation.extensions import db
from participation.territory.models import Centre, Commune, Federation, Organisation, Partner

ORGANISATION_CLASSES = {"centre": Centre, "federation": Federation, "partner": Partner}


def update_commune(admin, commune: Commune, *, name: str, postal_code: str,
                   population: int | None) -> None:
    clash = db.session.scalar(sa.select(Commune.id).where(Commune.name == name,
                                                          Commune.id != commune.id))
    if clash:
        raise DomainError(_l("Another commune already has this name."), "name")
    commune.name, commune.postal_code, commune.population = name, postal_code, population
    db.session.flush()
    audit.record(admin, "territory.commune_changed", commune=name)


def save_organisation(admin, organisation: Organisation | None, *, kind: str, name: str,
                      **fields) -> Organisation:
    """Create (``organisation`` None) or update a centre, federation or partner."""
    clash = sa.select(Organisation.id).where(Organisation.name == name)
    if organisation is not None:
        clash = clash.where(Organisation.id != organisation.id)
    if db.session.scalar(clash):
        raise DomainError(_l("Another organisation already has this name."), "name")
    if organisation is None:
        organisation = ORGANISATION_CLASSES[kind](name=name)
        db.session.add(organisation)
        action = "territory.organisation_created"
    else:
        if organisation.kind != kind:
            raise DomainError(_l("The kind of an existing organisation cannot change."), "kind")
        action = "territory.organisation_changed"
    organisation.name = name
    for key, value in fields.items():
        setattr(organisation, key, value)
    db.session.flush()
    audit.record(admin, action, organisation=name)
    return organisation
