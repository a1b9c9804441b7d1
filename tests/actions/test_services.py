"""Fiches action: writing, the status machine (every move), validation only by a Conseil
decision, and closing the loop with the proposals they come from."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from participation.actions import services
from participation.actions.models import STATUSES, ActionSheet
from participation.core.errors import DomainError
from participation.council import services as council
from participation.council.models import COUNCIL, PARIS, AgendaItem
from participation.extensions import db
from participation.notifications.models import Notification
from participation.proposals.models import ProposalEvent
from tests import factories
from tests.actions.conftest import NOW, decide, moved


def _sheet_in(status, author, admin):
    """A fiche brought to ``status`` the way people would."""
    sheet = factories.action_sheet(author, status="draft")
    path = {"draft": [], "submitted": ["submit"], "validated": ["submit", "validate"],
            "in_progress": ["submit", "validate", "start"],
            "completed": ["submit", "validate", "start", "complete"],
            "abandoned": ["abandon"]}[status]
    for action in path:
        if action == "validate":
            decide(sheet, admin)
        else:
            moved(sheet, author, action)
    assert sheet.status == status
    return sheet


EXPECTED = {
    ("draft", "submit"): "submitted",
    ("draft", "abandon"): "abandoned",
    ("submitted", "abandon"): "abandoned",
    ("validated", "start"): "in_progress",
    ("validated", "abandon"): "abandoned",
    ("in_progress", "complete"): "completed",
    ("in_progress", "abandon"): "abandoned",
}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", services.ACTIONS)
def test_every_status_and_move_either_moves_as_specified_or_is_refused(status, action,
                                                                       director, admin):
    sheet = _sheet_in(status, director, admin)
    expected = EXPECTED.get((status, action))
    if expected is None:
        with pytest.raises(DomainError) as refused:
            services.perform(sheet, action, director, NOW, reason="x", evaluation="x",
                             results={o.id: "x" for o in sheet.objectives})
        db.session.rollback()
        assert db.session.get(ActionSheet, sheet.id).status == status
        if action == "validate":
            assert "décision du Conseil" in str(refused.value.message)
        else:
            assert "ne peut pas" in str(refused.value.message)
    else:
        moved(sheet, director, action)
        assert sheet.status == expected
        assert sheet.events[-1].status == expected and sheet.events[-1].actor == director


def test_a_fiche_is_written_from_retained_proposals_only(director, inhabitant, retained):
    published = factories.proposal(inhabitant, status="published")
    with pytest.raises(DomainError, match="retenue") as refused:
        services.create_sheet(director, services.SheetData(
            title="Repas partagés", summary="Chaque mois.", proposals=[published]), NOW)
    assert refused.value.field == "proposals"
    sheet = services.create_sheet(director, services.SheetData(
        title="Repas partagés", summary="Chaque mois.", proposals=[retained]), NOW)
    assert sheet.proposals == [retained] and sheet.status == "draft"
    assert [e.kind for e in sheet.events] == ["created"]


def test_parts_of_a_fiche_and_their_rules(director, matisse, espace_fort):
    sheet = factories.action_sheet(director, status="draft")
    with pytest.raises(DomainError, match="l’un des deux|un des deux"):
        services.add_actor(sheet, role="x")
    with pytest.raises(DomainError, match="déjà"):
        services.add_actor(sheet, organisation=matisse, role="Encore")
    services.add_actor(sheet, organisation=espace_fort, role="Mène", is_lead=True)
    services.add_actor(sheet, group="Habitant·es du quartier", role="Préparent")
    assert [a.is_lead for a in sheet.actors] == [False, True, False]  # one lead only
    assert sheet.lead.organisation == espace_fort
    with pytest.raises(DomainError, match="à qui"):
        services.add_means(sheet, kind="requested", what="Subvention")
    means = services.add_means(sheet, kind="requested", what="Subvention",
                               provider="CAF du Pas-de-Calais",
                               amount_cents=services.parse_euros("1 250,50"))
    assert means.amount_cents == 125050 and means.request_status == "requested"
    assert services.add_means(sheet, kind="pooled", what="Minibus").request_status is None
    with pytest.raises(DomainError):
        services.parse_euros("douze")
    with pytest.raises(DomainError, match="date"):
        services.add_milestone(sheet, title="Départ", due_on=None)
    services.add_milestone(sheet, title="Départ", due_on=date(2027, 7, 10))
    moved(sheet, director, "submit")
    with pytest.raises(DomainError, match="ne change plus"):
        services.add_objective(sheet, text="x", indicator="y", target="z")
    services.set_request_status(means, director, "granted", NOW)
    assert means.request_status == "granted" and sheet.events[-1].kind == "means_status"


def test_submitting_needs_an_objective_and_exactly_one_lead(director, matisse):
    sheet = services.create_sheet(director, services.SheetData(title="Sans rien",
                                                               summary="Vide."), NOW)
    with pytest.raises(DomainError, match="objectif"):
        services.submit(sheet, director, NOW)
    services.add_objective(sheet, text="a", indicator="b", target="c")
    services.add_actor(sheet, organisation=matisse, role="Aide")
    with pytest.raises(DomainError, match="pilote|un seul"):
        services.submit(sheet, director, NOW)


def test_submitting_puts_the_fiche_on_the_next_open_conseil_agenda(director, admin, retained):
    conseil = council.get_body(COUNCIL)
    later = council.plan_meeting(conseil, admin, starts_at=(NOW + timedelta(days=40))
                                 .astimezone(PARIS), place="Marck")
    sheet = factories.action_sheet(director, status="draft", proposals=[retained])
    assert services.submit(sheet, director, NOW) == later
    item = db.session.get(AgendaItem, sheet.agenda_item_id)
    assert item.meeting == later and "Séjour jeunes" in item.title
    assert {(link.kind, link.target_id) for link in item.links} == {
        ("action_sheet", sheet.id), ("proposal", retained.id)}


def test_without_a_planned_meeting_the_fiche_waits_then_is_scheduled(director, admin):
    sheet = factories.action_sheet(director, status="draft")
    assert services.submit(sheet, director, NOW) is None
    assert sheet.status == "submitted" and sheet.agenda_item_id is None
    with pytest.raises(DomainError, match="Aucune réunion"):
        services.schedule(sheet, NOW)
    meeting = council.plan_meeting(council.get_body(COUNCIL), admin,
                                   starts_at=(NOW + timedelta(days=20)).astimezone(PARIS),
                                   place="Calais")
    assert services.schedule(sheet, NOW) == meeting and sheet.agenda_item_id is not None


def test_validated_only_by_a_conseil_decision_naming_it(director, admin, retained, inhabitant,
                                                        verified):
    sheet = factories.action_sheet(director, proposals=[retained])
    draft = factories.action_sheet(director, status="draft", title="Brouillon")
    meeting = council.plan_meeting(council.get_body(COUNCIL), admin,
                                   starts_at=NOW.astimezone(PARIS), place="Calais")
    with pytest.raises(DomainError, match="soumise"):  # a draft is not validated
        council.record_decision(meeting, admin, title="x", text="x",
                                validates_action_sheet_id=draft.id, now=NOW)
    db.session.rollback()
    decision = decide(sheet, admin)
    assert sheet.status == "validated" and sheet.validated_at == NOW
    assert sheet.validating_decision == decision
    assert decision.reference in sheet.events[-1].message
    told = db.session.scalars(sa.select(Notification).where(
        Notification.message == "action.validated")).all()
    assert {(n.user_id, n.kind) for n in told} == {(inhabitant.id, "my_proposals"),
                                                   (verified.id, "supported_proposals")}
    assert told[0].url == f"/fiches-action/{sheet.id}"


def test_completion_needs_an_evaluation_and_each_result_and_realises_proposals(
        director, admin, retained, inhabitant, verified):
    sheet = factories.action_sheet(director, proposals=[retained])
    decide(sheet, admin)
    moved(sheet, director, "start")
    [objective] = sheet.objectives
    with pytest.raises(DomainError, match="évaluation"):
        services.complete(sheet, director, "", {objective.id: "12"}, NOW)
    with pytest.raises(DomainError) as refused:
        services.complete(sheet, director, "Très bien.", {}, NOW)
    assert refused.value.field == f"result_{objective.id}"
    services.complete(sheet, director, "Très bien.", {objective.id: "11 jeunes partis"}, NOW)
    db.session.commit()
    assert sheet.status == "completed" and objective.result == "11 jeunes partis"
    assert retained.status == "realised" and retained.status_label == "réalisée"
    event = db.session.scalars(sa.select(ProposalEvent).where(
        ProposalEvent.proposal_id == retained.id).order_by(ProposalEvent.id.desc())).first()
    assert event.kind == "realised" and event.public
    keys = [n.message for n in db.session.scalars(sa.select(Notification).where(
        Notification.user_id == inhabitant.id, Notification.message.like("action.%"))
        .order_by(Notification.id))]
    assert keys == ["action.validated", "action.started", "action.completed"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == verified.id, Notification.message.like("action.%"))) == 3


def test_abandoning_needs_a_reason(director):
    sheet = factories.action_sheet(director)
    with pytest.raises(DomainError, match="pourquoi") as refused:
        services.abandon(sheet, director, "  ", NOW)
    assert refused.value.field == "reason"
    services.abandon(sheet, director, "Le partenaire s'est retiré.", NOW)
    assert sheet.status == "abandoned" and sheet.abandon_reason == "Le partenaire s'est retiré."


def test_only_the_conseil_validates(director, admin):
    sheet = factories.action_sheet(director)
    directors = council.get_body("directors")
    meeting = council.plan_meeting(directors, admin, starts_at=NOW.astimezone(PARIS),
                                   place="Calais")
    with pytest.raises(DomainError, match="Seul le Conseil"):
        council.record_decision(meeting, admin, title="x", text="x",
                                validates_action_sheet_id=sheet.id, now=NOW)
    assert sheet.status == "submitted"


_BODY = b"%PDF-1.4\n1 0 obj<<>>endobj\n"
MINIMAL_PDF = (_BODY + b"xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer<<>>\n"
               b"startxref\n" + str(len(_BODY)).encode() + b"\n%%EOF\n")


def test_agreements_are_pdfs_checked_by_content(director, app, session):
    import io

    from participation.territory.models import Organisation

    partner = db.session.scalar(sa.select(Organisation).where(Organisation.kind == "partner"))
    sheet = factories.action_sheet(director)
    assert MINIMAL_PDF[len(_BODY):].startswith(b"xref")
    for bad in (b"", b"not a pdf", b"%PDF-1.4 but nothing else", MINIMAL_PDF[:-8]):
        with pytest.raises(DomainError, match="PDF"):
            services.add_agreement(sheet, director, partner=partner, title="Convention",
                                   signed_on=date(2026, 11, 2), stream=io.BytesIO(bad), now=NOW)
    with pytest.raises(DomainError, match="10 Mo"):
        services.add_agreement(sheet, director, partner=partner, title="Convention",
                               signed_on=date(2026, 11, 2), now=NOW,
                               stream=io.BytesIO(MINIMAL_PDF + b" " * (10 * 1024 * 1024)))
    agreement = services.add_agreement(sheet, director, partner=partner, title="Convention",
                                       signed_on=date(2026, 11, 2),
                                       stream=io.BytesIO(MINIMAL_PDF), now=NOW)
    path = services.agreement_path(agreement)
    assert path.read_bytes() == MINIMAL_PDF and len(path.stem) == 32
