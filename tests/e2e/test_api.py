"""The open data page on a phone: readable, accessible, with its examples working."""

from tests.e2e.conftest import assert_accessible, assert_fits_the_phone


def test_the_open_data_page_on_a_phone(site):
    page = site
    page.goto("/api")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Données ouvertes")
    assert page.get_by_text("Licence Ouverte / Etalab 2.0").count() >= 1
    assert_accessible(page)
    assert_fits_the_phone(page)
    page.get_by_role("link", name="/api/openapi.json").click()
    assert '"openapi"' in page.content()
