"""Demo fiches action, built from retained demo proposals through the services.

``load_first_action_demo`` runs before the Conseil's demo: it writes and submits
fiche n° 1 (the youth stay in England) which the Conseil's demo validates by a
decision and within which the directors' collective decides. ``load_actions_demo``
then writes fiches at every other status, one validated and completed with its
evaluation, by Conseil decisions of a meeting of its own.
"""

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from participation.accounts.models import User
from participation.actions import services
from participation.actions.models import ActionSheet
from participation.council import services as council
from participation.council.models import COUNCIL, PARIS
from participation.extensions import db
from participation.proposals.models import Proposal
from participation.territory.models import Commune, Organisation


def _at(now: datetime, days: int, hour: int) -> datetime:
    day = now.astimezone(PARIS).date() + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=PARIS)


def _org(short_name: str) -> Organisation:
    return db.session.scalar(sa.select(Organisation).where(
        sa.or_(Organisation.short_name == short_name, Organisation.name == short_name)))


def _partner() -> Organisation | None:
    return db.session.scalars(sa.select(Organisation).where(Organisation.kind == "partner")
                              .order_by(Organisation.id)).first()


def _communes(*names: str) -> list[Commune]:
    return list(db.session.scalars(sa.select(Commune).where(Commune.name.in_(names))))


def _retained(count: int, skip: int = 0) -> list[Proposal]:
    used = sa.select(sa.text("proposal_id")).select_from(sa.text("action_sheet_proposals"))
    return list(db.session.scalars(
        sa.select(Proposal).where(Proposal.status == "retained", Proposal.id.not_in(used))
        .order_by(Proposal.id).offset(skip).limit(count)))


def _write(author: User, title: str, summary: str, proposals, communes, now: datetime,
           lead: str, partner_means: bool = True) -> ActionSheet:
    sheet = services.create_sheet(author, services.SheetData(
        title=title, summary=summary, proposals=proposals, communes=communes,
        context="Idée déposée par des habitant·es et retenue par leur centre."), now)
    services.add_objective(sheet, text="Toucher les habitant·es concerné·es",
                           indicator="Nombre de participant·es", target="30 personnes")
    services.add_objective(sheet, text="Faire ensemble entre centres",
                           indicator="Centres engagés", target="3 centres")
    services.add_actor(sheet, organisation=_org(lead), role="Coordonne l'action et le budget.",
                       is_lead=True)
    services.add_actor(sheet, organisation=_org("Matisse") if lead != "Matisse"
                       else _org("Espace Fort"), role="Mobilise les familles du quartier.")
    services.add_actor(sheet, group="Habitant·es à l'origine de l'idée",
                       role="Participent à la préparation et au bilan.")
    services.add_means(sheet, kind="pooled", what="Minibus de Matisse",
                       organisation=_org("Matisse"))
    services.add_means(sheet, kind="own", what="Temps d'animation", amount_cents=80000,
                       organisation=_org(lead))
    partner = _partner()
    if partner_means and partner is not None:
        services.add_means(sheet, kind="requested", what="Subvention de fonctionnement",
                           organisation=partner, amount_cents=250000)
    services.add_milestone(sheet, title="Réunion de lancement",
                           due_on=(now + timedelta(days=20)).date())
    services.add_milestone(sheet, title="Bilan avec les habitant·es",
                           due_on=(now + timedelta(days=120)).date())
    return sheet


def load_first_action_demo(cast: dict[str, User], now: datetime) -> None:
    """Fiche n° 1, submitted about four months ago: the Conseil's demo validates it."""
    when = _at(now, -110, 10)
    sheet = _write(cast["directrice"], "Séjour jeunes en Angleterre",
                   "Douze jeunes de 14 à 17 ans des quatre centres partent une semaine en "
                   "Angleterre, préparent le séjour ensemble et en font le récit.",
                   _retained(1), _communes("Calais", "Marck", "Sangatte"), when, "Espace Fort")
    services.submit(sheet, cast["directrice"], when)


def load_actions_demo(cast: dict[str, User], now: datetime) -> None:
    """Fiches at every status; one completed with its evaluation."""
    writer, admin = cast["animateur"], cast["admin"]
    first = db.session.scalar(sa.select(ActionSheet).where(
        ActionSheet.title == "Séjour jeunes en Angleterre").order_by(ActionSheet.id).limit(1))
    if first is not None and first.status == "validated":
        services.start(first, cast["directrice"], _at(now, -15, 9))
    drafts = _write(writer, "Ateliers de réparation de vélos",
                    "Un atelier mensuel de réparation de vélos, avec des bénévoles.",
                    _retained(1), _communes("Calais"), _at(now, -5, 10), "Matisse")
    del drafts
    completed = _write(writer, "Repas partagés entre générations",
                       "Un repas partagé chaque mois entre personnes âgées et familles.",
                       _retained(1), _communes("Calais", "Marck"), _at(now, -200, 10), "Matisse")
    validated = _write(writer, "Jardin partagé derrière le centre",
                       "Des bacs de culture et un composteur, avec les écoles du quartier.",
                       _retained(1), _communes("Calais"), _at(now, -80, 10), "Matisse")
    abandoned = _write(writer, "Covoiturage vers le marché",
                       "Mettre en relation conducteurs et personnes sans voiture.",
                       _retained(1), _communes("Marck"), _at(now, -80, 10), "Matisse",
                       partner_means=False)
    for sheet, days in ((completed, -200), (validated, -80)):
        services.submit(sheet, writer, _at(now, days, 11))
    meeting = council.plan_meeting(council.get_body(COUNCIL), admin,
                                   starts_at=_at(now, -70, 18),
                                   place="Centre Social Matisse, Calais")
    for sheet in (completed, validated):
        council.record_decision(
            meeting, admin, title=f"Validation de la fiche action « {sheet.title} »",
            text="Le Conseil valide la fiche action, ses objectifs et ses moyens.",
            votes_for=3, validates_action_sheet_id=sheet.id, now=_at(now, -70, 20))
    council.save_minutes(meeting, admin, "Le Conseil valide deux fiches action : les repas "
                         "partagés entre générations et le jardin partagé.", "public",
                         _at(now, -69, 10))
    council.publish_decisions(meeting, _at(now, -69, 10))
    council.publish_minutes(meeting, _at(now, -69, 10))
    services.start(completed, writer, _at(now, -60, 9))
    services.complete(
        completed, writer,
        "Six repas ont réuni en moyenne 28 personnes ; deux centres s'y sont engagés, le "
        "troisième rejoindra l'action l'an prochain.",
        {o.id: r for o, r in zip(completed.objectives, ("28 personnes en moyenne",
                                                        "2 centres sur 3"), strict=True)},
        _at(now, -3, 18))
    services.submit(abandoned, writer, _at(now, -79, 10))
    services.abandon(abandoned, writer, "Une plateforme de covoiturage de l'agglomération "
                     "répond déjà au besoin ; les centres la font connaître.", _at(now, -40, 10))
    submitted = _write(writer, "Cinéma en plein air l'été",
                       "Trois soirées de cinéma en plein air dans les quartiers.",
                       _retained(1), _communes("Calais", "Sangatte"), _at(now, -2, 10),
                       "Matisse")
    services.submit(submitted, writer, _at(now, -2, 11))
