"""Demo consultations: one open in the three communes, one closed with published results
and paper ballots from two centres, one reserved to verified residents of Marck."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from participation.accounts import services as accounts
from participation.consultations import services
from participation.extensions import db
from participation.territory.models import Centre, Commune


def _commune(name):
    return db.session.scalar(sa.select(Commune).where(Commune.name == name))


def _centre(name):
    return db.session.scalar(sa.select(Centre).where(Centre.short_name == name))


def _consultation(organiser, centre, start, days, title, description, communes,
                  questions, verified_only=False, min_age=None):
    consultation = services.create_consultation(
        organiser, organisation=centre, title=title, description=description,
        opens_at=start + timedelta(days=1), closes_at=start + timedelta(days=1 + days),
        communes=[_commune(n) for n in communes], verified_only=verified_only,
        min_age=min_age)
    for kind, text, options, max_choices in questions:
        services.add_question(consultation, start, kind=kind, text=text, options=options,
                              max_choices=max_choices, grades="")
    services.schedule_consultation(consultation, start)
    return consultation


def _answers(consultation, picks):
    result = {}
    for question, pick in zip(consultation.questions, picks, strict=True):
        if question.kind == "judgment":
            result[str(question.id)] = {str(o.id): g for o, g in zip(question.options, pick,
                                                                      strict=True)}
        else:
            result[str(question.id)] = [question.options[i].id for i in pick]
    return result


def load_consultations_demo(cast: dict, now: datetime) -> None:
    """Built through the services, with times in the past passed in."""
    matisse, cousteau = _centre("Matisse"), _centre("Jacques Yves Cousteau")
    animator, director = cast["animateur"], cast["directrice"]
    three = ("Calais", "Marck", "Sangatte")

    market = _consultation(
        animator, matisse, now - timedelta(days=5), 14, "Le marché du samedi ou du mercredi ?",
        "Le marché solidaire du quartier Beau-Marais cherche son jour. Dites-nous aussi "
        "quel nom vous plaît pour le nouvel espace jeunes.", three,
        [("single", "Quel jour pour le marché solidaire ?", "Mercredi\nSamedi", None),
         ("judgment", "Quel nom pour l’espace jeunes ?",
          "La Passerelle\nLe Phare\nL’Escale", None)])
    services.cast_ballot(market, cast["animateur"], _answers(market, [[1], [1, 0, 3]]),
                         now - timedelta(days=2))

    # Closed, results published: online votes and paper ballots at two centres.
    trip = _consultation(
        animator, matisse, now - timedelta(days=40), 20,
        "Quelles sorties pour l’été des familles ?",
        "Les centres organisent ensemble les sorties d’été. Choisissez jusqu’à deux sorties.",
        three,
        [("approval", "Quelles sorties ?", "Baie de Somme\nNausicaá\nCap Blanc-Nez\n"
          "Parc d’Olhain", 2),
         ("single", "Quel jour de départ ?", "Lundi\nJeudi", None)])
    vote_day = trip.opens_at + timedelta(days=3)
    services.cast_ballot(trip, cast["habitant"], _answers(trip, [[0, 1], [1]]), vote_day)
    picks = [([1, 2], [0]), ([1], [1]), ([0, 3], [1]), ([2], [0]), ([1, 3], [1])]
    for i, (places, day) in enumerate(picks):
        centre, staff = (matisse, animator) if i % 2 == 0 else (cousteau, director)
        person, _code = accounts.create_assisted_account(
            staff, pseudonym=f"Voisin·e {i + 1}", commune=centre.commune,
            birth_year=1950 + 5 * i, centre=centre, now=vote_day)
        services.cast_ballot(trip, person, _answers(trip, [places, day]),
                             vote_day + timedelta(days=i), channel="paper", centre=centre,
                             staff=staff)
    services.publish_results(trip, trip.closes_at + timedelta(hours=2))

    # Reserved to verified residents of Marck.
    _consultation(
        director, cousteau, now - timedelta(days=3), 21, "Les horaires du centre Cousteau",
        "Réservée aux habitant·es de Marck dont l’adresse a été vérifiée au centre.",
        ("Marck",),
        [("single", "Voulez-vous une ouverture le samedi matin ?", "Oui\nNon", None),
         ("judgment", "Que pensez-vous de ces horaires du soir ?",
          "Jusqu’à 19 h\nJusqu’à 20 h\nJusqu’à 21 h", None)],
        verified_only=True, min_age=16)
    db.session.flush()
