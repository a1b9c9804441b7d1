"""The header and footer kept rendered (participation/core/layout.py): the same page as
rendered every time, each person their own menu and token, the address escaped."""

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from participation.territory.models import Centre
from tests import factories
from tests.conftest import FreshContextClient


def header(text):
    return text[text.index("<header"):text.index("</header>")]


def test_the_current_section_is_marked(client):
    page = header(client.get("/propositions").text)
    assert re.search(r'href="/propositions" aria-current="page"', page)
    assert 'href="/consultations" aria-current' not in page
    assert re.search(r'class="brand" href="/" aria-current="page"', header(client.get("/").text))


def test_each_person_gets_their_own_menu_and_token(app, session, inhabitant, animator):
    pages = {}
    for person in (inhabitant, animator, inhabitant):
        client = FreshContextClient(app, app.response_class, use_cookies=True)
        with client.session_transaction() as flask_session:
            factories.sign_in(flask_session, person)
            flask_session["csrf_token"] = f"raw-token-of-{person.id}"
        pages.setdefault(person.id, []).append(header(client.get("/propositions").text))
    assert "/moderation" in pages[animator.id][0]
    assert "/moderation" not in pages[inhabitant.id][0]
    tokens = {pid: re.findall(r'name="csrf_token" value="([^"]+)"', texts[0])
              for pid, texts in pages.items()}
    # The language switch and the logout form carry the person's own token.
    assert all(len(found) == 2 and found[0] == found[1] for found in tokens.values())
    assert tokens[inhabitant.id] != tokens[animator.id]
    assert "\x00" not in "".join(sum(pages.values(), []))


def test_a_visitor_header_has_no_token_and_the_address_is_escaped(client):
    page = client.get("/propositions/%22%3E%3Cb%3Eoups")  # a 404 page, with the header
    assert page.status_code == 404
    assert "<b>oups" not in page.text and "&#34;&gt;&lt;b&gt;oups" in page.text
    assert 'name="csrf_token"' not in header(page.text)


def test_the_header_and_footer_follow_the_language(client):
    client.post("/langue", data={"language": "en"})
    page = client.get("/propositions").text
    assert ">Proposals<" in header(page) and "Privacy" in page[page.index("<footer"):]
    client.post("/langue", data={"language": "fr"})
    page = client.get("/propositions").text
    assert ">Propositions<" in header(page) and "Confidentialité" in page[page.index("<footer"):]


@pytest.fixture
def fresh_layout(app):
    """No page kept by an earlier test (the app lives for the whole run)."""
    app.extensions["layout"].fragments.clear()


def staff_client(app, person):
    client = FreshContextClient(app, app.response_class, use_cookies=True)
    with client.session_transaction() as flask_session:
        factories.sign_in(flask_session, person)
    return client


def test_a_shared_page_is_kept_per_menu_with_each_reader_token(app, session, director,
                                                               fresh_layout, monkeypatch):
    """The dashboard is the same for every member of staff with the same menu: rendered
    once, then served with each reader's own token."""
    from participation.core import layout
    from participation.results import queries, views

    monkeypatch.setitem(app.config, "DASHBOARD_CACHE_SECONDS", 60)
    # A count due at a minute's turn is not run: its thread would share the test's
    # database connection.
    monkeypatch.setattr("participation.results.views.threading.Thread",
                        lambda **kwargs: SimpleNamespace(start=lambda: None))
    # Figures and bodies of this test only (they are kept per process).
    monkeypatch.setattr(queries, "_cache", {})
    monkeypatch.setattr(views, "_bodies", {})
    rendered = []
    real = layout.render_template
    monkeypatch.setattr(layout, "render_template",
                        lambda *a, **k: rendered.append(a[0]) or real(*a, **k))
    url = "/resultats?kind=quarter&year=2026&quarter=1"
    other = factories.staff("director", session.scalar(sa.select(Centre).where(
        Centre.short_name == "Matisse")), pseudonym="Dir Matisse")
    pages = []
    for person in (director, other, director):
        client = staff_client(app, person)
        with client.session_transaction() as flask_session:
            flask_session["csrf_token"] = f"raw-token-of-{person.id}"
        pages.append(client.get(url).text)
    assert rendered == ["results/dashboard.html"]  # once, for the three
    tokens = [re.findall(r'name="csrf_token" value="([^"]+)"', page) for page in pages]
    assert all(len(found) == 2 and found[0] == found[1] for found in tokens)
    assert tokens[0] != tokens[1]
    assert 'value="/resultats?kind=quarter&amp;year=2026&amp;quarter=1"' in pages[1]
    assert "\x00" not in "".join(pages)
    # Another menu (an unread notification), another page.
    from participation.notifications.services import notify

    notify([director], "my_proposals", "proposal.published", "/", title="Un banc")
    session.commit()
    page = staff_client(app, director).get(url).text
    assert 'class="count">1<' in page and len(rendered) == 2


def test_a_message_to_show_is_never_in_a_shared_page(app, session, president):
    client = staff_client(app, president)
    client.get("/resultats")
    with client.session_transaction() as flask_session:
        flask_session["_flashes"] = [("info", "Rapport envoyé au Conseil.")]
    assert "Rapport envoyé au Conseil." in client.get("/resultats").text
    assert "Rapport envoyé au Conseil." not in client.get("/resultats").text


def test_a_page_that_made_a_form_token_is_not_kept(app, session, president, fresh_layout,
                                                   monkeypatch):
    from flask_wtf.csrf import generate_csrf

    from participation.core import layout

    rendered = []
    real = layout.render_template

    def with_a_form(*args, **kwargs):
        rendered.append(1)
        return real(*args, **kwargs) + f"<input value='{generate_csrf()}'>"

    monkeypatch.setattr(layout, "render_template", with_a_form)
    client = staff_client(app, president)
    client.get("/resultats")
    client.get("/resultats")
    assert len(rendered) == 2


def test_a_session_token_signed_once_stays_valid_for_its_session_only(app, session, inhabitant,
                                                                      animator):
    from flask import session as flask_session
    from flask_wtf.csrf import validate_csrf
    from wtforms.validators import ValidationError

    tokens = {}
    for person in (inhabitant, animator):
        client = staff_client(app, person)
        with client.session_transaction() as kept:
            kept["csrf_token"] = f"secret-of-{person.id}"
        pages = [client.get(path).text for path in ("/propositions", "/consultations")]
        found = {t for page in pages for t in re.findall(r'name="csrf_token" value="([^"]+)"',
                                                         page)}
        assert len(found) == 1  # signed once for the session, served on its next pages
        tokens[person.id] = found.pop()
    with app.test_request_context("/"):
        flask_session["csrf_token"] = f"secret-of-{inhabitant.id}"
        validate_csrf(tokens[inhabitant.id])  # raises if not valid
        with pytest.raises(ValidationError):
            validate_csrf(tokens[animator.id])
