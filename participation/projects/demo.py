"""Demo shared projects: the four cooperations the charter names (a youth trip to England,
citizen stays, health-prevention days, mobilising inhabitants on the themes of the 2013
congress), and a few more: some open, some full with a waiting list, one finished, one
cancelled, one still a draft."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from participation.accounts.models import User
from participation.extensions import db
from participation.projects import services
from participation.proposals.models import Proposal, Theme
from participation.territory.models import Centre, Commune

CALAISIS = ("Calais", "Marck", "Sangatte")
PARIS = ZoneInfo("Europe/Paris")


def _centre(name):
    return db.session.scalar(sa.select(Centre).where(Centre.short_name == name))


def _communes(*names):
    return list(db.session.scalars(sa.select(Commune).where(Commune.name.in_(names))))


def _theme(name_fr):
    return db.session.scalar(sa.select(Theme).where(Theme.name_fr == name_fr))


def _project(organiser, now, *, title, description, centres, communes=CALAISIS,
             starts_in, lasts, opens_in=-10, closes_in=None, theme=None, publish=True,
             **more):
    # Round dates to 9:00 in Paris, as organisers would type them.
    day = now.astimezone(PARIS).replace(hour=9, minute=0, second=0, microsecond=0)
    start = day + timedelta(days=starts_in)
    data = services.ProjectData(
        title=title, description=description,
        centres=[(_centre(name), role) for name, role in centres],
        communes=_communes(*communes), starts_at=start, ends_at=start + lasts,
        registration_opens_at=day + timedelta(days=opens_in - 1),
        registration_closes_at=start - timedelta(days=1) if closes_in is None
        else day + timedelta(days=closes_in),
        theme=_theme(theme) if theme else None, **more)
    project = services.create_project(organiser, data, now + timedelta(days=opens_in - 1))
    if publish:
        services.publish_project(project, organiser, now + timedelta(days=opens_in - 1))
    return project


def load_projects_demo(cast: dict, now: datetime) -> None:
    """Built through the services, with times passed in; flushed, the caller commits."""
    animator, director = cast["animateur"], cast["directrice"]
    karima, lea = cast["habitant"], cast["nouvelle"]
    marcel = db.session.scalar(sa.select(User).where(User.pseudonym == "Marcel"))

    trip = _project(
        animator, now, title="Voyage des jeunes en Angleterre",
        description="Une semaine à Douvres et Canterbury pour les 14–17 ans des quatre "
                    "centres : préparation ensemble au printemps, traversée en ferry, "
                    "hébergement en auberge de jeunesse.\n\nParticipation des familles "
                    "selon le quotient familial.",
        centres=[("Matisse", "coordonne le séjour et les réunions des familles"),
                 ("Espace Fort", "prépare les jeunes (santé, assurance, papiers)"),
                 ("Jacques Yves Cousteau", "accompagne avec un·e animateur·rice"),
                 ("Marie Jeanne Bassot", "accompagne avec un·e animateur·rice")],
        starts_in=150, lasts=timedelta(days=6), capacity=16, min_age=14, max_age=17,
        theme="Jeunesse", contact="Yanis, Centre Social Matisse",
        place="Douvres et Canterbury (Angleterre)")
    for days, title in ((30, "Première réunion des familles"),
                        (90, "Atelier : parler anglais en voyage")):
        start = now.astimezone(PARIS).replace(hour=18, minute=0, second=0,
                                              microsecond=0) + timedelta(days=days)
        services.add_session(trip, starts_at=start, ends_at=start + timedelta(hours=2),
                             place="Centre Social Matisse, Calais", title=title)

    stays = _project(
        director, now, title="Séjours citoyens : trois jours pour agir ensemble",
        description="Des habitant·es des trois communes partent trois jours rencontrer "
                    "des collectifs qui agissent pour leur quartier, puis rapportent des "
                    "idées à proposer ici.",
        centres=[("Jacques Yves Cousteau", "organise le séjour"),
                 ("Marie Jeanne Bassot", "s’occupe du transport")],
        starts_in=40, lasts=timedelta(days=3), capacity=3,
        contact="Sophie, Centre Jacques Yves Cousteau", place="Lille",
        theme="Solidarité")
    # Full, with a waiting list: Karima and the person with her, Marcel; Léa waits.
    services.join(stays, karima, now - timedelta(days=5), companions=1,
                  message="Je viens avec ma sœur.")
    services.register_for(director, stays, marcel, now - timedelta(days=4),
                          message="Inscrit à l’accueil, par téléphone.")
    services.join(stays, lea, now - timedelta(days=3))

    health = _project(
        animator, now, title="Journées de prévention santé",
        description="Dépistages gratuits, conseils nutrition, sport doux et ateliers "
                    "sommeil, avec les partenaires santé du Calaisis.",
        centres=[("Espace Fort", "centre de prévention sanitaire : coordonne les stands"),
                 ("Matisse", "anime l’atelier nutrition")],
        starts_in=20, lasts=timedelta(days=2), theme="Santé et prévention",
        contact="Espace Fort, accueil", place="Salle Espace Fort, Calais")
    for day in (20, 21):
        start = now.astimezone(PARIS).replace(hour=9, minute=0, second=0,
                                              microsecond=0) + timedelta(days=day)
        services.add_session(health, starts_at=start, ends_at=start + timedelta(hours=7),
                             place="Salle Espace Fort, Calais")
    services.join(health, karima, now - timedelta(days=1), companions=2)
    services.offer_help(health, lea, "skill", "Je suis aide-soignante : je peux tenir "
                        "le stand tension artérielle.", now - timedelta(days=1))
    services.post_news(health, animator, "Le programme est prêt",
                       "Dépistage du diabète le matin, ateliers l’après-midi.",
                       now - timedelta(hours=5))

    congress = _project(
        animator, now, title="Mobiliser les habitant·es sur les thèmes du congrès 2013",
        description="Des rencontres dans chaque quartier pour discuter des thèmes du "
                    "congrès des centres sociaux : pouvoir d’agir, jeunesse, vivre ensemble.",
        centres=[("Matisse", "anime les rencontres à Calais"),
                 ("Jacques Yves Cousteau", "anime les rencontres à Marck"),
                 ("Marie Jeanne Bassot", "anime les rencontres à Sangatte"),
                 ("Espace Fort", "fait la synthèse")],
        starts_in=-60, lasts=timedelta(days=30), opens_in=-90, closes_in=-61,
        contact="Les quatre centres", place="Dans chaque quartier", theme="Cadre de vie")
    services.join(congress, karima, now - timedelta(days=80))
    services.join(congress, lea, now - timedelta(days=79), companions=1)
    services.post_news(congress, animator, "Merci à toutes et tous",
                       "Quarante habitant·es ont participé ; la synthèse est en ligne.",
                       now - timedelta(days=25))

    bikes = _project(
        animator, now, title="Atelier vélo partagé", description="Réparer son vélo "
        "ensemble, un samedi par mois.", centres=[("Matisse", "prête l’atelier")],
        communes=("Calais",), starts_in=10, lasts=timedelta(hours=4), capacity=1,
        contact="Yanis", place="Cour du Centre Social Matisse", theme="Mobilité")
    services.join(bikes, marcel, now - timedelta(days=2))
    services.join(bikes, karima, now - timedelta(days=1))
    answered = db.session.scalar(sa.select(Proposal).where(Proposal.status == "retained")
                                 .order_by(Proposal.id))
    if answered is not None:
        bikes.proposals = [answered]

    beach = _project(
        director, now, title="Sortie familles à la plage de Sangatte",
        description="Pique-nique et jeux sur la plage.",
        centres=[("Marie Jeanne Bassot", "organise"),
                 ("Jacques Yves Cousteau", "prête le minibus")],
        communes=("Marck", "Sangatte"), starts_in=12, lasts=timedelta(hours=6),
        capacity=30, place="Plage de Sangatte", theme="Familles")
    services.join(beach, lea, now - timedelta(days=2))
    services.cancel_project(beach, director, "La météo annonce une tempête ; nous "
                            "proposerons une autre date.", now - timedelta(hours=3))

    _project(animator, now, title="Jardin partagé du quartier Matisse",
             description="Brouillon : en préparation avec les habitant·es.",
             centres=[("Matisse", "porte le projet")], communes=("Calais",),
             starts_in=60, lasts=timedelta(days=90), opens_in=5, publish=False,
             place="Square Matisse", theme="Environnement")
    db.session.flush()
