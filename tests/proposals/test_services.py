"""The rules of proposals, on the services directly."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from participation.core.errors import DomainError
from participation.core.uploads import store_image, upload_dir
from participation.extensions import db
from participation.notifications.models import Notification
from participation.proposals import services
from participation.proposals.models import Comment, Proposal, ProposalEvent, Support
from tests import factories


def _data(**overrides):
    data = dict(title="Un jardin partagé", body="Derrière le centre.", theme=factories.theme(),
                commune=factories._commune("Marck"), centre=None)
    data.update(overrides)
    if data["centre"] is None:
        from participation.territory.models import Centre

        data["centre"] = db.session.scalar(sa.select(Centre).where(Centre.short_name
                                                                  == "Jacques Yves Cousteau"))
    return services.ProposalData(**data)


def _messages(user):
    return db.session.scalars(sa.select(Notification.message)
                              .where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


# --- Writing -------------------------------------------------------------------------------

@pytest.mark.parametrize("title", ["abc", "x" * 121, "   \u202e   "])
def test_title_length_is_checked(session, inhabitant, now, title):
    with pytest.raises(DomainError) as error:
        services.create_proposal(inhabitant, _data(title=title), now)
    assert error.value.field == "title"


def test_draft_then_submit_goes_to_the_centres_moderators(session, inhabitant, director, now):
    proposal = services.create_proposal(inhabitant, _data(), now)
    assert proposal.status == "draft" and proposal.search_text
    services.submit(proposal, inhabitant, now)
    assert proposal.status == "submitted"
    assert _messages(director) == ["proposal.submitted"]


def test_verified_inhabitants_publish_directly_when_the_setting_allows(app, session, verified,
                                                                       now):
    app.config["VERIFIED_PUBLISH_DIRECTLY"] = True
    try:
        proposal = services.create_proposal(verified, _data(), now)
        services.submit(proposal, verified, now)
    finally:
        app.config["VERIFIED_PUBLISH_DIRECTLY"] = False
    assert proposal.status == "published" and proposal.published_at == now


def test_moderation_acts_are_kept_in_the_history_and_told(session, inhabitant, animator, now):
    proposal = factories.proposal(inhabitant, status="submitted")
    with pytest.raises(DomainError):
        services.request_changes(proposal, animator, "  ", now)
    services.request_changes(proposal, animator, "Précisez le lieu.", now)
    assert proposal.status == "changes_requested"
    services.update_proposal(proposal, inhabitant, _data(title="Un jardin partagé rue X"), now)
    services.submit(proposal, inhabitant, now)
    services.publish(proposal, animator, now + timedelta(hours=1))
    events = db.session.scalars(sa.select(ProposalEvent).where(
        ProposalEvent.proposal_id == proposal.id).order_by(ProposalEvent.id)).all()
    assert [(e.kind, e.public) for e in events] == [
        ("created", False), ("submitted", False), ("changes_requested", False),
        ("edited", False), ("submitted", False), ("published", True)]
    assert events[2].actor == animator and events[2].message == "Précisez le lieu."
    assert _messages(inhabitant) == ["proposal.changes_requested", "proposal.published"]


def test_reject_needs_a_reason(session, inhabitant, animator, now):
    proposal = factories.proposal(inhabitant, status="submitted")
    with pytest.raises(DomainError):
        services.reject(proposal, animator, "", now)
    services.reject(proposal, animator, "Nom d'une personne.", now)
    assert proposal.status == "rejected"


def test_public_answers_follow_the_allowed_moves(session, inhabitant, animator, verified, now):
    proposal = factories.proposal(inhabitant)
    services.set_support(verified, proposal, True, now)
    with pytest.raises(DomainError):
        services.answer(proposal, animator, "not_retained", "", now)
    services.answer(proposal, animator, "under_study", "Nous regardons.", now)
    assert proposal.first_answer_at == now
    later = now + timedelta(days=3)
    services.answer(proposal, animator, "retained", "Retenue !", later)
    assert proposal.first_answer_at == now and proposal.public_answer == "Retenue !"
    with pytest.raises(DomainError):
        services.answer(proposal, animator, "not_retained", "Finalement non.", later)
    assert _messages(verified) == ["proposal.supported_answered"] * 2
    with pytest.raises(DomainError):
        services.withdraw(proposal, inhabitant, later)  # retained: too late


def test_withdraw_before_it_is_retained(session, inhabitant, now):
    proposal = factories.proposal(inhabitant, status="under_study")
    services.withdraw(proposal, inhabitant, now)
    assert proposal.status == "withdrawn"


# --- Supports ------------------------------------------------------------------------------

def test_support_once_per_person_and_counter_matches(session, inhabitant, verified, admin, now):
    proposal = factories.proposal(inhabitant)
    assert services.set_support(verified, proposal, True, now) is True
    assert services.set_support(verified, proposal, True, now) is True  # twice = once
    services.set_support(admin, proposal, True, now)
    db.session.refresh(proposal)
    fresh = db.session.scalar(sa.select(sa.func.count()).select_from(Support)
                              .where(Support.proposal_id == proposal.id))
    assert proposal.support_count == fresh == 2
    services.set_support(verified, proposal, False, now)
    services.set_support(verified, proposal, False, now)
    db.session.refresh(proposal)
    assert proposal.support_count == 1


def test_the_database_refuses_a_second_support(session, inhabitant, verified, now):
    proposal = factories.proposal(inhabitant)
    services.set_support(verified, proposal, True, now)
    savepoint = db.session.begin_nested()
    db.session.add(Support(user_id=verified.id, proposal_id=proposal.id, created_at=now))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    savepoint.rollback()


# --- Comments ------------------------------------------------------------------------------

def test_comments_replies_are_one_level_and_notify(session, inhabitant, verified, admin, now):
    proposal = factories.proposal(inhabitant)
    first = services.add_comment(verified, proposal, "Bonne idée", now)
    reply = services.add_comment(admin, proposal, "D'accord", now, parent=first)
    deeper = services.add_comment(inhabitant, proposal, "Merci", now, parent=reply)
    assert reply.parent_id == first.id and deeper.parent_id == first.id
    db.session.refresh(proposal)
    assert proposal.comment_count == 3
    assert "proposal.commented" in _messages(inhabitant)
    assert "proposal.replied" in _messages(verified)
    services.delete_comment(first, now)
    db.session.refresh(proposal)
    assert proposal.comment_count == 2 and first.body == ""


def test_empty_or_huge_comment_refused(session, inhabitant, verified, now):
    proposal = factories.proposal(inhabitant)
    for body in ("   ", "x" * 3001):
        with pytest.raises(DomainError):
            services.add_comment(verified, proposal, body, now)


# --- Reports -------------------------------------------------------------------------------

def test_three_reports_hide_a_comment_until_an_animator_decides(session, inhabitant, animator,
                                                                now):
    proposal = factories.proposal(inhabitant)
    target = services.add_comment(inhabitant, proposal, "Insulte", now)
    people = [factories.UserFactory() for _ in range(3)]
    services.report(people[0], proposal, "insult", None, now, comment=target)
    assert services.report(people[0], proposal, "spam", None, now, comment=target) is False
    services.report(people[1], proposal, "insult", "grossier", now, comment=target)
    assert target.hidden_at is None
    services.report(people[2], proposal, "spam", None, now, comment=target)
    assert target.hidden_at == now and target.hidden_reason == "insult"
    assert "proposal.hidden" in _messages(inhabitant)
    services.decide_reports(animator, proposal, target, "kept", now)
    assert target.hidden_at is None and target.report_count == 0


def test_report_threshold_is_a_setting(app, session, inhabitant, verified, now):
    app.config["REPORTS_TO_HIDE"] = 1
    try:
        proposal = factories.proposal(inhabitant)
        services.report(verified, proposal, "spam", None, now)
    finally:
        app.config["REPORTS_TO_HIDE"] = 3
    assert proposal.hidden_at == now


# --- Similar, search -----------------------------------------------------------------------

def test_similar_proposals_ignore_accents_and_case(session, inhabitant, now):
    factories.proposal(inhabitant, title="Des ateliers de SANTÉ au centre")
    factories.proposal(inhabitant, title="Un terrain de pétanque")
    found = services.similar_proposals("atelier sante pour les seniors")
    assert [p.title for p in found] == ["Des ateliers de SANTÉ au centre"]


def test_search_finds_sante_in_sante(session, inhabitant):
    factories.proposal(inhabitant, title="Prévention santé des jeunes")
    condition = services.search_condition("sante")
    titles = db.session.scalars(sa.select(Proposal.title).where(condition)).all()
    assert titles == ["Prévention santé des jeunes"]


# --- Answer deadline -----------------------------------------------------------------------

def test_reminders_before_and_after_the_deadline(session, inhabitant, animator, matisse):
    from participation.core.models import utcnow

    matisse_director = factories.staff("director", matisse, pseudonym="Dir Matisse")
    published = utcnow() - timedelta(days=24)
    factories.proposal(inhabitant, now=published)
    counts = services.send_answer_reminders(published + timedelta(days=24))
    assert counts == {"reminded": 1, "overdue": 0}
    assert "proposal.answer_due" in _messages(animator)
    assert services.send_answer_reminders(published + timedelta(days=25))["reminded"] == 0
    counts = services.send_answer_reminders(published + timedelta(days=31))
    assert counts["overdue"] == 1
    assert "proposal.answer_overdue" in _messages(matisse_director)
    assert "proposal.answer_overdue" not in _messages(animator)
    assert services.send_answer_reminders(published + timedelta(days=40))["overdue"] == 0


def test_median_answer_time_per_centre(session, inhabitant, animator, now):
    first = factories.proposal(inhabitant, now=now)
    second = factories.proposal(inhabitant, now=now, title="Une autre idée ici")
    services.answer(first, animator, "under_study", "Vu.", now + timedelta(days=2))
    services.answer(second, animator, "under_study", "Vu.", now + timedelta(days=6))
    rows = {r["centre"].short_name: r for r in services.answer_times_by_centre(now)}
    assert rows["Matisse"]["median_days"] == 4.0 and rows["Matisse"]["answered"] == 2


# --- Photos --------------------------------------------------------------------------------

def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (3000, 2000), "teal")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (50.0, 57.0, 0.0)}  # GPSInfo
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_photos_are_shrunk_and_stripped_of_exif(app, session):
    stored = store_image(io.BytesIO(_jpeg_with_gps()))
    assert max(stored.width, stored.height) == 1600
    with Image.open(upload_dir() / stored.name) as saved:
        assert not saved.getexif()
    with Image.open(upload_dir() / stored.thumb_name) as thumb:
        assert max(thumb.size) <= 480


@pytest.mark.parametrize("content", [
    b"GIF89a" + b"\x00" * 100,                      # a real format we do not take
    b"<svg onload=alert(1)></svg>",                 # a script pretending to be a photo
    b"\xff\xd8\xff\xe0 not really a jpeg",          # a broken JPEG
    b"",
])
def test_files_that_are_not_usable_photos_are_refused(app, session, content):
    with pytest.raises(DomainError) as error:
        store_image(io.BytesIO(content))
    assert error.value.field == "photo"


def test_decompression_bomb_is_refused(app, session):
    buffer = io.BytesIO()
    Image.new("1", (10000, 10000)).save(buffer, "PNG")  # tiny file, 100 megapixels
    assert len(buffer.getvalue()) < 8 * 1024 * 1024
    with pytest.raises(DomainError):
        store_image(io.BytesIO(buffer.getvalue()))


def test_photo_too_large_is_refused(app, session):
    with pytest.raises(DomainError):
        store_image(io.BytesIO(b"\xff" * (8 * 1024 * 1024 + 1)))


# --- Personal data -------------------------------------------------------------------------

def test_deleting_an_account_keeps_published_ideas_and_erases_drafts(session, inhabitant, now):
    from participation.accounts.services import delete_account

    published = factories.proposal(inhabitant)
    draft = factories.proposal(inhabitant, status="draft", title="Mon brouillon privé")
    draft_id = draft.id
    delete_account(inhabitant, factories.PASSWORD, now)
    db.session.expire_all()
    assert db.session.get(Proposal, draft_id) is None
    assert published.author.display_name in ("ancien·ne participant·e", "former participant")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.user_id == inhabitant.id)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
