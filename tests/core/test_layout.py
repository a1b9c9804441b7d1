"""The header and footer kept rendered (participation/core/layout.py): the same page as
rendered every time, each person their own menu and token, the address escaped."""

import re

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
