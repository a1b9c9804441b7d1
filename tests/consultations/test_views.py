"""Consultation pages through HTTP, with the refusals, and a fixed number of queries."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.consultations import services
from participation.consultations.models import Ballot
from participation.core.models import utcnow
from participation.extensions import db
from tests import factories
from tests.consultations.helpers import answers, commune, form_data, make_consultation
from tests.queries import queries_for


def open_now(organiser, **kw):
    """A consultation open right now (the views read the real clock)."""
    return make_consultation(organiser, utcnow() - timedelta(days=2), **kw)


def closed_now(organiser, voters=(), **kw):
    consultation = make_consultation(organiser, utcnow() - timedelta(days=10),
                                     lasts=timedelta(days=3), **kw)
    for voter in voters:
        services.cast_ballot(consultation, voter, answers(consultation),
                             consultation.opens_at + timedelta(hours=1))
    db.session.commit()
    return consultation


def test_staff_create_a_consultation_and_its_questions(client, login, animator, matisse):
    login(animator)
    start = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT10:00")
    end = (utcnow() + timedelta(days=9)).strftime("%Y-%m-%dT18:00")
    response = client.post("/consultations/nouvelle", data={
        "organisation": matisse.id, "title": "Le nom du jardin", "description": "Pourquoi",
        "opens_at": start, "closes_at": end, "communes": [commune("Calais").id]})
    assert response.status_code == 302
    consultation_id = int(re.search(r"/consultations/(\d+)", response.location).group(1))
    response = client.post(f"/consultations/{consultation_id}/questions/ajouter", data={
        "kind": "judgment", "text": "Quel nom ?", "options": "Les Lilas\nLes Tilleuls",
        "grades": "Excellent\nTrès bien\nBien\nPassable\nÀ rejeter"})
    assert response.status_code == 302
    response = client.post(f"/consultations/{consultation_id}/annoncer",
                           follow_redirects=True)
    assert "Empreinte" in response.text and "Quel nom ?" in response.text


def test_form_errors_keep_what_was_typed(client, login, animator, matisse):
    login(animator)
    response = client.post("/consultations/nouvelle", data={
        "organisation": matisse.id, "title": "Gardé", "opens_at": "2030-01-02T10:00",
        "closes_at": "2030-01-01T10:00", "communes": [commune("Calais").id]})
    assert response.status_code == 200
    assert 'value="Gardé"' in response.text and "après l’ouverture" in response.text


@pytest.mark.parametrize("who, status", [
    (None, 302), ("inhabitant", 403), ("other_animator", 403), ("animator", 200),
    ("admin", 200)])
def test_who_may_edit(client, login, request, animator, who, status):
    consultation = make_consultation(animator, utcnow(), schedule=False)
    if who:
        login(request.getfixturevalue(who))
    response = client.get(f"/consultations/{consultation.id}/modifier")
    # A draft is hidden from those who cannot manage it.
    assert response.status_code == (404 if status == 403 else status)


def test_draft_is_hidden_and_announced_is_public(client, login, animator, inhabitant):
    draft = make_consultation(animator, utcnow(), schedule=False)
    assert client.get(f"/consultations/{draft.id}").status_code == 302  # log in first
    login(inhabitant)
    assert client.get(f"/consultations/{draft.id}").status_code == 404
    announced = make_consultation(animator, utcnow(), title="Annoncée")
    assert client.get(f"/consultations/{announced.id}").status_code == 200
    assert "Annoncée" in client.get("/consultations").text


def test_vote_summary_confirm_and_receipt(client, login, animator, inhabitant):
    consultation = open_now(animator)
    login(inhabitant)
    assert "Relire mes réponses" in client.get(f"/consultations/{consultation.id}/voter").text
    data = form_data(consultation, single=1)
    response = client.post(f"/consultations/{consultation.id}/voter", data=data)
    assert "Confirmer mon vote" in response.text and "Samedi" in response.text
    assert services.has_voted(consultation, inhabitant) is None
    response = client.post(f"/consultations/{consultation.id}/voter/confirmer", data=data)
    assert response.status_code == 200
    receipt = re.search(r'class="code receipt">([A-Z0-9-]+)<', response.text).group(1)
    assert services.check_receipt(consultation, receipt)[0] == "counted"
    again = client.post(f"/consultations/{consultation.id}/voter/confirmer", data=data)
    assert again.status_code == 409 and "déjà voté" in again.text
    detail = client.get(f"/consultations/{consultation.id}").text
    assert "Vous avez voté le" in detail
    # While open: turnout only, no results, no ballots.
    assert "Personnes qui ont voté\u00a0: 1" in detail
    assert "Samedi" not in client.get(f"/consultations/{consultation.id}/resultats").text


def test_each_voter_gets_their_own_receipt_on_a_page_kept_for_all(app, client, login,
                                                                  animator, monkeypatch):
    """The receipt page is the same for every voter but for the receipt (and the menu):
    rendered once, then served with each voter's own receipt and token."""
    from participation.core import layout

    app.extensions["layout"].fragments.clear()
    rendered = []
    real = layout.render_template
    monkeypatch.setattr(layout, "render_template",
                        lambda *a, **k: rendered.append(a[0]) or real(*a, **k))
    consultation = open_now(animator)
    receipts = []
    for name in ("Votante Une", "Votant Deux"):
        login(factories.UserFactory(pseudonym=name))
        page = client.post(f"/consultations/{consultation.id}/voter/confirmer",
                           data=form_data(consultation, single=1)).text
        found = re.findall(r'class="code receipt">([A-Z0-9-]+)<', page)
        assert len(found) == 1 and "\x00" not in page
        receipts.append(found[0])
    assert rendered == ["consultations/receipt.html"]
    assert receipts[0] != receipts[1]
    assert all(services.check_receipt(consultation, r)[0] == "counted" for r in receipts)


