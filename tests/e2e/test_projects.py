"""Shared projects in a real browser, on a phone: an animator publishes a project with two
places, three inhabitants join (the third waits), one leaves, the third is promoted."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from participation.core.models import utcnow
from tests.e2e.conftest import assert_accessible, assert_fits_the_phone
from tests.e2e.helpers import log_in, log_out, make_person

PARIS = ZoneInfo("Europe/Paris")


def _check(page):
    assert_accessible(page)
    assert_fits_the_phone(page)


def _local(moment):
    return moment.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def _join(page, project_url, expect):
    page.goto(project_url)
    _check(page)
    page.locator(f"a[href='{project_url}/inscription']").click()
    _check(page)
    page.fill("#companions", "0")
    page.fill("#message", "Avec plaisir")
    page.locator("main form button[type=submit]").click()
    assert page.locator(f".flash-{expect}").is_visible()
    _check(page)


def test_a_project_fills_up_and_the_waiting_list_moves(site, live_app):
    page = site
    animator = make_person(live_app, "Animateur projets", role="animator")
    first, second, third = (make_person(live_app, f"Habitante {n}") for n in "ABC")
    now = utcnow()

    # The animator writes the project and publishes it.
    log_in(page, animator)
    page.goto("/projets")
    _check(page)
    page.locator("a[href='/projets/gestion']").click()
    _check(page)
    page.locator("a[href='/projets/nouveau']").click()
    _check(page)
    page.fill("#title", "Voyage des jeunes en Angleterre")
    page.fill("#description", "Une semaine à Douvres, en ferry.")
    page.fill("#place", "Douvres")
    page.fill("#starts_at", _local(now + timedelta(days=60)))
    page.fill("#ends_at", _local(now + timedelta(days=66)))
    page.fill("#registration_opens_at", _local(now - timedelta(hours=1)))
    page.fill("#registration_closes_at", _local(now + timedelta(days=30)))
    page.fill("#capacity", "2")
    page.fill("#contact", "L’accueil de Matisse")
    page.locator("main form button[type=submit]").click()
    assert re.search(r"/projets/\d+$", page.url), page.url
    project_url = page.url.replace(live_app.config["SITE_URL"], "")
    _check(page)
    page.locator(f"form[action='{project_url}/publier'] button").click()
    assert page.locator(".flash-success").is_visible()
    _check(page)
    log_out(page)

    # Three inhabitants join: two places, the third waits.
    for person, expect in ((first, "success"), (second, "success"), (third, "info")):
        log_in(page, person)
        _join(page, project_url, expect)
        log_out(page)

    # The first leaves from "Mes projets".
    log_in(page, first)
    page.goto("/mes-projets")
    _check(page)
    page.locator(f"a[href='{project_url}']").click()
    page.locator(f"form[action='{project_url}/desinscription'] button").click()
    assert page.locator(".flash-success").is_visible()
    log_out(page)

    # The third was promoted, and reads it in the notifications.
    log_in(page, third)
    page.goto("/notifications")
    _check(page)
    notice = page.locator("main a", has_text="Une place s’est libérée pour vous")
    assert notice.count() == 1
    notice.click()
    assert page.url.endswith(project_url)
    assert page.locator("#my-place + p.answer", has_text="Vous êtes inscrit·e").count() == 1
    _check(page)
    log_out(page)

    # The animator sees the list; the CSV downloads.
    log_in(page, animator)
    page.goto(f"{project_url}/participants")
    _check(page)
    assert page.locator("main table tbody tr").count() == 2
    with page.expect_download() as download:
        page.locator(f"a[href='{project_url}/participants.csv']").click()
    assert download.value.suggested_filename.endswith(".csv")
    page.goto("/projets/agenda")
    _check(page)


def test_every_other_project_page_is_accessible_on_a_phone(site, live_app):
    """The organisers' tools and the inhabitant's offer of help, each scanned by axe-core."""
    import sqlalchemy as sa

    from participation.accounts.models import User
    from participation.extensions import db
    from participation.projects import services
    from tests.projects.helpers import make_project

    page = site
    animator = make_person(live_app, "Animatrice outils", role="animator")
    helper = make_person(live_app, "Habitant aidant")
    now = utcnow()
    with live_app.app_context():
        staff = db.session.scalar(sa.select(User).where(User.email == animator))
        person = db.session.scalar(sa.select(User).where(User.email == helper))
        project = make_project(staff, now - timedelta(days=2), capacity=1,
                               title="Journées de prévention santé")
        services.join(project, person, now, message="Je viens avec mes enfants")
        session = services.add_session(project, starts_at=now + timedelta(days=30),
                                       ends_at=now + timedelta(days=30, hours=2), place="")
        db.session.commit()
        base, session_id = f"/projets/{project.id}", session.id

    log_in(page, helper)
    page.goto(f"{base}/aider")
    _check(page)
    page.check("input[name=kind][value=skill]")
    page.fill("#text", "Je parle anglais")
    page.locator("main form button[type=submit]").click()
    assert page.locator(".flash-success").is_visible()
    log_out(page)

    log_in(page, animator)
    for suffix in ("/modifier", "/seances", f"/seances/{session_id}/presences", "/message",
                   "/actualites/nouvelle", "/inscrire", "/inscrire?q=Habitant", "/aides",
                   "/annuler"):
        page.goto(base + suffix)
        _check(page)
    page.locator("main form button[type=submit]").first.click()  # send the empty form
    assert page.locator(".form-errors").is_visible()
    _check(page)
    page.goto(f"{base}/aides")
    page.locator(f"form[action^='{base}/aides/'] button").click()
    assert page.locator(".flash-success").is_visible()
    _check(page)
