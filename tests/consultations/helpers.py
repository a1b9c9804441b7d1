"""Building consultations for the tests, through the services."""

from datetime import timedelta

import sqlalchemy as sa

from participation.consultations import services
from participation.extensions import db
from participation.territory.models import Commune


def commune(name):
    return db.session.scalar(sa.select(Commune).where(Commune.name == name))


def make_consultation(organiser, t0, *, lasts=timedelta(days=7),
                      communes=("Calais", "Marck", "Sangatte"), verified_only=False,
                      min_age=None, schedule=True, paired=False, title="Le marché du quartier"):
    """Created and announced at ``t0``; opens a day later, closes ``lasts`` after that.

    Three questions: single choice, several choices (2 at most), majority judgment.
    """
    consultation = services.create_consultation(
        organiser, organisation=organiser.staff_centres()[0], title=title,
        description="Votre avis *compte*.", opens_at=t0 + timedelta(days=1),
        closes_at=t0 + timedelta(days=1) + lasts, communes=[commune(n) for n in communes],
        verified_only=verified_only, min_age=min_age, paired_listing=paired)
    services.add_question(consultation, t0, kind="single", text="Quel jour pour le marché ?",
                          options="Mardi\nSamedi\nDimanche", max_choices=None, grades="")
    services.add_question(consultation, t0, kind="approval", text="Quels stands ?",
                          options="Fruits\nLivres\nJouets\nPlantes", max_choices=2, grades="")
    services.add_question(consultation, t0, kind="judgment", text="Quel nom pour l’espace ?",
                          options="La Ruche\nLe Phare\nL’Escale", max_choices=None, grades="")
    if schedule:
        services.schedule_consultation(consultation, t0)
    db.session.commit()
    return consultation


def during(consultation):
    return consultation.opens_at + timedelta(hours=1)


def after(consultation):
    return consultation.closes_at + timedelta(hours=1)


def answers(consultation, single=0, approval=(0, 1), grades=(0, 1, 2)):
    """Answers by option position: None leaves a question blank."""
    q1, q2, q3 = consultation.questions
    return {
        str(q1.id): [] if single is None else [q1.options[single].id],
        str(q2.id): [] if approval is None else [q2.options[i].id for i in approval],
        str(q3.id): {} if grades is None else {str(o.id): g
                                                for o, g in zip(q3.options, grades,
                                                                strict=True)},
    }


def form_data(consultation, single=0, approval=(0, 1), grades=(0, 1, 2)):
    """The same answers as a ballot form posts them."""
    data = {}
    for key, value in answers(consultation, single, approval, grades).items():
        if isinstance(value, dict):
            data.update({f"q{key}_o{o}": str(g) for o, g in value.items()})
        else:
            data[f"q{key}"] = [str(v) for v in value]
    return data
