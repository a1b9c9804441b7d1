"""Every route of the fiches action, for each role, on a draft that is not theirs.

Routes come from the URL map, so a new route cannot be forgotten here.
"""

import pytest

from tests import factories

# Values for the parts of a route that are not the fiche: sub-objects that do not exist.
PLACEHOLDERS = {"part": "objectifs", "part_id": 999_999, "means_id": 999_999,
                "agreement_id": 999_999, "move": "soumettre"}


def _routes(app, sheet_id):
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("actions."):
            continue
        values = {name: PLACEHOLDERS.get(name, sheet_id) for name in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path, "sheet_id" in rule.arguments


@pytest.fixture
def draft(animator):
    """A draft written by Matisse's animator (Matisse is its lead actor)."""
    return factories.action_sheet(animator, status="draft")


@pytest.mark.parametrize("who", ["anonymous", "inhabitant", "other_animator"])
def test_a_draft_is_closed_to_those_who_do_not_write_it(app, client, login, request, draft,
                                                         who):
    if who != "anonymous":
        login(request.getfixturevalue(who))
    for method, path, on_the_sheet in _routes(app, draft.id):
        response = client.open(path, method=method, data={})
        assert response.status_code < 500, (method, path)
        if on_the_sheet:
            expected = {302} if who == "anonymous" else {403, 404}
            assert response.status_code in expected, (who, method, path,
                                                      response.status_code)
            if who == "anonymous":
                assert "/connexion" in response.location


def test_its_writer_reaches_every_route(app, client, login, animator, draft):
    login(animator)
    for method, path, on_the_sheet in _routes(app, draft.id):
        response = client.open(path, method=method, data={})
        assert response.status_code < 500, (method, path)
        if on_the_sheet and "999999" not in path and not path.endswith(".pdf"):
            assert response.status_code not in (401, 403, 404), (method, path)
