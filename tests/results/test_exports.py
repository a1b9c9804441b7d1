"""CSV exports of the dashboard's tables and the quarterly report, through HTTP."""

import csv
import io
from datetime import UTC, datetime

import pytest

from participation.core.pdf import pdf_available
from participation.extensions import db
from participation.results.exports import TABLES
from tests import factories
from tests.queries import queries_for
from tests.results.test_figures import quarter  # noqa: F401  (the shared data set)

Q4 = "kind=quarter&year=2026&quarter=4"


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_table_exports_with_a_header_row(client, login, director, quarter, name):  # noqa: F811
    login(director)
    response = client.get(f"/resultats/{name}.csv?{Q4}")
    rows = _csv(response)
    assert f"resultats-{name}-2026-T4.csv" in response.headers["Content-Disposition"]
    assert len(rows[0]) >= 3 and all(rows[0])
    assert all(len(row) == len(rows[0]) for row in rows)


def test_people_cells_below_five_read_less_than_five(client, login, director, quarter):  # noqa: F811
    login(director)
    rows = _csv(client.get(f"/resultats/participation_channels.csv?{Q4}"))
    assert rows[0] == ["Canal", "2026-10-01/2026-12-31", "2026-07-01/2026-09-30"]
    assert rows[1:] == [["en ligne", "6", "< 5"],
                        ["accompagné·e à un centre", "< 5", "< 5"],
                        ["bulletin papier à un centre", "< 5", "< 5"]] or len(rows) == 4
    cells = {row[0]: row[1] for row in rows[1:]}
    assert cells["en ligne"] == "6" and "< 5" in cells.values()
    people = _csv(client.get(f"/resultats/people.csv?{Q4}"))
    assert all(row[1] == "< 5" or int(row[1]) >= 5 for row in people[1:])


def test_dates_are_iso(client, login, director, quarter):  # noqa: F811
    login(director)
    rows = _csv(client.get(f"/resultats/consultations.csv?{Q4}"))
    assert rows[1][:3] == ["Le marché du quartier", "2026-10-13", "7"]
    months = _csv(client.get(f"/resultats/months.csv?{Q4}"))
    assert [row[0] for row in months[1:]] == [f"2026-{m:02d}" for m in range(7, 13)]


def test_an_unknown_table_is_404_and_a_wrong_period_400(client, login, director):
    login(director)
    assert client.get("/resultats/secrets.csv").status_code == 404
    response = client.get("/resultats/figures.csv?kind=quarter&year=1850&quarter=1")
    assert response.status_code == 400
    assert "Indiquez une année de 2020 à 2100." in response.text


def test_the_report_gathers_the_quarter(client, login, president, animator, quarter):  # noqa: F811
    from participation.actions import services as actions
    from participation.council import services as council
    from participation.council.models import COUNCIL, Decision

    sheet = factories.action_sheet(animator, title="Jardin partagé des Fontinettes")
    body = council.get_body(COUNCIL)
    meeting = council.plan_meeting(body, president, place="Espace Fort",
                                   starts_at=datetime(2026, 10, 15, 17, tzinfo=UTC))
    decision = Decision(body=body, meeting=meeting, year=2026, number=7,
                        title="Le jardin partagé est validé", text="Adopté.", votes_for=9,
                        validates_action_sheet_id=sheet.id,
                        published_at=datetime(2026, 10, 16, tzinfo=UTC))
    db.session.add(decision)
    db.session.flush()
    actions.validate_by_decision(decision, datetime(2026, 10, 15, 18, tzinfo=UTC))
    db.session.add(Decision(body=body, meeting=meeting, year=2026, number=8,
                            title="Pas encore publiée", text="…"))
    db.session.commit()

    login(president)
    page = client.get(f"/resultats/rapport?{Q4}").text
    assert "Rapport de participation, trimestre 4 de 2026" in page
    assert "Le marché du quartier" in page  # closed in the quarter
    assert "2026-007" in page and "Le jardin partagé est validé" in page
    assert "Pas encore publiée" not in page
    assert "Jardin partagé des Fontinettes" in page and "validée" in page
    assert 'href="/resultats/rapport.pdf?kind=quarter&amp;year=2026&amp;quarter=4"' in page \
        or not pdf_available()[0]
    # By default: the last complete quarter (the fixture's "now" is in the fourth).
    assert "trimestre" in client.get("/resultats/rapport").text


@pytest.mark.skipif(not pdf_available()[0], reason="WeasyPrint cannot load here")
def test_the_report_as_pdf(client, login, director, quarter):  # noqa: F811
    login(director)
    response = client.get(f"/resultats/rapport.pdf?{Q4}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "rapport-participation-2026-T4.pdf" in response.headers["Content-Disposition"]


def test_the_pages_run_the_same_queries_with_little_or_much_data(client, login, admin,
                                                                   animator, quarter):  # noqa: F811
    """Dashboard, exports and the report: as many queries with one more consultation, more
    voters, proposals, decisions and fiches action."""
    from participation.consultations import services as consultations
    from participation.council import services as council
    from participation.council.models import COUNCIL, Decision
    from tests.consultations.helpers import answers, make_consultation

    login(admin)
    urls = [f"/resultats?{Q4}", f"/resultats/people.csv?{Q4}", f"/resultats/figures.csv?{Q4}",
            f"/resultats/rapport?{Q4}"]
    body = council.get_body(COUNCIL)

    def decided(number, day):
        meeting = council.plan_meeting(body, admin, place="Matisse",
                                       starts_at=datetime(2026, 10, day, 17, tzinfo=UTC))
        db.session.add(Decision(body=body, meeting=meeting, year=2026, number=number,
                                title=f"Décision {number}", text="Adoptée.",
                                published_at=datetime(2026, 10, day, 20, tzinfo=UTC)))
        factories.action_sheet(animator, title=f"Fiche {number}")

    decided(1, 5)
    db.session.commit()
    few = [queries_for(client, url) for url in urls]
    for number in range(2, 6):
        decided(number, 5 + number)
    other = make_consultation(animator, datetime(2026, 11, 2, tzinfo=UTC), title="Un autre vote")
    for _ in range(8):
        person = factories.UserFactory(created_at=datetime(2026, 10, 1, tzinfo=UTC))
        consultations.cast_ballot(other, person, answers(other),
                                  datetime(2026, 11, 4, tzinfo=UTC))
        factories.proposal(person, title=f"Idée de {person.pseudonym}")
    db.session.commit()
    many = [queries_for(client, url) for url in urls]
    assert few == many
    assert max(many) <= 12, many  # issue 9
