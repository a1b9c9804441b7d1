"""Proposals in a real browser, on a phone: the whole life of an idea, and stored XSS."""

import io
import re

from PIL import Image

from tests.e2e.conftest import assert_accessible, assert_fits_the_phone
from tests.e2e.helpers import log_in, log_out, make_person


def _check(page):
    assert_accessible(page)
    assert_fits_the_phone(page)


def _photo(tmp_path):
    path = tmp_path / "photo-du-quartier.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1800), (30, 120, 160)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_the_life_of_an_idea(site, live_app, tmp_path):
    page = site
    author = make_person(live_app, "Auteure")
    animator = make_person(live_app, "Animatrice", role="animator")
    neighbour = make_person(live_app, "Voisin")

    # The author writes a proposal with a photo, reads it again and sends it.
    log_in(page, author)
    page.goto("/propositions")
    _check(page)
    page.locator("a[href='/propositions/nouvelle']").first.click()
    _check(page)
    page.fill("#title", "Des bancs le long de la digue de Calais")
    page.fill("#body", "Pour que les personnes âgées puissent se reposer en marchant.")
    page.select_option("#theme", index=5)
    page.select_option("#centre", label="Matisse (Calais)")
    page.set_input_files("#photo", _photo(tmp_path))
    page.locator("main form button[type=submit]").click()
    assert re.search(r"/propositions/\d+$", page.url)
    proposal_url = page.url.replace(live_app.config["SITE_URL"], "")
    assert page.locator("img.photo").count() == 1
    _check(page)
    page.locator(f"form[action='{proposal_url}/envoyer'] button").click()
    assert page.locator(".flash-success").is_visible()
    _check(page)
    log_out(page)

    # The animator of the centre publishes it from the moderation queue.
    log_in(page, animator)
    page.goto("/moderation")
    _check(page)
    page.locator(f"a[href='{proposal_url}']").first.click()
    page.check("input[name=decision][value=publish]")
    _check(page)
    page.locator("form[action*='/moderation/propositions/'] button[type=submit]").click()
    assert page.url.endswith("/moderation")
    log_out(page)

    # A neighbour supports it, comments, and reports a comment.
    log_in(page, neighbour)
    page.goto(proposal_url)
    page.locator("#support button").click()
    # Waits for the page after the post (count() alone raced it on a busy machine).
    page.locator("#support input[name=support][value='0']").wait_for(state="attached")
    page.fill("#body", "Très bonne idée, surtout près du phare.")
    page.locator(f"form[action='{proposal_url}/commentaires'] >> nth=-1").locator(
        "button").click()
    assert "Très bonne idée, surtout près du phare." in page.content()
    _check(page)
    page.locator(f"a[href*='{proposal_url}/signaler']").first.click()
    _check(page)
    page.check("input[name=reason][value=off_topic]")
    page.locator("main form button[type=submit]").click()
    assert page.locator(".flash-success").is_visible()
    log_out(page)

    # The animator answers « retenue ».
    log_in(page, animator)
    page.goto(proposal_url)
    page.check("input[name=status][value=retained]")
    page.fill("#message", "Retenue : nous la présentons au Conseil de décembre.")
    page.locator(f"form[action='{proposal_url}/repondre'] button").click()
    assert "Retenue : nous la présentons au Conseil de décembre." in page.content()
    _check(page)
    log_out(page)

    # The author sees the answer in the notifications.
    log_in(page, author)
    assert page.locator(".site-nav .count").is_visible()
    page.goto("/notifications")
    _check(page)
    notification = page.locator(".notifications li.unread a", has_text="Des bancs").first
    assert "Retenue : nous la présentons au Conseil de décembre." in notification.inner_text()
    notification.click()
    assert page.url.endswith(proposal_url)
    page.goto("/notifications/preferences")
    _check(page)


