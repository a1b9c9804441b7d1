"""Reference data: public list, and editing by administrators only."""

import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.extensions import db
from participation.territory.models import Commune, Organisation, Partner


def test_public_list_shows_centres_federation_and_partners(client):
    page = client.get("/centres").text
    assert "Centre Social Matisse" in page and "Arques" in page and "CAF" in page


def test_only_admins_edit_the_territory(client, login, animator, admin):
    assert client.get("/admin/territoire").status_code == 302
    login(animator)
    assert client.get("/admin/territoire").status_code == 403
    login(admin)
    assert client.get("/admin/territoire").status_code == 200


def test_admin_enters_a_population(client, login, admin):
    login(admin)
    calais = db.session.scalar(sa.select(Commune).where(Commune.name == "Calais"))
    response = client.post(f"/admin/territoire/commune/{calais.id}", data={
        "name": "Calais", "postal_code": "62100", "population": "67000"})
    assert response.status_code == 302
    db.session.refresh(calais)
    assert calais.population == 67000
    assert db.session.scalar(sa.select(AuditEntry.action).order_by(AuditEntry.id.desc())) \
        == "territory.commune_changed"


def test_bad_postal_code_is_explained_and_kept(client, login, admin):
    login(admin)
    calais = db.session.scalar(sa.select(Commune).where(Commune.name == "Calais"))
    response = client.post(f"/admin/territoire/commune/{calais.id}", data={
        "name": "Calais", "postal_code": "62A00", "population": "-5"})
    assert response.status_code == 200
    assert 'value="62A00"' in response.text and response.text.count('aria-invalid="true"') == 2


def test_admin_adds_and_edits_a_partner(client, login, admin):
    login(admin)
    response = client.post("/admin/territoire/organisation/nouvelle", data={
        "kind": "partner", "name": "Ville de Calais", "short_name": "Calais (ville)",
        "commune": "", "town": "", "email": "contact@example.org"})
    assert response.status_code == 302
    partner = db.session.scalar(sa.select(Partner).where(Partner.name == "Ville de Calais"))
    assert partner.email == "contact@example.org"
    response = client.post(f"/admin/territoire/organisation/{partner.id}", data={
        "kind": "centre", "name": "Ville de Calais", "short_name": "Calais"})
    assert response.status_code == 200  # its kind cannot change
    duplicate = client.post("/admin/territoire/organisation/nouvelle", data={
        "kind": "partner", "name": "Centre Social Matisse", "short_name": "M"})
    assert duplicate.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)
                             .where(Organisation.name == "Centre Social Matisse")) == 1


def test_unknown_commune_is_404(client, login, admin):
    login(admin)
    assert client.get("/admin/territoire/commune/9999").status_code == 404
