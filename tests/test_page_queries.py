"""The pages that benchmarks/pages.py measures run at most 12 SQL statements each,
and as many with more data (the demo, then the demo plus a small territory)."""

import re

import sqlalchemy as sa

from participation.accounts.models import User
from participation.consultations.models import Consultation
from participation.demo import load_demo
from participation.extensions import db
from participation.proposals.models import PUBLIC_STATUSES, Proposal
from participation.scale import load_scale
from tests.queries import queries_for

MAX_QUERIES = 12


def _pages():
    busiest = db.session.scalar(sa.select(Proposal.id).where(Proposal.status.in_(
        PUBLIC_STATUSES)).order_by(Proposal.support_count.desc(), Proposal.id).limit(1))
    published = db.session.scalar(sa.select(Consultation.id).where(
        Consultation.results.is_not(None)).order_by(Consultation.id).limit(1))
    theme = db.session.scalar(sa.select(Proposal.theme_id).where(Proposal.id == busiest))
    return {
        "home": "/",
        "proposals": "/propositions",
        "proposals filtered, second page": f"/propositions?theme={theme}&sort=supported&page=2",
        "proposal": f"/propositions/{busiest}",
        "consultation results": f"/consultations/{published}/resultats",
        "decisions register": "/conseil/decisions",
        "dashboard": "/resultats",
        "quarterly report": "/resultats/rapport",
        "dashboard CSV": "/resultats/figures.csv",
        "home, logged in": "/",
    }


def _counts(client, login):
    president = db.session.scalar(sa.select(User).where(User.email == "president@example.org"))
    counts = {}
    for name, url in _pages().items():
        if name.startswith(("dashboard", "quarterly", "home, logged")):
            login(president)
        else:
            client.delete_cookie("session")  # anonymous, as the benchmark's wrk
        counts[name] = queries_for(client, url)
    return counts


def test_benchmarked_pages_run_at_most_12_queries_whatever_the_data(session, now, client,
                                                                      login):
    load_demo(now)
    db.session.commit()
    with_demo = _counts(client, login)
    assert all(count <= MAX_QUERIES for count in with_demo.values()), str(with_demo)
    load_scale(now, factor=0.001, echo=lambda line: None, consultations=3)
    db.session.commit()
    with_more = _counts(client, login)
    assert with_more == with_demo


def test_static_files_are_versioned_and_kept_a_year(client, session):
    page = client.get("/propositions").get_data(as_text=True)
    [address] = re.findall(r'href="(/static/css/site\.css\?v=[0-9a-f]{12})"', page)
    response = client.get(address)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    # Without the version (an old page, a typed address) it is checked each time.
    assert "max-age=31536000" not in client.get("/static/css/site.css").headers.get(
        "Cache-Control", "")
