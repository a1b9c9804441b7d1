"""Every route of the site, for every role, GET and POST, on objects that are not theirs.

Routes come from ``app.url_map``: a route without an expectation below fails the test,
so a new page cannot be forgotten.
"""

import hashlib

import pytest
import sqlalchemy as sa

from participation.accounts import services as accounts_services
from participation.extensions import db, limiter
from tests.factories import PASSWORD_HASH
from tests.security.world import ROLES, build_world

# Who may use a route (the others are refused: anonymous people are sent to the login
# page, logged-in people get a 403 or a 404).
EVERYONE = frozenset(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
NOBODY = frozenset()  # the object is a stranger's: nobody of the cast may see or change it
ADMIN = frozenset({"admin"})
# Animators and directors of any centre, and admins: the front desk (accounts.assist).
DESK = frozenset({"other_animator", "animator", "director", "admin"})
# Paper and assisted ballots are entered by the staff of any centre, at their desk.
BALLOT_DESK = DESK - {"admin"}
STAFF = DESK | {"president"}  # who writes fiches action and organises consultations
ALL_STAFF = STAFF | {"federal_delegate"}
# This year's runners of the Conseil (a director and a president) and admins.
RUNNERS = frozenset({"director", "president", "admin"})
COUNCIL = RUNNERS | {"federal_delegate"}  # members of the Conseil, and admins
# Matisse follows every object of the world (proposals, consultations, project, fiche).
MATISSE = frozenset({"animator", "admin"})
# People living in the consultation's communes (the federation and admin accounts have no
# commune).
VOTERS = LOGGED_IN - {"federal_delegate", "admin"}
BAD_LINK = "bad link"  # a link with a forged token: everyone is sent back with a message

# Which object each part of a route points to (by argument name), unless ARGS says
# otherwise for that endpoint.
DEFAULT_ARGS = {
    "proposal_id": "published", "comment_id": "comment", "notification_id": "notification",
    "user_id": "assisted", "role_id": "role", "consultation_id": "open_consultation",
    "question_id": "question", "meeting_id": "next_meeting", "item_id": "item",
    "decision_id": "decision", "mandate_id": "mandate", "project_id": "project",
    "session_id": "session", "offer_id": "offer", "sheet_id": "sheet",
    "part_id": "objective", "means_id": None, "agreement_id": None, "theme_id": 1,
    "commune_id": 1, "organisation_id": 1,
}
FIXED = {"slug": "presidents", "part": "objectifs", "move": "soumettre", "token": "x.y.z",
         "name": "absent.jpg", "filename": "css/site.css"}
# Fixed parts of a route that differ for one endpoint (or variant label).
FIXED_FOR = {
    "results.export": {"name": "centres"},  # a table of the dashboard
    "results.export [no such table]": {"name": "absent"},
}
ARGS = {
    "proposals.detail": {"proposal_id": "draft"},
    "proposals.edit": {"proposal_id": "draft"},
    "proposals.submit": {"proposal_id": "draft"},
    "proposals.withdraw": {"proposal_id": "submitted"},
    "moderation.decide": {"proposal_id": "submitted"},
    "consultations.edit": {"consultation_id": "draft_consultation"},
    "consultations.add_question": {"consultation_id": "draft_consultation"},
    "consultations.edit_question": {"consultation_id": "draft_consultation"},
    "consultations.delete_question": {"consultation_id": "draft_consultation"},
    "consultations.schedule": {"consultation_id": "draft_consultation"},
    "consultations.ballots": {"consultation_id": "closed_consultation"},
    "consultations.ballots_csv": {"consultation_id": "closed_consultation"},
    "consultations.results": {"consultation_id": "open_consultation"},
    "consultations.results_csv": {"consultation_id": "open_consultation"},
    "consultations.publish": {"consultation_id": "closed_consultation"},
    "council.print_minutes": {"meeting_id": "members_meeting"},
    "council.minutes_pdf": {"meeting_id": "members_meeting"},
    "council.edit_minutes": {"meeting_id": "members_meeting"},
    "api.consultation_ballots": {"consultation_id": "open_consultation"},
    "api.consultation_trackers": {"consultation_id": "open_consultation"},
}


EXPECTED = {
    "accounts.account": LOGGED_IN,
    "accounts.change_email": LOGGED_IN,
    "accounts.change_password": LOGGED_IN,
    "accounts.check_email": EVERYONE,
    "accounts.confirm_email": BAD_LINK,
    "accounts.create_assisted": DESK,
    "accounts.delete_account": LOGGED_IN,
    "accounts.download_data": LOGGED_IN,
    "accounts.forgot_password": EVERYONE,
    "accounts.front_desk": DESK,
    "accounts.login": EVERYONE,
    # The code step: for whoever has just typed the right password of an account with
    # two-step verification (tests/accounts); anyone else is sent to the login page, or home
    # when already logged in.
    "accounts.login_code": LOGGED_IN,
    "accounts.logout": EVERYONE,
    "accounts.my_data": LOGGED_IN,
    "accounts.new_code": DESK,
    "accounts.profile": LOGGED_IN,
    "accounts.redeem_code": EVERYONE,
    "accounts.register": EVERYONE,
    "accounts.recovery_codes": LOGGED_IN,  # without two-step verification: a message
    "accounts.reset_password": BAD_LINK,
    "accounts.revoke": ADMIN,
    "accounts.roles": ADMIN,
    # Two-step verification: required for admins, offered to staff; nothing stops an
    # inhabitant from protecting their own account too.
    "accounts.security_settings": LOGGED_IN,
    "accounts.two_factor_disable": LOGGED_IN,  # asks the password and a code in its form
    "accounts.two_factor_setup": LOGGED_IN,
    "accounts.verify": DESK,
    "actions.abandon": MATISSE,
    "actions.add_agreement": MATISSE,
    "actions.add_part": MATISSE,
    "actions.agreement_file": NOBODY,  # no such agreement
    "actions.complete": MATISSE,
    "actions.detail": COUNCIL | {"animator"},  # a draft: its writers and the Conseil
    "actions.edit": MATISSE,
    "actions.index": EVERYONE,
    "actions.means_status": NOBODY,  # no such means
    "actions.move": MATISSE,
    "actions.new": STAFF,
    "actions.pdf": COUNCIL | {"animator"},
    "actions.print_sheet": COUNCIL | {"animator"},
    "actions.remove_part": MATISSE,
    "actions.requested_means": ALL_STAFF,
    "api.action_sheet": NOBODY,  # a draft is not open data
    "api.action_sheets": EVERYONE,
    "api.consultation": EVERYONE,
    "api.consultation_ballots": NOBODY,  # still open: no ballot is published
    "api.consultation_trackers": NOBODY,
    "api.consultations": EVERYONE,
    "api.decisions": EVERYONE,
    "api.index": EVERYONE,
    "api.openapi": EVERYONE,
    "api.project": EVERYONE,
    "api.projects": EVERYONE,
    "api.proposal": EVERYONE,
    "api.proposals": EVERYONE,
    "consultations.add_question": MATISSE,
    "consultations.ballots": EVERYONE,  # closed: the anonymous ballots are public
    "consultations.ballots_csv": EVERYONE,
    "consultations.canonical": EVERYONE,
    "consultations.check_receipt": EVERYONE,
    "consultations.confirm": VOTERS,
    "consultations.create": STAFF,
    "consultations.delete_question": MATISSE,
    "consultations.desk": BALLOT_DESK,
    "consultations.desk_ballot": BALLOT_DESK,
    "consultations.desk_confirm": BALLOT_DESK,
    "consultations.detail": EVERYONE,
    "consultations.edit": MATISSE,
    "consultations.edit_question": MATISSE,
    "consultations.index": EVERYONE,
    "consultations.manage": STAFF,
    "consultations.paper": EVERYONE,
    "consultations.paper_pdf": EVERYONE,
    "consultations.print_paper": EVERYONE,
    "consultations.publish": MATISSE,
    "consultations.results": EVERYONE,  # says when results come; none before the close
    "consultations.results_csv": NOBODY,  # still open
    "consultations.schedule": MATISSE,
    "consultations.vote": VOTERS,
    "core.accessibility": EVERYONE,
    "core.admin_index": ADMIN,
    "core.audit_log": ADMIN,
    "core.home": EVERYONE,
    "core.legal": EVERYONE,
    "core.outbox": ADMIN,
    "core.privacy": EVERYONE,
    "core.set_language": EVERYONE,
    "council.add_guest": RUNNERS,
    "council.add_item": RUNNERS,
    "council.answer": NOBODY,  # not convened yet
    "council.approve_previous": RUNNERS,
    "council.attendance": RUNNERS,
    "council.body": EVERYONE,
    "council.cancel_meeting": RUNNERS,
    "council.convene": RUNNERS,
    "council.convocation_pdf": COUNCIL,  # a meeting being prepared: its members only
    "council.decision": EVERYONE,
    "council.designations": {"GET": EVERYONE, "POST": RUNNERS},
    "council.edit_meeting": RUNNERS,
    "council.edit_minutes": RUNNERS,
    "council.end_mandate": RUNNERS,
    "council.index": EVERYONE,
    "council.meeting": COUNCIL,
    "council.members": EVERYONE,
    "council.minutes_pdf": COUNCIL,  # members-only minutes
    "council.new_decision": RUNNERS,
    "council.new_meeting": frozenset({"president", "admin"}),  # the presidents' collective
    "council.new_representative": RUNNERS,
    "council.print_convocation": COUNCIL,
    "council.print_minutes": COUNCIL,
    "council.print_register": EVERYONE,
    "council.publish_decisions": RUNNERS,
    "council.publish_minutes": RUNNERS,
    "council.register": EVERYONE,
    "council.register_pdf": EVERYONE,
    "council.remove_item": RUNNERS,
    "moderation.decide": MATISSE,
    "moderation.decide_reports": MATISSE,
    "moderation.queue": DESK,
    "notifications.index": LOGGED_IN,
    "notifications.mark_all_read": LOGGED_IN,
    "notifications.open_one": NOBODY,  # the stranger's notification
    "notifications.preferences": LOGGED_IN,
    "projects.accept_offer": MATISSE,
    "projects.agenda": EVERYONE,
    "projects.attendance": MATISSE,
    "projects.cancel": MATISSE,
    "projects.delete_session": MATISSE,
    "projects.detail": EVERYONE,
    "projects.edit": MATISSE,
    "projects.help_offers": MATISSE,
    "projects.index": EVERYONE,
    "projects.join": LOGGED_IN,
    "projects.leave": LOGGED_IN,
    "projects.manage": DESK,
    "projects.message": MATISSE,
    "projects.mine": LOGGED_IN,
    "projects.new": DESK,
    "projects.new_news": MATISSE,
    "projects.offer_help": LOGGED_IN,
    "projects.participants": MATISSE,
    "projects.participants_csv": MATISSE,
    "projects.project_ics": EVERYONE,
    "projects.publish": MATISSE,
    "projects.register_person": MATISSE,
    "projects.register_someone": MATISSE,
    "projects.session_ics": EVERYONE,
    "projects.sessions": MATISSE,
    "proposals.answer": MATISSE,
    "proposals.answer_times": EVERYONE,
    "proposals.comment": LOGGED_IN,
    "proposals.comment_link": EVERYONE,  # a comment of a published proposal: to its page
    "proposals.delete_comment": NOBODY,  # the stranger's comment
    "proposals.detail": NOBODY,  # the stranger's draft
    "proposals.edit": NOBODY,
    "proposals.edit_comment": NOBODY,
    "proposals.edit_theme": ADMIN,
    "proposals.index": EVERYONE,
    "proposals.media": NOBODY,  # no such file
    "proposals.mine": LOGGED_IN,
    "proposals.new": LOGGED_IN,
    "proposals.new_for": DESK,
    "proposals.report": LOGGED_IN,
    "proposals.submit": NOBODY,
    "proposals.support": LOGGED_IN,
    "proposals.themes": ADMIN,
    "proposals.thread": EVERYONE,  # the replies of a comment of a published proposal
    "proposals.withdraw": NOBODY,  # only its author withdraws it
    # results.view: admins, directors and presidents, the federation (and representatives
    # sitting in the Conseil).
    "results.dashboard": COUNCIL,
    "results.export": COUNCIL,
    "results.report_pdf": COUNCIL,
    "results.report_view": COUNCIL,
    "static": EVERYONE,
    "territory.admin": ADMIN,
    "territory.centres": EVERYONE,
    "territory.edit_commune": ADMIN,
    "territory.edit_organisation": ADMIN,
    # Variants (see VARIANTS).
    "proposals.detail [submitted]": MATISSE,  # waiting for moderation: its moderators
    "api.proposal [draft]": NOBODY,
    "api.proposal [submitted]": NOBODY,
    "consultations.detail [draft]": MATISSE,
    "consultations.results [draft]": MATISSE,
    "consultations.ballots [open]": EVERYONE,  # a page that says when they will be shown
    "consultations.ballots_csv [open]": NOBODY,
    "api.consultation [draft]": NOBODY,
    "projects.detail [draft]": MATISSE,
    "projects.participants [draft]": MATISSE,
    "projects.project_ics [draft]": MATISSE,
    "api.project [draft]": NOBODY,
    "council.decision [draft]": RUNNERS,
    "council.meeting [held]": EVERYONE,
    "actions.detail [submitted]": COUNCIL | {"animator"},
    "api.action_sheet [submitted]": NOBODY,
    "results.export [no such table]": NOBODY,
}


# Second looks at routes where another object tells something more: label -> (endpoint,
# which objects). Their expectations sit in EXPECTED under the label.
VARIANTS = {
    "proposals.detail [submitted]": ("proposals.detail", {"proposal_id": "submitted"}),
    "api.proposal [draft]": ("api.proposal", {"proposal_id": "draft"}),
    "api.proposal [submitted]": ("api.proposal", {"proposal_id": "submitted"}),
    "consultations.detail [draft]": ("consultations.detail",
                                     {"consultation_id": "draft_consultation"}),
    "consultations.results [draft]": ("consultations.results",
                                      {"consultation_id": "draft_consultation"}),
    "consultations.ballots [open]": ("consultations.ballots",
                                     {"consultation_id": "open_consultation"}),
    "consultations.ballots_csv [open]": ("consultations.ballots_csv",
                                         {"consultation_id": "open_consultation"}),
    "api.consultation [draft]": ("api.consultation", {"consultation_id": "draft_consultation"}),
    "projects.detail [draft]": ("projects.detail", {"project_id": "draft_project"}),
    "projects.participants [draft]": ("projects.participants", {"project_id": "draft_project"}),
    "projects.project_ics [draft]": ("projects.project_ics", {"project_id": "draft_project"}),
    "api.project [draft]": ("api.project", {"project_id": "draft_project"}),
    "council.decision [draft]": ("council.decision", {"decision_id": "draft_decision"}),
    "council.meeting [held]": ("council.meeting", {"meeting_id": "members_meeting"}),
    "actions.detail [submitted]": ("actions.detail", {"sheet_id": "submitted_sheet"}),
    "api.action_sheet [submitted]": ("api.action_sheet", {"sheet_id": "submitted_sheet"}),
    "results.export [no such table]": ("results.export", {}),  # see FIXED_FOR
}


def routes(app, world, ghost=False, variants=False):
    """(expectation key, rule, method, path) for every route of the URL map, and the
    variants when asked."""
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
    todo = [(rule.endpoint, rule, ARGS.get(rule.endpoint, {})) for rule in rules]
    if variants:
        by_endpoint = {rule.endpoint: rule for rule in rules}
        todo += [(label, by_endpoint[endpoint], args)
                 for label, (endpoint, args) in VARIANTS.items()]
    for key, rule, overrides in todo:
        args = {**DEFAULT_ARGS, **overrides}
        fixed = {**FIXED, **FIXED_FOR.get(key, {})}
        values = dict(rule.defaults or {})
        for name in rule.arguments - values.keys():
            if name in fixed:
                values[name] = fixed[name]
            else:
                key_ = args[name]
                values[name] = (999_999 if ghost or key_ is None
                                else world.ids[key_] if isinstance(key_, str)
                                else key_)
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield key, rule, method, path


def outcome(response):
    if response.status_code in (301, 302, 303) and "/connexion" in response.location:
        return "login"
    return response.status_code




def expected(key, rule, method):
    try:
        expectation = EXPECTED[key]
    except KeyError:
        raise AssertionError(f"{key} ({rule.rule}) has no expectation in "
                             "tests/security/test_access_matrix.py: say who may use it") from None
    return expectation[method] if isinstance(expectation, dict) else expectation


def fingerprint() -> str:
    """A digest of every row of every table."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table).order_by(*table.primary_key.columns)):
            digest.update(repr(tuple(row)).encode())
    db.session.rollback()  # a fresh snapshot next time
    return digest.hexdigest()


def test_every_route_has_an_expectation(app):
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            expected(rule.endpoint, rule, method)


@pytest.fixture
def world(session, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)
    # scrypt is slow on purpose: the demo's forty accounts share one precomputed hash here.
    monkeypatch.setattr(accounts_services, "generate_password_hash",
                        lambda password: PASSWORD_HASH)
    return build_world()


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, client, login, world, role):
    """GET and POST (an empty form) on every route: refused routes answer 302 to the login
    page (anonymous) or 403/404, and change nothing; allowed ones never refuse."""
    if world.people[role] is not None:
        login(world.people[role])
    calls = [(rule, method, path, role in expected(key, rule, method))
             for key, rule, method, path in routes(app, world, variants=True)
             if expected(key, rule, method) != BAD_LINK
             or not _check_bad_link(client, path, method)]
    # Refused first, between two snapshots of the database; then the allowed ones, which
    # may change things; logging out last.
    calls.sort(key=lambda call: (call[3], call[0].endpoint == "accounts.logout"))
    refused = [call for call in calls if not call[3]]
    problems = []
    before = fingerprint()
    for _rule, method, path, allowed in calls:
        if allowed and refused:  # the first allowed call: the refused ones are done
            refused = None
            if fingerprint() != before:
                problems.append(_which_refusal_wrote(client, calls))
        response = client.open(path, method=method, data={})
        got = outcome(response)
        if response.status_code >= 500:
            problems.append(f"{method} {path}: {response.status_code}")
        elif allowed and got in ("login", 401, 403, 404):
            problems.append(f"{method} {path}: {role} refused ({got})")
        elif not allowed:
            wanted = ("login", 404) if role == "anonymous" else (403, 404)
            if got not in wanted:
                problems.append(f"{method} {path}: {role} got {got}, expected {wanted}")
    assert not problems, "\n".join(problems)


def _check_bad_link(client, path, method):
    """A forged token: a redirect with a message, never a 500 (checked here, then
    skipped)."""
    response = client.open(path, method=method, data={})
    assert response.status_code == 302, (method, path, response.status_code)
    return True


def _which_refusal_wrote(client, calls):
    """Replay the refused calls one at a time, to name those that changed the database."""
    culprits = []
    for _rule, method, path, allowed in calls:
        if allowed:
            continue
        before = fingerprint()
        client.open(path, method=method, data={})
        if fingerprint() != before:
            culprits.append(f"{method} {path}")
    return f"refused, yet the database changed: {culprits or 'not reproduced one by one'}"


def test_ids_that_do_not_exist_answer_404(app, client, login, world):
    """Ids guessed past the last ones: 404 for the most powerful account, never a 500."""
    login(world.people["admin"])
    for _key, rule, method, path in routes(app, world, ghost=True):
        ids = set(rule.arguments) - set(rule.defaults or {})
        if not ids & set(DEFAULT_ARGS) or rule.endpoint == "accounts.logout":
            continue
        response = client.open(path, method=method, data={})
        assert response.status_code == 404, (method, path, response.status_code)


def test_a_centre_moderates_only_what_it_follows(client, login, world):
    login(world.people["other_animator"])
    assert "En attente de modération" not in client.get("/moderation").text
    login(world.people["animator"])
    assert "En attente de modération" in client.get("/moderation").text


def test_the_data_export_holds_only_its_owner(client, login, world):
    login(world.people["inhabitant"])
    export = client.get("/compte/mes-donnees.json").text
    assert "nouvelle@example.org" in export
    for foreign in ("amina@example.org", "Mon commentaire.", "Un brouillon privé"):
        assert foreign not in export
