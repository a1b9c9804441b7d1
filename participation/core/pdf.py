"""PDF documents, made by WeasyPrint from the same HTML as the print views.

WeasyPrint is imported lazily (it takes about a second, and needs Pango from
the system): ``pdf_available()`` says whether it loads here, and why not.
Where it does not, print views still work and their PDF link says PDF is
unavailable. Rendering fetches nothing from the network: only the given
stylesheets and local files, with local fonts.
"""

from functools import cache
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"
PRINT_CSS = STATIC / "css" / "print.css"


class PdfUnavailable(RuntimeError):
    """WeasyPrint or its system libraries cannot load on this machine."""


@cache
def _weasyprint():
    try:
        import weasyprint
    except ImportError as error:  # not installed
        return None, f"WeasyPrint is not installed ({error})"
    except OSError as error:  # installed, but Pango or another library is missing
        return None, f"WeasyPrint cannot load its system libraries ({error})"
    return weasyprint, None


def pdf_available() -> tuple[bool, str | None]:
    """``(True, None)`` when PDFs can be made here, else ``(False, reason)``."""
    module, reason = _weasyprint()
    return module is not None, reason


def render_pdf(html: str, stylesheets: list[Path] | None = None) -> bytes:
    """Render an HTML string to PDF bytes, with ``print.css`` and local files only.

    Raises ``PdfUnavailable`` where WeasyPrint cannot load.
    """
    weasyprint, reason = _weasyprint()
    if weasyprint is None:
        raise PdfUnavailable(reason)
    from weasyprint.urls import URLFetcher

    # Only local files (and inline data): a document never reaches the network.
    fetcher = URLFetcher(allowed_protocols={"file", "data"})
    sheets = [weasyprint.CSS(filename=str(path), url_fetcher=fetcher)
              for path in (stylesheets or [PRINT_CSS])]
    document = weasyprint.HTML(string=html, base_url=STATIC.as_uri() + "/",
                               url_fetcher=fetcher)
    return document.write_pdf(stylesheets=sheets)


def document(template: str, filename: str, as_pdf: bool, **context):
    """A print view, or the same HTML as a PDF download (404 where PDF is unavailable)."""
    from flask import Response, abort, current_app, render_template

    if not as_pdf:
        return render_template(template, pdf_mode=False, pdf=pdf_available(), **context)
    available, reason = pdf_available()
    if not available:
        current_app.logger.warning("PDF unavailable: %s", reason)
        abort(404)
    html = render_template(template, pdf_mode=True, pdf=(True, None), **context)
    try:
        data = render_pdf(html)
    except PdfUnavailable:
        abort(404)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}"'})