def test_ballot_errors_are_shown_next_to_the_question(client, login, animator, inhabitant):
    consultation = open_now(animator)
    q3 = consultation.questions[2]
    login(inhabitant)
    data = form_data(consultation)
    data.pop(f"q{q3.id}_o{q3.options[0].id}")
    response = client.post(f"/consultations/{consultation.id}/voter", data=data)
    assert response.status_code == 400
    assert f'id="q{q3.id}-error"' in response.text
    # The other answers are kept.
    q1 = consultation.questions[0]
    assert f'value="{q1.options[0].id}" checked' in response.text


def test_ineligible_person_reads_why(client, login, director, inhabitant):
    consultation = open_now(director, communes=("Marck",), verified_only=True)
    login(inhabitant)
    response = client.get(f"/consultations/{consultation.id}/voter")
    assert response.status_code == 403
    assert "vérifié·es de Marck" in response.text
    response = client.post(f"/consultations/{consultation.id}/voter/confirmer",
                           data=form_data(consultation))
    assert response.status_code == 403
    assert services.has_voted(consultation, inhabitant) is None


def test_no_vote_after_closing_whatever_is_posted(client, login, animator, inhabitant):
    consultation = closed_now(animator)
    login(inhabitant)
    response = client.post(f"/consultations/{consultation.id}/voter/confirmer",
                           data=form_data(consultation))
    assert response.status_code == 409
    assert services.has_voted(consultation, inhabitant) is None


def test_anonymous_is_asked_to_log_in_to_vote(client, animator):
    consultation = open_now(animator)
    response = client.get(f"/consultations/{consultation.id}/voter")
    assert response.status_code == 302 and "/connexion" in response.location


