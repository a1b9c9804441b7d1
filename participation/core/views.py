"""Pages that belong to no domain: home, legal pages, language, administration index."""

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from participation.core.audit import AuditEntry
from participation.core.http import page_number, safe_next
from participation.core.mail import FAILED, PENDING, OutboxMessage
from participation.core.page_cache import for_visitors
from participation.core.permissions import require
from participation.extensions import csrf, db
from participation.territory.queries import list_centres

bp = Blueprint("core", __name__)


@bp.route("/")
@for_visitors
def home():
    return render_template("core/home.html", centres=list_centres())


@bp.route("/confidentialite")
@for_visitors
def privacy():
    return render_template("core/privacy.html")


@bp.route("/mentions-legales")
@for_visitors
def legal():
    return render_template("core/legal.html")


@bp.route("/accessibilite")
@for_visitors
def accessibility():
    return render_template("core/accessibility.html")


@bp.route("/langue", methods=["POST"])
@csrf.exempt
def set_language():
    """Switch language; remembered in the account, or in the session for visitors.

    A visitor's form carries no CSRF token (so public pages are the same for every visitor
    and can be kept, see core/page_cache.py): another site could at worst switch a
    visitor's language. A logged-in person's choice is saved in their account: checked."""
    if current_user.is_authenticated and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["locale"] = language
        if current_user.is_authenticated:
            current_user.locale = language
            db.session.commit()
    return redirect(safe_next(url_for("core.home")))


@bp.route("/admin/")
@login_required
def admin_index():
    require("accounts.administer")
    counts = dict(db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)).all())
    return render_template("core/admin.html", pending=counts.get(PENDING, 0),
                           failed=counts.get(FAILED, 0))


@bp.route("/admin/journal")
@login_required
def audit_log():
    require("accounts.administer")
    entries = db.paginate(sa.select(AuditEntry).order_by(AuditEntry.id.desc()),
                          page=page_number(), per_page=50, error_out=False)
    return render_template("core/audit_log.html", entries=entries)


@bp.route("/admin/envois")
@login_required
def outbox():
    """Delivery state of emails; bodies stay hidden since they carry login links."""
    require("accounts.administer")
    messages = db.paginate(sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()),
                           page=page_number(), per_page=50, error_out=False)
    return render_template("core/outbox.html", messages=messages)
