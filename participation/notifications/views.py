"""Mes notifications, and how each person wants to be told."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participation.core.http import page_number
from participation.core.models import utcnow
from participation.extensions import db
from participation.notifications import services
from participation.notifications.messages import render
from participation.notifications.models import KINDS, MODES, Notification

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def index():
    page = db.paginate(sa.select(Notification).where(Notification.user_id == current_user.id)
                       .order_by(Notification.id.desc()),
                       page=page_number(), per_page=30, error_out=False)
    return render_template("notifications/index.html", page=page, render=render)


@bp.route("/notifications/<int:notification_id>")
@login_required
def open_one(notification_id):
    notification = db.first_or_404(sa.select(Notification).where(
        Notification.id == notification_id, Notification.user_id == current_user.id))
    services.mark_read(current_user, notification.id, utcnow())
    db.session.commit()
    target = notification.url if notification.url.startswith("/") else url_for("core.home")
    return redirect(target)


@bp.route("/notifications/tout-lu", methods=["POST"])
@login_required
def mark_all_read():
    services.mark_read(current_user, None, utcnow())
    db.session.commit()
    flash(_l("All your notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    if request.method == "POST":
        chosen = {kind: request.form.get(kind) for kind in KINDS
                  if request.form.get(kind) in MODES}
        services.set_preferences(current_user, chosen)
        db.session.commit()
        flash(_l("Your choices are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", kinds=KINDS, modes=MODES,
                           current=services.preferences_of(current_user))
