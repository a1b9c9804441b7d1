"""Building shared projects for the tests, through the services."""

from datetime import timedelta

import sqlalchemy as sa

from participation.extensions import db
from participation.projects import services
from participation.territory.models import Centre, Commune


def centre(name):
    return db.session.scalar(sa.select(Centre).where(Centre.short_name == name))


def commune(name):
    return db.session.scalar(sa.select(Commune).where(Commune.name == name))


def data(t0, **overrides) -> services.ProjectData:
    """Registration opens a day after ``t0`` for ten days; the project starts in a month."""
    values = dict(
        title="Voyage des jeunes en Angleterre",
        description="Une semaine à *Douvres*. <script>alert(1)</script>",
        place="Port de Calais", contact="Yanis, 03 21 00 00 00",
        starts_at=t0 + timedelta(days=30), ends_at=t0 + timedelta(days=35),
        registration_opens_at=t0 + timedelta(days=1),
        registration_closes_at=t0 + timedelta(days=11),
        centres=[(centre("Matisse"), "organise le voyage"),
                 (centre("Espace Fort"), "prépare les jeunes")],
        communes=[commune("Calais")], capacity=None)
    values.update(overrides)
    return services.ProjectData(**values)


def make_project(organiser, t0, publish=True, **overrides):
    project = services.create_project(organiser, data(t0, **overrides), t0)
    if publish:
        services.publish_project(project, organiser, t0)
    db.session.commit()
    return project


def opened(t0):
    """A moment when registration is open for a project made by ``make_project(t0)``."""
    return t0 + timedelta(days=2)
