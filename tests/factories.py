"""factory_boy factories bound to the test's session."""

from datetime import UTC, datetime

import factory
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from participation.accounts.models import Role, User
from participation.accounts.services import pseudonym_key
from participation.extensions import db
from participation.territory.models import Commune

PASSWORD = "un mot de passe assez long"
# Hashed once: scrypt is slow on purpose, and every test user shares it.
PASSWORD_HASH = generate_password_hash(PASSWORD)


def sign_in(flask_session, user) -> None:
    """Mark a test client's session as right after a full login: second step passed (an
    admin's two-step verification counts as done), password just typed, active now (staff
    sessions end when idle)."""
    from participation.accounts.sessions import login_marks
    from participation.core.models import utcnow

    flask_session["_user_id"] = user.session_token
    flask_session["_fresh"] = True
    flask_session.update(login_marks(True, utcnow().timestamp()))


def _commune(name="Calais"):
    return db.session.scalar(sa.select(Commune).where(Commune.name == name))


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        # Committed as the site would: the test's outer transaction still rolls it all back.
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    pseudonym = factory.Sequence(lambda n: f"Personne {n}")
    pseudonym_key = factory.LazyAttribute(lambda o: pseudonym_key(o.pseudonym))
    email = factory.LazyAttribute(lambda o: f"{o.pseudonym_key}@example.org")
    email_confirmed_at = factory.LazyFunction(lambda: datetime(2026, 1, 5, tzinfo=UTC))
    password_hash = PASSWORD_HASH
    commune = factory.LazyFunction(_commune)
    birth_year = 1985
    locale = "fr"
    privacy_accepted_at = factory.LazyFunction(lambda: datetime(2026, 1, 5, tzinfo=UTC))


def staff(kind, organisation, **fields) -> User:
    user = UserFactory(**fields)
    db.session.add(Role(user=user, organisation=organisation, kind=kind))
    db.session.commit()
    db.session.refresh(user)
    return user


def theme(name="Santé et prévention"):
    from participation.proposals.models import Theme

    return db.session.scalar(sa.select(Theme).where(Theme.name_fr == name))


def proposal(author, status="published", title="Des bancs le long de la digue",
             body="Pour se reposer en marchant. <script>alert(1)</script>", centre=None,
             commune="Calais", now=None, moderator=None):
    """A proposal brought to ``status`` through the services, as people would."""
    from participation.proposals import services
    from participation.territory.models import Centre

    now = now or datetime(2026, 11, 1, 10, tzinfo=UTC)
    centre = centre or db.session.scalar(sa.select(Centre).where(Centre.short_name == "Matisse"))
    data = services.ProposalData(title=title, body=body, theme=theme(), centre=centre,
                                 commune=_commune(commune) if commune else None)
    made = services.create_proposal(author, data, now)
    if status != "draft":
        services.submit(made, author, now)
    moderator = moderator or author
    if status in ("published", "under_study", "retained", "not_retained"):
        services.publish(made, moderator, now)
    if status in ("under_study", "retained", "not_retained"):
        services.answer(made, moderator, status, "Notre réponse publique.", now)
    db.session.commit()
    return made


def comments(proposal, author, count, parent_id=None, body="Un avis sur l'idée.", now=None):
    """``count`` comments by ``author`` on ``proposal`` (replies to the comment
    ``parent_id`` if given), written at once as a busy discussion leaves them, the counter
    kept equal; their ids in order. ``body`` is a text (numbered) or a function of n."""
    from participation.proposals.models import Comment, Proposal

    now = now or datetime(2026, 11, 2, 10, tzinfo=UTC)
    made = [Comment(proposal_id=proposal.id, author_id=author.id, parent_id=parent_id,
                    body=body(n) if callable(body) else f"{body} {n}", created_at=now)
            for n in range(count)]
    db.session.add_all(made)
    db.session.flush()
    ids = [c.id for c in made]
    db.session.execute(sa.update(Proposal).where(Proposal.id == proposal.id)
                       .values(comment_count=Proposal.comment_count + count))
    db.session.commit()
    return ids


def action_sheet(author, status="submitted", title="Séjour jeunes en Angleterre",
                 proposals=(), now=None):
    """A fiche action with an objective and a lead actor, brought to ``status`` ("draft" or
    "submitted") through the services; validating it takes a Conseil decision."""
    from participation.actions import services
    from participation.territory.models import Centre

    now = now or datetime(2026, 11, 1, 10, tzinfo=UTC)
    sheet = services.create_sheet(author, services.SheetData(
        title=title, summary="Une semaine de séjour pour douze jeunes.",
        proposals=list(proposals)), now)
    services.add_objective(sheet, text="Partir ensemble", indicator="Jeunes partis",
                           target="12 jeunes")
    services.add_actor(sheet, organisation=db.session.scalar(
        sa.select(Centre).where(Centre.short_name == "Matisse")),
        role="Coordonne le séjour.", is_lead=True)
    if status == "submitted":
        services.submit(sheet, author, now)
    db.session.commit()
    return sheet


def with_two_factor(user, now=None) -> tuple[str, list[str]]:
    """Turn two-step verification on for ``user``; returns (secret, recovery codes).

    Set up a day before ``now``, so that the codes of ``now`` are still unused.
    """
    from datetime import timedelta

    import pyotp

    from participation.accounts import security
    from participation.core.models import utcnow

    past = (now or utcnow()) - timedelta(days=1)
    secret = security.start_setup(user)
    codes = security.confirm_setup(user, pyotp.TOTP(secret).at(past), past)
    db.session.commit()
    return secret, codes
