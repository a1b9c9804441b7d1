"""The moderation queue of a centre's staff: proposals waiting, and reported content."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from participation.core.errors import DomainError
from participation.core.http import form_error, parse_id
from participation.core.models import utcnow
from participation.core.permissions import require
from participation.extensions import db
from participation.proposals import services
from participation.proposals.forms import ModerationForm
from participation.proposals.models import Comment, Proposal, Report
from participation.proposals.queries import get_proposal

bp = Blueprint("moderation", __name__)


def _centre_filter(column):
    if current_user.is_admin:
        return sa.true()
    return column.in_([c.id for c in current_user.staff_centres()])


@bp.route("/moderation")
@login_required
def queue():
    require("proposals.moderate")
    waiting = db.session.scalars(
        sa.select(Proposal).options(joinedload(Proposal.author), joinedload(Proposal.centre),
                                    joinedload(Proposal.theme))
        .where(Proposal.status == "submitted", _centre_filter(Proposal.centre_id))
        .order_by(Proposal.submitted_at)).all()
    reports = db.session.scalars(
        sa.select(Report).join(Report.proposal)
        .options(joinedload(Report.proposal), joinedload(Report.comment).joinedload(
            Comment.author), joinedload(Report.reporter))
        .where(Report.resolved_at.is_(None), _centre_filter(Proposal.centre_id))
        .order_by(Report.proposal_id, Report.comment_id, Report.id)).all()
    grouped: dict[tuple, list[Report]] = {}
    for item in reports:
        grouped.setdefault((item.proposal, item.comment), []).append(item)
    return render_template("moderation/queue.html", waiting=waiting, reported=grouped,
                           now=utcnow())


@bp.route("/moderation/propositions/<int:proposal_id>", methods=["POST"])
@login_required
def decide(proposal_id):
    proposal = get_proposal(proposal_id)
    if proposal is None:
        abort(404)
    require("proposals.moderate", proposal)
    form = ModerationForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            if form.decision.data == "publish":
                services.publish(proposal, current_user, now)
            elif form.decision.data == "changes":
                services.request_changes(proposal, current_user, form.message.data, now)
            else:
                services.reject(proposal, current_user, form.message.data, now)
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            flash(_l("Done: the author is told."), "success")
            return redirect(url_for("moderation.queue"))
    return render_template("moderation/decide_error.html", proposal=proposal, form=form), 400


@bp.route("/moderation/signalements/<int:proposal_id>", methods=["POST"])
@login_required
def decide_reports(proposal_id):
    proposal = get_proposal(proposal_id)
    if proposal is None:
        abort(404)
    require("proposals.moderate", proposal)
    comment = None
    if request.form.get("comment"):
        comment = db.session.get(Comment, parse_id(request.form.get("comment")) or 0)
        if comment is None or comment.proposal_id != proposal.id:
            abort(404)
    decision = request.form.get("decision")
    if decision not in ("kept", "hidden"):
        abort(400)
    services.decide_reports(current_user, proposal, comment, decision, utcnow())
    db.session.commit()
    flash(_l("The content stays visible.") if decision == "kept"
          else _l("The content stays hidden."), "success")
    return redirect(url_for("moderation.queue"))