def test_a_long_discussion_a_page_at_a_time(site, live_app):
    """Threads a page at a time, a long thread on its own page, and a lasting link to a
    comment that lands on the page holding it; all at 360 px, without JavaScript needed."""
    import sqlalchemy as sa

    from participation.accounts.models import User
    from participation.extensions import db
    from participation.proposals.queries import REPLIES_SHOWN, THREADS_PER_PAGE
    from tests import factories

    page = site
    author = make_person(live_app, "Porteuse")
    neighbour = make_person(live_app, "Voisine")
    with live_app.app_context():
        people = {email: db.session.scalar(sa.select(User).where(User.email == email))
                  for email in (author, neighbour)}
        proposal = factories.proposal(people[author], title="Une fête de quartier au Fort")
        tops = factories.comments(proposal, people[neighbour], THREADS_PER_PAGE + 2)
        factories.comments(proposal, people[author], REPLIES_SHOWN + 3, parent_id=tops[0])
        url = f"/propositions/{proposal.id}"
    log_in(page, neighbour)
    page.goto(url)
    assert page.locator("#comments-title").inner_text() == \
        f"{THREADS_PER_PAGE + 2 + REPLIES_SHOWN + 3} commentaires"
    _check(page)
    page.locator(".pager a[rel=next]").click()
    assert page.url.endswith(f"{url}?page=2#comments")
    assert page.locator(f"#comment-{tops[-1]}").is_visible()
    _check(page)
    page.goto(url)
    page.locator("a", has_text="Voir les 3 autres réponses").click()
    assert f"{url}/commentaires/{tops[0]}/reponses#comment-" in page.url
    _check(page)
    page.fill(f"#reply-{tops[0]}", "Je viendrai avec des chaises.")
    page.locator(f"form:has(#reply-{tops[0]}) button[type=submit]").click()
    assert page.locator(".flash-success").is_visible()
    assert "/reponses#comment-" in page.url
    assert "Je viendrai avec des chaises." in page.inner_text("main")
    # A lasting link (as in a notification) finds the page that holds the comment.
    page.goto(f"{url}/commentaires/{tops[-1]}")
    assert page.url.endswith(f"{url}?page=2#comment-{tops[-1]}")
    assert page.locator(f"#comment-{tops[-1]}").is_visible()


PAYLOADS = [
    "<script>window.__xss = 1</script>",
    "<img src=x onerror=\"window.__xss = 1\">",
    "[clique ici](javascript:window.__xss=1)",
    "<svg><script>window.__xss=1</script></svg>",
    "<a href=\"javascript:window.__xss=1\">lien</a>",
    "[x](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    "\"><iframe src=javascript:window.__xss=1>",
    "<details open ontoggle=\"window.__xss=1\">",
    "[a](  javascript:window.__xss=1  )",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
]


def test_stored_xss_never_runs(site, live_app):
    page = site
    ran = []
    page.on("dialog", lambda dialog: (ran.append(dialog.message), dialog.dismiss()))
    author = make_person(live_app, "Testeuse")
    animator = make_person(live_app, "Modératrice", role="animator")
    log_in(page, author)
    urls = []
    for index, payload in enumerate(PAYLOADS[:5]):
        page.goto("/propositions/nouvelle")
        page.fill("#title", f"Idée {index} {payload}"[:120])
        page.fill("#body", f"Texte {payload} suite lisible {index}")
        page.select_option("#theme", index=1)
        page.select_option("#centre", label="Matisse (Calais)")
        page.locator("main form button[type=submit]").click()
        urls.append(page.url.replace(live_app.config["SITE_URL"], ""))
        page.locator("form[action$='/envoyer'] button").click()
    log_out(page)
    log_in(page, animator)
    for url in urls:
        page.goto(url)
        page.check("input[name=decision][value=publish]")
        page.locator("form[action*='/moderation/propositions/'] button[type=submit]").click()
    for payload in PAYLOADS:
        page.goto(urls[0])
        page.fill("#body", f"Commentaire {payload} fin")
        page.locator(f"form[action='{urls[0]}/commentaires'] >> nth=-1").locator(
            "button").click()
    for url in [*urls, "/propositions", "/moderation", "/notifications"]:
        page.goto(url)
        assert page.evaluate("() => window.__xss") is None, f"script ran on {url}"
    page.goto(urls[0])
    text = page.inner_text("main")
    assert "suite lisible 0" in text and "fin" in text
    assert "<script>" in text  # shown as text, not run
    assert ran == []


def test_other_proposal_pages_in_french_and_english(site, live_app):
    page = site
    admin = make_person(live_app, "Admin")
    with live_app.app_context():
        from participation.accounts.models import User
        from participation.extensions import db

        db.session.query(User).filter(User.email == admin).update({"is_admin": True})
        db.session.commit()
    log_in(page, admin)
    for path in ("/mes-propositions", "/propositions/delais-de-reponse", "/admin/themes",
                 "/admin/themes/nouveau", "/propositions?q=banc&sort=supported"):
        page.goto(path)
        _check(page)
    page.locator("form.language button").click()
    assert page.locator("html").get_attribute("lang") == "en"
    for path in ("/propositions", "/propositions/nouvelle", "/notifications/preferences"):
        page.goto(path)
        _check(page)
