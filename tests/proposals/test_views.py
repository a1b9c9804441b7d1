"""Proposal pages through HTTP: each route, with the refusals, and the query counts."""

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from participation.core.audit import AuditEntry
from participation.extensions import db
from participation.proposals.models import Comment, Proposal
from tests import factories
from tests.queries import queries_for


def _form(**overrides):
    data = {"title": "Un composteur partagé", "body": "Dans la cour de l'école.",
            "theme": str(factories.theme().id), "commune": str(factories._commune().id),
            "centre": ""}
    data.update(overrides)
    return data


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "orange").save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def test_write_preview_and_send(client, login, inhabitant, animator):
    login(inhabitant)
    assert client.get("/propositions/nouvelle").status_code == 200
    response = client.post("/propositions/nouvelle", data={**_form(), "photo": (_png(), "p.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.author_id == inhabitant.id))
    assert proposal.status == "draft" and proposal.photo.endswith(".jpg")
    assert proposal.centre.short_name in ("Matisse", "Espace Fort")  # suggested from Calais
    preview = client.get(f"/propositions/{proposal.id}")
    assert "Envoyer ma proposition" in preview.text or "Send my proposal" in preview.text
    assert client.get(f"/media/{proposal.photo_thumb}").status_code == 200
    client.post(f"/propositions/{proposal.id}/envoyer")
    db.session.refresh(proposal)
    assert proposal.status == "submitted"


def test_a_bad_photo_keeps_everything_typed(client, login, inhabitant):
    login(inhabitant)
    response = client.post("/propositions/nouvelle",
                           data={**_form(), "photo": (io.BytesIO(b"%PDF-1.4 nope"), "x.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert 'value="Un composteur partagé"' in response.text
    assert "Dans la cour de l&#39;école." in response.text
    assert 'aria-invalid="true"' in response.text
    assert db.session.scalar(sa.select(Proposal)) is None


def test_list_filters_search_and_sort(client, inhabitant):
    factories.proposal(inhabitant, title="Prévention santé au marché")
    factories.proposal(inhabitant, title="Des bancs sur la digue", commune="Marck")
    factories.proposal(inhabitant, status="submitted", title="Pas encore publiée")
    page = client.get("/propositions").text
    assert "Prévention santé au marché" in page and "Pas encore publiée" not in page
    found = client.get("/propositions?q=SANTE").text
    assert "Prévention santé au marché" in found and "Des bancs" not in found
    marck = factories._commune("Marck").id
    assert "Prévention" not in client.get(f"/propositions?commune={marck}").text
    assert client.get("/propositions?sort=supported&status=published").status_code == 200
    assert client.get("/propositions?commune=abc").status_code == 200  # ignored, no 500
    assert client.get("/propositions?page=999").status_code == 200


def test_unpublished_proposal_is_private(client, login, inhabitant, verified, animator,
                                         other_animator):
    proposal = factories.proposal(inhabitant, status="submitted")
    url = f"/propositions/{proposal.id}"
    assert client.get(url).status_code == 302  # anonymous: log in first
    login(verified)
    assert client.get(url).status_code == 404
    login(other_animator)
    assert client.get(url).status_code == 404  # Espace Fort does not follow it
    login(animator)
    assert client.get(url).status_code == 200
    login(inhabitant)
    assert client.get(url).status_code == 200


def test_rejected_proposal_of_someone_else_is_not_shown(client, login, inhabitant, verified,
                                                        animator):
    proposal = factories.proposal(inhabitant, status="submitted")
    from participation.proposals.services import reject

    reject(proposal, animator, "Nom propre.", factories.datetime.now(factories.UTC))
    db.session.commit()
    login(verified)
    assert client.get(f"/propositions/{proposal.id}").status_code == 404


def test_inhabitant_cannot_moderate_nor_edit_others(client, login, inhabitant, verified):
    proposal = factories.proposal(inhabitant, status="submitted")
    login(verified)
    assert client.post(f"/moderation/propositions/{proposal.id}",
                       data={"decision": "publish"}).status_code in (403, 404)
    assert client.get("/moderation").status_code == 403
    mine = factories.proposal(inhabitant, status="draft", title="Brouillon d'Inès")
    assert client.get(f"/propositions/{mine.id}/modifier").status_code == 404
    login(inhabitant)
    assert client.get(f"/propositions/{mine.id}/modifier").status_code == 200
    assert client.post(f"/moderation/propositions/{proposal.id}",
                       data={"decision": "publish"}).status_code == 403


def test_animator_moderates_and_answers(client, login, inhabitant, animator, outbox):
    proposal = factories.proposal(inhabitant, status="submitted")
    login(animator)
    assert "Un" in client.get("/moderation").text
    refused = client.post(f"/moderation/propositions/{proposal.id}",
                          data={"decision": "reject", "message": ""})
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.text
    client.post(f"/moderation/propositions/{proposal.id}", data={"decision": "publish"})
    db.session.refresh(proposal)
    assert proposal.status == "published"
    response = client.post(f"/propositions/{proposal.id}/repondre",
                           data={"status": "retained", "message": "Retenue pour 2027."})
    assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.status == "retained"
    page = client.get(f"/propositions/{proposal.id}").text
    assert "Retenue pour 2027." in page
    assert any("Retenue pour 2027." in m.body_text for m in outbox(inhabitant.email))


def test_support_with_one_tap_without_javascript(client, login, inhabitant, verified):
    proposal = factories.proposal(inhabitant)
    login(verified)
    client.post(f"/propositions/{proposal.id}/soutien", data={"support": "1"})
    client.post(f"/propositions/{proposal.id}/soutien", data={"support": "1"})
    db.session.refresh(proposal)
    assert proposal.support_count == 1
    assert "Retirer mon soutien" in client.get(f"/propositions/{proposal.id}").text
    client.post(f"/propositions/{proposal.id}/soutien", data={"support": "0"})
    db.session.refresh(proposal)
    assert proposal.support_count == 0
    login(inhabitant)  # the author does not support their own idea
    assert client.post(f"/propositions/{proposal.id}/soutien",
                       data={"support": "1"}).status_code == 403


def test_comments_reply_edit_delete_and_report(client, login, inhabitant, verified, admin):
    proposal = factories.proposal(inhabitant)
    login(verified)
    client.post(f"/propositions/{proposal.id}/commentaires", data={"body": "Bravo"})
    first = db.session.scalar(sa.select(Comment))
    client.post(f"/propositions/{proposal.id}/commentaires",
                data={"body": "Merci", "parent": str(first.id)})
    edit_url = f"/propositions/{proposal.id}/commentaires/{first.id}/modifier"
    assert client.post(edit_url, data={"body": "Bravo !"}).status_code == 302
    db.session.refresh(first)
    assert first.body == "Bravo !" and first.edited_at is not None
    login(admin)
    assert client.post(edit_url, data={"body": "piraté"}).status_code == 403
    response = client.post(f"/propositions/{proposal.id}/signaler",
                           data={"reason": "insult", "commentaire": str(first.id)})
    assert response.status_code == 302
    login(verified)
    client.post(f"/propositions/{proposal.id}/commentaires/{first.id}/supprimer")
    page = client.get(f"/propositions/{proposal.id}").text
    assert "Commentaire supprimé par son auteur" in page or "deleted by its author" in page


def test_comment_cannot_be_corrected_after_15_minutes(client, login, inhabitant, verified):
    from datetime import UTC, datetime

    proposal = factories.proposal(inhabitant)
    old = Comment(proposal_id=proposal.id, author_id=verified.id, body="Vieux",
                  created_at=datetime(2026, 1, 1, tzinfo=UTC))
    db.session.add(old)
    db.session.commit()
    login(verified)
    url = f"/propositions/{proposal.id}/commentaires/{old.id}/modifier"
    assert client.get(url).status_code == 403


def test_hidden_comment_says_why(client, app, login, inhabitant, verified):
    from participation.proposals.services import add_comment, report

    proposal = factories.proposal(inhabitant)
    now = factories.datetime.now(factories.UTC)
    bad = add_comment(verified, proposal, "Texte injurieux ici", now)
    for person in [factories.UserFactory() for _ in range(3)]:
        report(person, proposal, "insult", None, now, comment=bad)
    db.session.commit()
    page = client.get(f"/propositions/{proposal.id}").text
    assert "Texte injurieux ici" not in page
    assert "Masqué par la modération" in page or "Hidden by moderation" in page


def test_staff_record_a_proposal_for_someone(client, login, animator, inhabitant):
    login(animator)
    response = client.post(f"/accueil/habitant/{inhabitant.id}/proposition", data=_form())
    assert response.status_code == 302
    proposal = db.session.scalar(sa.select(Proposal))
    assert proposal.author_id == inhabitant.id and proposal.recorded_by_id == animator.id
    assert proposal.status == "submitted"
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.subject_id == inhabitant.id)) == "proposals.recorded_for"


def test_inhabitant_cannot_record_for_someone(client, login, inhabitant, verified):
    login(inhabitant)
    assert client.get(f"/accueil/habitant/{verified.id}/proposition").status_code == 403


def test_notifications_list_open_and_preferences(client, login, inhabitant, animator):
    proposal = factories.proposal(inhabitant, status="submitted")
    from participation.proposals.services import publish

    publish(proposal, animator, factories.datetime.now(factories.UTC))
    db.session.commit()
    login(inhabitant)
    home = client.get("/").text
    assert re.search(r'class="count">1<', home)
    page = client.get("/notifications").text
    assert "Un" in page
    link = re.search(r'href="(/notifications/\d+)"', page).group(1)
    assert client.get(link).location == f"/propositions/{proposal.id}"
    assert not re.search(r'class="count">', client.get("/").text)
    client.post("/notifications/preferences", data={"my_proposals": "none",
                                                    "comments": "bogus"})
    from participation.notifications.services import preferences_of

    prefs = preferences_of(inhabitant)
    assert prefs["my_proposals"] == "none" and prefs["comments"] == "digest"


def test_other_peoples_notifications_are_404(client, login, inhabitant, verified, animator):
    proposal = factories.proposal(inhabitant, status="submitted")
    from participation.notifications.models import Notification
    from participation.proposals.services import publish

    publish(proposal, animator, factories.datetime.now(factories.UTC))
    db.session.commit()
    notification = db.session.scalar(sa.select(Notification))
    login(verified)
    assert client.get(f"/notifications/{notification.id}").status_code == 404


def test_answer_times_page(client, inhabitant):
    factories.proposal(inhabitant, status="under_study")
    assert "Matisse" in client.get("/propositions/delais-de-reponse").text


# --- A fixed number of queries, whatever the amount of data --------------------------------

def _add_proposals(author, n):
    from datetime import UTC, datetime

    now = datetime(2026, 10, 1, tzinfo=UTC)
    rows = [{"author_id": author.id, "title": f"Idée numéro {i}", "body": "Texte",
             "search_text": f"idee numero {i}", "theme_id": factories.theme().id,
             "commune_id": factories._commune().id,
             "centre_id": factories.staff.__globals__["db"].session.scalar(
                 sa.text("SELECT id FROM organisations WHERE short_name = 'Matisse'")),
             "status": "published", "published_at": now, "created_at": now, "updated_at": now,
             "support_count": i % 7, "comment_count": i % 3, "report_count": 0}
            for i in range(n)]
    db.session.execute(sa.insert(Proposal), rows)
    db.session.commit()


@pytest.mark.parametrize("url", ["/propositions", "/propositions?sort=supported&q=idee",
                                 "/propositions?page=2"])
def test_list_runs_the_same_queries_with_10_or_300_proposals(client, login, inhabitant,
                                                            verified, url):
    login(verified)
    _add_proposals(inhabitant, 10 + 20)  # page 2 exists in both cases
    few = queries_for(client, url)
    _add_proposals(inhabitant, 270)
    many = queries_for(client, url)
    assert few == many


def test_proposal_page_runs_the_same_queries_with_few_or_many_comments(client, login,
                                                                       inhabitant, verified):
    from participation.proposals.services import add_comment, set_support

    proposal = factories.proposal(inhabitant)
    login(verified)
    now = factories.datetime.now(factories.UTC)
    people = [factories.UserFactory() for _ in range(12)]
    for person in people[:2]:
        add_comment(person, proposal, "Un avis", now)
        set_support(person, proposal, True, now)
    db.session.commit()
    few = queries_for(client, f"/propositions/{proposal.id}")
    for person in people[2:]:
        parent = add_comment(person, proposal, "Un autre avis", now)
        add_comment(people[0], proposal, "Une réponse", now, parent=parent)
        set_support(person, proposal, True, now)
    db.session.commit()
    many = queries_for(client, f"/propositions/{proposal.id}")
    assert few == many


def test_comment_pages_run_the_same_queries_with_21_or_300_comments(client, login,
                                                                    inhabitant, verified):
    """The proposal's pages of threads, a thread's pages, and a comment's link."""
    from tests.queries import count_queries

    proposal = factories.proposal(inhabitant)
    people = [factories.UserFactory() for _ in range(3)]
    tops = factories.comments(proposal, people[0], 21)  # two pages of threads
    for top in tops[:2]:
        factories.comments(proposal, people[1], 1, parent_id=top)
    base = f"/propositions/{proposal.id}"
    urls = [base, f"{base}?page=2", f"{base}/commentaires/{tops[0]}/reponses"]
    link = f"{base}/commentaires/{tops[-1]}"
    login(verified)

    def counts():
        client.get(link)
        with count_queries() as statements:
            assert client.get(link).status_code == 303
        return [queries_for(client, url) for url in urls] + [len(statements)]

    few = counts()
    factories.comments(proposal, people[2], 120)
    for top in tops[:2]:  # threads of many replies, by many people
        for person in people:
            factories.comments(proposal, person, 27, parent_id=top)
    db.session.refresh(proposal)
    assert proposal.comment_count == 21 + 2 + 120 + 2 * 81 > 300
    assert counts() == few


def test_admin_edits_themes(client, login, admin, animator):
    login(animator)
    assert client.get("/admin/themes").status_code == 403
    login(admin)
    assert "Santé et prévention" in client.get("/admin/themes").text
    response = client.post("/admin/themes/nouveau", data={"name_fr": "Logement",
                                                           "name_en": "Housing",
                                                           "position": "12"})
    assert response.status_code == 302
    duplicate = client.post("/admin/themes/nouveau", data={"name_fr": "Logement",
                                                            "name_en": "Housing"})
    assert duplicate.status_code == 200 and 'aria-invalid="true"' in duplicate.text


# --- Comments a page at a time, and links that find a comment's page --------------------

def _ids_shown(page) -> list[int]:
    return [int(i) for i in re.findall(r'id="comment-(\d+)"', page)]


def test_comments_go_a_page_of_threads_at_a_time(client, inhabitant, verified):
    from participation.proposals.queries import THREADS_PER_PAGE as PER_PAGE

    proposal = factories.proposal(inhabitant)
    tops = factories.comments(proposal, verified, PER_PAGE + 3)
    url = f"/propositions/{proposal.id}"
    first = client.get(url).text
    assert _ids_shown(first) == tops[:PER_PAGE]
    assert f"{PER_PAGE + 3} commentaires" in first  # the whole count, on every page
    assert "Page 1 sur 2" in first
    assert f'href="{url}?page=2#comments" rel="next"' in first
    second = client.get(f"{url}?page=2").text
    assert _ids_shown(second) == tops[PER_PAGE:]
    assert f"{PER_PAGE + 3} commentaires" in second
    assert f'href="{url}?page=1#comments" rel="prev"' in second
    # Past the end: the last page; nonsense: the first.
    assert _ids_shown(client.get(f"{url}?page=40").text) == tops[PER_PAGE:]
    assert _ids_shown(client.get(f"{url}?page=deux").text) == tops[:PER_PAGE]


def test_a_long_thread_links_to_its_own_pages(client, login, inhabitant, verified):
    from participation.proposals.queries import REPLIES_PER_PAGE, REPLIES_SHOWN

    proposal = factories.proposal(inhabitant)
    [top] = factories.comments(proposal, verified, 1)
    replies = factories.comments(proposal, inhabitant, REPLIES_PER_PAGE + 4, parent_id=top)
    page = client.get(f"/propositions/{proposal.id}").text
    assert _ids_shown(page) == [top, *replies[:REPLIES_SHOWN]]
    others = REPLIES_PER_PAGE + 4 - REPLIES_SHOWN
    thread_url = f"/propositions/{proposal.id}/commentaires/{top}/reponses"
    link = f'href="{thread_url}#comment-{replies[REPLIES_SHOWN]}"'
    assert link in page and f"Voir les {others} autres réponses à Vérifiée" in page
    # Without JavaScript: a page of its own, a page of replies at a time.
    login(verified)
    thread = client.get(thread_url).text
    assert _ids_shown(thread) == [top, *replies[:REPLIES_PER_PAGE]]
    assert f"{REPLIES_PER_PAGE + 4} réponses" in thread
    assert f'action="/propositions/{proposal.id}/commentaires"' in thread  # reply there too
    assert f'name="parent" value="{top}"' in thread
    assert _ids_shown(client.get(f"{thread_url}?page=2").text) == [top, *replies[-4:]]
    assert _ids_shown(client.get(f"{thread_url}?page=9").text) == [top, *replies[-4:]]
    # A reply has no thread of its own.
    assert client.get(f"/propositions/{proposal.id}/commentaires/{replies[0]}/reponses"
                      ).status_code == 404


def test_a_comment_link_finds_its_page(client, inhabitant, verified):
    from participation.proposals.queries import REPLIES_SHOWN, THREADS_PER_PAGE

    proposal = factories.proposal(inhabitant)
    tops = factories.comments(proposal, verified, THREADS_PER_PAGE + 1)
    replies = factories.comments(proposal, inhabitant, REPLIES_SHOWN + 1, parent_id=tops[-1])
    base = f"/propositions/{proposal.id}"

    def follow(comment_id):
        response = client.get(f"{base}/commentaires/{comment_id}")
        assert response.status_code == 303
        return response.location

    assert follow(tops[0]) == f"{base}#comment-{tops[0]}"
    assert follow(tops[-1]) == f"{base}?page=2#comment-{tops[-1]}"
    assert follow(replies[0]) == f"{base}?page=2#comment-{replies[0]}"
    assert follow(replies[-1]) == f"{base}/commentaires/{tops[-1]}/reponses#comment-{replies[-1]}"
    # The page it sends to holds the comment.
    location = follow(tops[-1])
    assert f'id="comment-{tops[-1]}"' in client.get(location.split("#")[0]).text
    # No such comment, or another proposal's: not found.
    other = factories.proposal(inhabitant, title="Un composteur au Virval")
    assert client.get(f"/propositions/{other.id}/commentaires/{tops[0]}").status_code == 404
    assert client.get(f"{base}/commentaires/999999").status_code == 404


def test_a_link_to_a_deleted_or_hidden_comment_lands_where_it_was(client, app, login,
                                                                 inhabitant, verified):
    from participation.proposals.queries import THREADS_PER_PAGE
    from participation.proposals.services import delete_comment, report

    proposal = factories.proposal(inhabitant)
    tops = factories.comments(proposal, verified, THREADS_PER_PAGE + 2)
    now = factories.datetime.now(factories.UTC)
    deleted, hidden = (db.session.get(Comment, i) for i in tops[-2:])
    delete_comment(deleted, now)
    for person in [factories.UserFactory() for _ in range(app.config["REPORTS_TO_HIDE"])]:
        report(person, proposal, "insult", None, now, comment=hidden)
    db.session.commit()
    base = f"/propositions/{proposal.id}"
    for comment in (deleted, hidden):
        response = client.get(f"{base}/commentaires/{comment.id}")
        assert response.location == f"{base}?page=2#comment-{comment.id}"
    page = client.get(f"{base}?page=2").text
    # Their place is kept, with a line that says why the text is not there.
    assert _ids_shown(page) == tops[THREADS_PER_PAGE:]
    assert "Commentaire supprimé par son auteur" in page and "Masqué par la modération" in page
    assert "Un avis sur l&#39;idée. 21" not in page  # the hidden text


def test_no_comment_link_where_comments_are_not_shown(client, login, inhabitant, verified):
    proposal = factories.proposal(inhabitant)
    [top] = factories.comments(proposal, verified, 1)
    proposal.status = "changes_requested"  # as if it went back to its author
    db.session.commit()
    login(inhabitant)  # the author sees the proposal, no longer its comments
    assert client.get(f"/propositions/{proposal.id}").status_code == 200
    assert client.get(f"/propositions/{proposal.id}/commentaires/{top}").status_code == 404
    assert client.get(f"/propositions/{proposal.id}/commentaires/{top}/reponses"
                      ).status_code == 404


def test_after_writing_a_comment_its_page(client, login, inhabitant, verified):
    from participation.notifications.models import Notification
    from participation.proposals.queries import REPLIES_SHOWN, THREADS_PER_PAGE

    proposal = factories.proposal(inhabitant)
    tops = factories.comments(proposal, verified, THREADS_PER_PAGE)
    factories.comments(proposal, inhabitant, REPLIES_SHOWN, parent_id=tops[0])
    base = f"/propositions/{proposal.id}"
    login(verified)
    response = client.post(f"{base}/commentaires", data={"body": "Le vingt-et-unième"})
    new = db.session.scalar(sa.select(sa.func.max(Comment.id)))
    assert response.location == f"{base}?page=2#comment-{new}"
    # The author's notification keeps a lasting link, that finds the page when followed.
    notification = db.session.scalar(sa.select(Notification).where(
        Notification.user_id == inhabitant.id).order_by(Notification.id.desc()))
    assert notification.url == f"{base}/commentaires/{new}"
    response = client.post(f"{base}/commentaires", data={"body": "Une sixième réponse",
                                                         "parent": str(tops[0])})
    reply = db.session.scalar(sa.select(sa.func.max(Comment.id)))
    assert response.location == f"{base}/commentaires/{tops[0]}/reponses#comment-{reply}"
    edit = client.post(f"{base}/commentaires/{reply}/modifier", data={"body": "Corrigée"})
    assert edit.location == f"{base}/commentaires/{tops[0]}/reponses#comment-{reply}"
    deleted = client.post(f"{base}/commentaires/{new}/supprimer")
    assert deleted.location == f"{base}?page=2#comment-{new}"


def test_a_proposal_with_300_comments_stays_a_light_page(client, login, inhabitant,
                                                         verified):
    """Under the page budget (50 KB compressed), and no heavier with 300 comments than
    with one page's worth of them (all on one page, 300 comments weighed 2.5 times more)."""
    import gzip
    import random

    from participation.proposals.queries import REPLIES_SHOWN, THREADS_PER_PAGE

    words = ("quartier idée parc enfants bancs samedi centre mairie voisins jardin vélo "
             "école marché plage fête soutien hiver aide atelier sortie familles jeunes "
             "aînés digue éclairage composteur navette réunion printemps bénévoles").split()
    rng = random.Random(300)  # noqa: S311 (test data)

    def text(n):  # about 400 characters, as people write them
        return " ".join(rng.choice(words) for _ in range(55)).capitalize() + f" ({n})."

    proposal = factories.proposal(inhabitant)
    people = [factories.UserFactory() for _ in range(3)]
    url = f"/propositions/{proposal.id}"
    login(verified)  # a reply form under each thread, and the links to report
    # One full page: 20 threads of 5 replies.
    tops = factories.comments(proposal, people[0], THREADS_PER_PAGE, body=text)
    for top in tops:
        factories.comments(proposal, people[top % 3], REPLIES_SHOWN, parent_id=top, body=text)
    full_page = len(client.get(url).get_data())
    # Then 300 in all: more replies in those threads, and more threads.
    for top in tops:
        factories.comments(proposal, people[top % 3], 4, parent_id=top, body=text)
    more = factories.comments(proposal, people[1], 60, body=text)
    for top in more[:10]:
        factories.comments(proposal, people[2], 4, parent_id=top, body=text)
    db.session.refresh(proposal)
    assert proposal.comment_count == 300
    page = client.get(url).get_data()
    assert len(_ids_shown(page.decode())) == THREADS_PER_PAGE * (1 + REPLIES_SHOWN)
    # The same threads, plus a link under each to its other replies, and the pager.
    assert len(page) < full_page * 1.05, (len(page), full_page)
    assert len(gzip.compress(page, 6)) < 50_000, len(gzip.compress(page, 6))
