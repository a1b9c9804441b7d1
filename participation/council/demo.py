"""Demo Conseil: this year's designations, past meetings of each body with decisions and
minutes, and a coming Conseil meeting with its agenda, not convened yet."""

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from participation.accounts.models import User
from participation.core.mail import SENT, OutboxMessage
from participation.council import services as council
from participation.council.models import COUNCIL, DIRECTORS, PARIS, PRESIDENTS
from participation.extensions import db


def _at(now: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    """A time ``days`` from now, at a given Paris hour (whatever the daylight saving)."""
    day = now.astimezone(PARIS).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def load_council_demo(cast: dict[str, User], now: datetime) -> None:
    """Past meetings of each body with decisions and minutes, this year's designations,
    and a coming Conseil meeting with its agenda, not yet convened."""
    president, directrice, admin = cast["president"], cast["directrice"], cast["admin"]
    year = council.paris_today(now).year
    conseil = council.get_body(COUNCIL)
    # Fiche action of the youth stay, written and submitted by the fiches-action demo first.
    from participation.actions.models import ActionSheet

    trip_sheet = db.session.scalar(sa.select(ActionSheet.id).where(
        ActionSheet.title == "Séjour jeunes en Angleterre").order_by(ActionSheet.id).limit(1))

    # A Conseil meeting some months ago: it designates this year's runners and
    # validates a first cooperative action.
    first = council.plan_meeting(conseil, admin, starts_at=_at(now, -100, 18),
                                 place="Centre Social Espace Fort, salle polyvalente, Calais")
    item = council.add_agenda_item(first, title="Désignation des animateurs du Conseil",
                                   presenter="Administration")
    trip = council.add_agenda_item(
        first, title="Séjour de jeunes en Angleterre", presenter="Sophie (Cousteau)",
        text="Projet commun des quatre centres : douze jeunes de 14 à 17 ans, une semaine.",
        links={"action_sheet": [trip_sheet]})
    council.invite_guest(trip, name="Claire Dumont", organisation="CAF du Pas-de-Calais",
                         reason="Présente les aides au départ en vacances des jeunes.")
    council.record_attendance(first, {president.id, directrice.id, cast["federation"].id},
                              _at(now, -100, 20))
    designation = council.record_decision(
        first, admin, title=f"Désignation des animateurs du Conseil pour {year}",
        text=(f"Le Conseil désigne Jean-Pierre, président d'Espace Fort, et Sophie, "
              f"directrice du centre Cousteau, pour animer le Conseil en {year} : "
              "convocations, relevé de décisions et comptes rendus."),
        votes_for=3, agenda_item=item, now=_at(now, -100, 20))
    council.record_decision(
        first, admin, title="Validation de la fiche action « Séjour jeunes en Angleterre »",
        text=(f"Le Conseil valide la fiche action n° {trip_sheet} : chaque centre accompagne "
              "trois "
              "jeunes ; Espace Fort porte la demande d'aide à la CAF ; le minibus de Matisse "
              "est mutualisé."),
        votes_for=3, agenda_item=trip, action_sheet_id=trip_sheet,
        validates_action_sheet_id=trip_sheet,
        now=_at(now, -100, 20))
    council.designate(admin, president, "president", year, designation, now)
    council.designate(admin, directrice, "director", year, designation, now)
    council.save_minutes(first, admin, (
        "**Présent·es** : Jean-Pierre (Espace Fort), Sophie (Cousteau), Nadia (Fédération).\n\n"
        "1. Le Conseil désigne ses animateurs pour l'année (décision ci-dessous).\n"
        "2. Claire Dumont (CAF) présente les aides au départ des jeunes. Le Conseil valide "
        "la fiche action du séjour en Angleterre.\n"), "public", _at(now, -99, 10))
    council.publish_decisions(first, _at(now, -99, 10))
    council.publish_minutes(first, _at(now, -99, 10))

    # A Conseil meeting last month, convened on time; minutes for members only.
    second = council.plan_meeting(conseil, president, starts_at=_at(now, -30, 17, 30),
                                  place="Centre Social et Culturel Jacques Yves Cousteau, Marck",
                                  minutes_visibility="members")
    council.add_agenda_item(second, title="Approbation du compte rendu précédent")
    health = council.add_agenda_item(
        second, title="Journées de prévention santé au printemps", presenter="Jean-Pierre")
    convocation = council.send_convocation(second, president, _at(now, -45, 9))
    for recipient in convocation.recipients:  # long delivered: not sent again by the demo
        message = db.session.get(OutboxMessage, recipient.outbox_message_id)
        message.status, message.sent_at, message.attempts = SENT, _at(now, -45, 9), 1
    council.answer_convocation(second, directrice, "present", None, _at(now, -40, 12))
    council.answer_convocation(second, cast["federation"], "excused", None, _at(now, -40, 12))
    council.record_attendance(second, {president.id, directrice.id}, _at(now, -30, 19))
    council.approve_previous_minutes(second, _at(now, -30, 19))
    council.record_decision(
        second, president, title="Journées de prévention santé dans les trois communes",
        text=("Espace Fort coordonne trois journées de prévention santé, une par commune, "
              "à partir de l'idée déposée par des habitant·es de Calais. Chaque centre "
              "prête un animateur."),
        votes_for=2, agenda_item=health, now=_at(now, -30, 19))
    council.save_minutes(second, directrice, (
        "Le compte rendu de la réunion précédente est approuvé.\n\n"
        "Les journées de prévention santé sont retenues ; le calendrier sera proposé par "
        "Espace Fort."), "members", _at(now, -29, 10))
    council.publish_decisions(second, _at(now, -29, 10))
    council.publish_minutes(second, _at(now, -29, 10))

    # The presidents' collective prepared a file for the Conseil.
    presidents = council.get_body(PRESIDENTS)
    meeting = council.plan_meeting(presidents, president, starts_at=_at(now, -60, 18),
                                   place="Centre Social Matisse, Calais")
    council.add_agenda_item(meeting, title="Vœux communs aux partenaires")
    council.record_decision(
        meeting, president, title="Vœux communs des centres aux partenaires",
        text="Les présidents proposent au Conseil une carte de vœux commune aux quatre centres.",
        votes_for=1, now=_at(now, -60, 19))
    council.save_minutes(meeting, president, "Carte de vœux commune proposée au Conseil.",
                         "public", _at(now, -59, 10))
    council.publish_decisions(meeting, _at(now, -59, 10))
    council.publish_minutes(meeting, _at(now, -59, 10))

    # The directors' collective decided within the validated fiche action (rule 6).
    directors = council.get_body(DIRECTORS)
    meeting = council.plan_meeting(directors, directrice, starts_at=_at(now, -20, 9, 30),
                                   place="Centre Social et Culturel Marie Jeanne Bassot, Sangatte")
    council.add_agenda_item(meeting, title="Organisation du séjour en Angleterre",
                            links={"action_sheet": [trip_sheet]})
    council.record_decision(
        meeting, directrice, title="Dates et encadrement du séjour en Angleterre",
        text="Départ la deuxième semaine des vacances d'été ; un animateur de Cousteau et un "
             "de Matisse encadrent le groupe.",
        votes_for=1, action_sheet_id=trip_sheet, now=_at(now, -20, 11))
    council.save_minutes(meeting, directrice, "Dates et encadrement du séjour arrêtés.",
                         "public", _at(now, -19, 10))
    council.publish_decisions(meeting, _at(now, -19, 10))
    council.publish_minutes(meeting, _at(now, -19, 10))

    # The next Conseil meeting: agenda ready, convocation not sent yet.
    coming = council.plan_meeting(conseil, president, starts_at=_at(now, 30, 18),
                                  place="Centre Social et Culturel Marie Jeanne Bassot, Sangatte")
    council.add_agenda_item(coming, title="Approbation du compte rendu précédent")
    item = council.add_agenda_item(
        coming, title="Bilan des idées des habitant·es du trimestre", presenter="Sophie",
        text="Les propositions retenues et celles qui attendent une réponse.")
    council.invite_guest(item, name="Marc Lefebvre", organisation="CAP Calaisis",
                         reason="Présente les aides de l'agglomération aux projets d'habitant·es.")
    council.add_agenda_item(coming, title="Calendrier des journées de prévention santé",
                            presenter="Jean-Pierre")