def test_public_ballots_receipt_check_results_and_csv(client, login, animator):
    voters = [factories.UserFactory() for _ in range(3)]
    consultation = closed_now(animator, voters)
    page = client.get(f"/consultations/{consultation.id}/bulletins").text
    assert 'class="participations">3<' in page and 'class="ballot-count">3<' in page
    trackers = list(db.session.scalars(sa.select(Ballot.id)))
    assert all(services.format_tracker(t) in page for t in trackers)
    contents = client.get(f"/consultations/{consultation.id}/bulletins?liste=contenus").text
    assert "Bulletins avec ce contenu\u00a0: 3" in contents
    # Listed apart: no tracker on the contents page.
    assert not any(services.format_tracker(t) in contents for t in trackers)
    csv_text = client.get(f"/consultations/{consultation.id}/bulletins.csv").text
    assert csv_text.count("Mardi") == 3 and trackers[0] not in csv_text
    ballot = db.session.get(Ballot, trackers[0])
    check = client.get(f"/consultations/{consultation.id}/verifier-recu",
                       query_string={"recu": services.receipt(ballot)}).text
    assert "est dans le décompte" in check
    forged = client.get(f"/consultations/{consultation.id}/verifier-recu",
                        query_string={"recu": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF"}).text
    assert "pas valable" in forged
    assert "résultats à venir" in client.get(f"/consultations/{consultation.id}").text
    login(animator)
    response = client.post(f"/consultations/{consultation.id}/publier",
                           follow_redirects=True)
    assert "Bulletins comptés\u00a0: 3." in response.text
    assert "<svg" in response.text and "<table" in response.text
    assert "Classé en tête\u00a0: La Ruche" in response.text
    results_csv = client.get(f"/consultations/{consultation.id}/resultats.csv").text
    assert "Mardi" in results_csv and "Excellent" in results_csv


def test_only_organisers_publish(client, login, animator, other_animator):
    consultation = closed_now(animator)
    login(other_animator)
    assert client.post(f"/consultations/{consultation.id}/publier").status_code == 403
    assert consultation.results is None


def test_desk_ballot_by_staff(client, login, other_animator, animator, espace_fort):
    consultation = open_now(animator)
    person = factories.UserFactory(pseudonym="Sans Téléphone", email=None)
    login(other_animator)
    search = client.get(f"/consultations/{consultation.id}/guichet",
                        query_string={"q": "Sans Tel"}).text
    assert "Sans Téléphone" in search
    data = {**form_data(consultation), "channel": "paper", "centre": espace_fort.id}
    url = f"/consultations/{consultation.id}/guichet/{person.id}"
    assert "Confirmer ce bulletin" in client.post(url, data=data).text
    response = client.post(url + "/confirmer", data=data)
    assert response.status_code == 200 and "Personne suivante" in response.text
    participation = services.has_voted(consultation, person)
    assert participation.channel == "paper" and participation.centre_id == espace_fort.id
    assert db.session.scalar(sa.select(Ballot.centre_id)) == espace_fort.id


@pytest.mark.parametrize("who", ["inhabitant", "president", "federal_delegate"])
def test_desk_is_for_centre_staff_only(client, login, request, animator, who):
    consultation = open_now(animator)
    login(request.getfixturevalue(who))
    assert client.get(f"/consultations/{consultation.id}/guichet").status_code == 403


def test_paper_ballot_print_view(client, animator):
    consultation = open_now(animator)
    page = client.get(f"/consultations/{consultation.id}/bulletin-papier").text
    assert "Quel nom pour l’espace ?" in page and "À rejeter" in page and "☐" in page


def test_pages_run_a_fixed_number_of_queries(client, animator):
    few = closed_now(animator, [factories.UserFactory() for _ in range(2)], title="Peu")
    many = closed_now(animator, [factories.UserFactory() for _ in range(30)],
                      title="Beaucoup")
    for consultation in (few, many):
        services.publish_results(consultation, consultation.closes_at + timedelta(hours=1))
    db.session.commit()
    for path in ("resultats", "bulletins", "bulletins?liste=contenus", ""):
        counts = [queries_for(client, f"/consultations/{c.id}/{path}".rstrip("/"))
                  for c in (few, many)]
        assert counts[0] == counts[1], path


def test_small_numbers_are_not_published_exactly(client, animator):
    """Issue 8, item 6: fewer than five people in a breakdown cell shows "< 5"."""
    voters = [factories.UserFactory(pseudonym=f"Votant {i}") for i in range(3)]
    consultation = closed_now(animator, voters=voters)
    services.publish_results(consultation, utcnow())
    db.session.commit()
    page = client.get(f"/consultations/{consultation.id}/resultats").text
    assert "&lt; 5" in page
    assert "Personnes qui ont voté\u00a0: 3" in page or "People who voted: 3" in page


def test_a_vote_runs_a_few_statements_each_rule_checked_once(client, login, animator,
                                                             inhabitant):
    """Confirming a ballot: the person (with roles), the consultation (questions, options
    and communes are kept once announced), the participation inserted unless there is one
    (INSERT ... ON CONFLICT DO NOTHING), the ballot, and the menu's two figures."""
    from tests.queries import count_queries

    consultation = open_now(animator)
    voters = [inhabitant, factories.UserFactory(), factories.UserFactory()]
    db.session.commit()
    url = f"/consultations/{consultation.id}/voter/confirmer"
    login(voters[0])
    assert client.post(url, data=form_data(consultation)).status_code == 200  # warms caches
    for voter in voters[1:]:
        login(voter)
        with count_queries() as statements:
            response = client.post(url, data=form_data(consultation))
        assert response.status_code == 200 and 'class="code receipt"' in response.text
        # The tests' own transaction turns commits into savepoints: not the site's.
        sent = [s for s in statements
                if s.split()[0] not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]
        assert len(sent) <= 6, "\n".join(sent)
        assert sum("consultation_participations" in s for s in sent) == 1
    # A wrong ballot comes back with its error and the questions, answers kept.
    q1 = consultation.questions[0]
    wrong = {**form_data(consultation), f"q{q1.id}": [str(o.id) for o in q1.options[:2]]}
    login(factories.UserFactory())
    refused = client.post(url, data=wrong)
    assert refused.status_code == 400 and f'id="q{q1.id}-error"' in refused.text
    assert "Quel nom pour l’espace ?" in refused.text
    # Already voted and a wrong ballot besides: told first that they have voted.
    login(voters[-1])
    again = client.post(url, data=wrong)
    assert again.status_code == 409 and "déjà voté" in again.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 3
