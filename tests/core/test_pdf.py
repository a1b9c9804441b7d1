"""PDF documents through WeasyPrint, and what happens where it cannot load."""

import os
import sys

import pytest

from participation.core import pdf


def _need_pdf():
    available, reason = pdf.pdf_available()
    if not available:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PDF must work in CI: {reason}")
        pytest.skip(f"PDF unavailable here: {reason}")


def test_renders_html_to_pdf_without_reaching_the_network(caplog):
    _need_pdf()
    data = pdf.render_pdf('<html lang="fr"><body><h1>Relevé de décisions</h1>'
                          '<img src="https://example.org/x.png" alt=""></body></html>')
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert "disallowed protocol" in caplog.text  # the outside image was never fetched


def test_unavailable_when_weasyprint_cannot_be_imported(monkeypatch):
    pdf._weasyprint.cache_clear()
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails
    try:
        available, reason = pdf.pdf_available()
        assert available is False and "WeasyPrint" in reason
        with pytest.raises(pdf.PdfUnavailable):
            pdf.render_pdf("<p>x</p>")
    finally:
        monkeypatch.undo()
        pdf._weasyprint.cache_clear()


def test_council_documents_as_pdf(client, session, admin, now):
    _need_pdf()
    from participation.council import services
    from participation.council.models import COUNCIL
    from participation.extensions import db

    meeting = services.plan_meeting(services.get_body(COUNCIL), admin, starts_at=now,
                                    place="Espace Fort")
    services.add_agenda_item(meeting, title="Bilan")
    services.record_decision(meeting, admin, title="Décision", text="Texte", now=now)
    services.publish_decisions(meeting, now)
    services.save_minutes(meeting, admin, "Compte rendu", "public", now)
    services.publish_minutes(meeting, now)
    db.session.commit()
    for path in (f"/conseil/reunions/{meeting.id}/convocation.pdf",
                 f"/conseil/reunions/{meeting.id}/compte-rendu.pdf", "/conseil/decisions.pdf"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF-")


def test_paper_ballot_as_print_view_and_pdf(client, session, animator):
    from tests.consultations.test_views import open_now

    consultation = open_now(animator)
    printed = client.get(f"/consultations/{consultation.id}/bulletin-papier/imprimer")
    assert printed.status_code == 200 and "☐" in printed.text
    assert 'class="site-header"' not in printed.text  # no site navigation on paper
    _need_pdf()
    response = client.get(f"/consultations/{consultation.id}/bulletin-papier.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
