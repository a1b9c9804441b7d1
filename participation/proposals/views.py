"""Proposals: the public list, a proposal's page, writing, supports, comments and reports."""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from participation.accounts.models import User
from participation.actions.queries import sheets_of_proposal
from participation.core.errors import DomainError
from participation.core.forms import OTHER_COMMUNE, fill_communes
from participation.core.http import commit_or_explain, form_error, page_number, parse_id
from participation.core.limits import person_or_address
from participation.core.models import utcnow
from participation.core.page_cache import for_visitors
from participation.core.permissions import has_perm, require
from participation.core.uploads import store_image, upload_dir
from participation.council.queries import decisions_linking
from participation.extensions import db, limiter
from participation.proposals import queries, services
from participation.proposals.forms import (
    WHOLE_CALAISIS,
    AnswerForm,
    CommentForm,
    FilterForm,
    ModerationForm,
    ProposalForm,
    ReportForm,
    ThemeForm,
)
from participation.proposals.models import (
    EVENT_LABELS,
    PUBLIC_STATUSES,
    REPORT_REASONS,
    STATUS_LABELS,
    Comment,
    Theme,
)
from participation.territory.models import Centre, Commune
from participation.territory.queries import list_centres, list_communes

bp = Blueprint("proposals", __name__)


@bp.app_context_processor
def labels():
    """Words for statuses, history steps and report reasons, in the reader's language."""
    return {
        "status_label": lambda key: str(STATUS_LABELS.get(key, key)),
        "event_label": lambda key: str(EVENT_LABELS.get(key, key)),
        "proposal_reason": lambda key: str(REPORT_REASONS.get(key, key or "")),
    }


def _load(proposal_id: int):
    proposal = queries.get_proposal(proposal_id)
    if proposal is None:
        abort(404)
    # Someone else's unpublished proposal: even its existence is private.
    require("proposals.view", proposal, hide=True)
    return proposal


@bp.route("/propositions")
@for_visitors
def index():
    form = FilterForm(request.args)
    communes = list_communes()
    fill_communes(form.commune, communes, with_other=False)
    form.commune.choices[0] = ("", _l("All communes"))
    form.commune.choices.append((WHOLE_CALAISIS, _l("The whole Calaisis")))
    themes = queries.list_themes()
    form.theme.choices = [("", _l("All themes"))] + [(str(t.id), t.name) for t in themes]
    form.centre.choices = [("", _l("All centres"))] + [
        (str(c.id), c.short_name) for c in list_centres()
    ]
    form.status.choices = [("", _l("All statuses"))] + [
        (s, STATUS_LABELS[s]) for s in PUBLIC_STATUSES
    ]
    valid = form.validate()
    filters = (
        {
            name: getattr(form, name).data
            for name in ("q", "commune", "theme", "centre", "status", "sort")
        }
        if valid
        else {}
    )
    query = queries.public_proposals(
        q=filters.get("q"),
        commune_id=filters.get("commune"),
        theme_id=filters.get("theme"),
        centre_id=filters.get("centre"),
        status=filters.get("status"),
        sort=filters.get("sort") or "recent",
    )
    page = queries.paginate_public(query, page_number())
    supported = queries.supported_ids(current_user, [p.id for p in page.items])
    active = {k: v for k, v in filters.items() if v}
    return render_template(
        "proposals/index.html", form=form, page=page, supported=supported, filters=active
    )


def _proposal_form(proposal=None) -> ProposalForm:
    form = ProposalForm(obj=proposal if request.method == "GET" else None)
    fill_communes(form.commune, list_communes(), with_other=False)
    form.commune.choices.append((WHOLE_CALAISIS, _l("The whole Calaisis")))
    form.theme.choices = [("", _l("Choose…"))] + [
        (str(t.id), t.name) for t in queries.list_themes()
    ]
    centres = list_centres()
    form.centre.choices = [(str(c.id), f"{c.short_name} ({c.place})") for c in centres]
    if request.method == "GET":
        if proposal is not None:
            form.theme.data = str(proposal.theme_id)
            form.commune.data = str(proposal.commune_id or WHOLE_CALAISIS)
            form.centre.data = str(proposal.centre_id)
        else:
            commune_id = current_user.commune_id if current_user.is_authenticated else None
            form.commune.data = str(commune_id) if commune_id else ""
            suggested = next((c for c in centres if c.commune_id == commune_id), None)
            form.centre.data = str(suggested.id) if suggested else ""
    return form


def _data_from(form: ProposalForm) -> services.ProposalData:
    theme = db.session.get(Theme, int(form.theme.data))
    commune = (
        None
        if form.commune.data in (WHOLE_CALAISIS, OTHER_COMMUNE, "")
        else db.session.get(Commune, int(form.commune.data))
    )
    centre = db.session.get(Centre, int(form.centre.data)) if form.centre.data else None
    if centre is None:  # follow the centre of the commune, else the first one
        centres = list_centres()
        centre = next((c for c in centres if commune and c.commune_id == commune.id), centres[0])
    photo = None
    upload = form.photo.data
    if upload and getattr(upload, "filename", ""):
        photo = store_image(upload.stream)
    return services.ProposalData(
        title=form.title.data,
        body=form.body.data,
        theme=theme,
        commune=commune,
        centre=centre,
        photo=photo,
        remove_photo=bool(form.remove_photo.data),
    )


@bp.route("/propositions/nouvelle", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"], key_func=person_or_address)
def new():
    require("proposals.create")
    return _write(author=current_user._get_current_object())


@bp.route("/accueil/habitant/<int:user_id>/proposition", methods=["GET", "POST"])
@login_required
@limiter.limit("60 per hour", methods=["POST"], key_func=person_or_address)
def new_for(user_id):
    """Staff type in the idea of someone at the front desk; it belongs to that person."""
    person = db.get_or_404(User, user_id)
    if not person.is_active:
        abort(404)
    require("proposals.record_for_someone", person)
    return _write(author=person, recorded_by=current_user._get_current_object())


def _write(author, recorded_by=None):
    form = _proposal_form()
    if form.validate_on_submit():
        try:
            proposal = services.create_proposal(
                author, _data_from(form), utcnow(), recorded_by=recorded_by
            )
            if recorded_by is not None:
                services.submit(proposal, recorded_by, utcnow())
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            if recorded_by is not None:
                flash(
                    _l(
                        "The proposal of %(name)s is recorded and sent to moderation.",
                        name=author.display_name,
                    ),
                    "success",
                )
                return redirect(url_for("accounts.front_desk"))
            flash(_l("Your draft is saved. Read it again, then send it."), "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    return render_template(
        "proposals/form.html", form=form, proposal=None, author=author, recorded_by=recorded_by
    )


@bp.route("/propositions/<int:proposal_id>/modifier", methods=["GET", "POST"])
@login_required
def edit(proposal_id):
    proposal = _load(proposal_id)
    require("proposals.edit", proposal)
    form = _proposal_form(proposal)
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.update_proposal(proposal, current_user, _data_from(form), utcnow()),
            form,
        ):
            flash(_l("Your changes are saved."), "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    return render_template(
        "proposals/form.html",
        form=form,
        proposal=proposal,
        author=proposal.author,
        recorded_by=None,
    )


@bp.route("/propositions/<int:proposal_id>")
@for_visitors
def detail(proposal_id):
    proposal = _load(proposal_id)
    now = utcnow()
    moderator = has_perm(current_user, "proposals.moderate", proposal)
    is_author = current_user.is_authenticated and proposal.author_id == current_user.id
    answer_form = None
    if moderator and proposal.status in services.ANSWER_MOVES:
        answer_form = AnswerForm()
        answer_form.status.choices = [
            (s, STATUS_LABELS[s]) for s in services.ANSWER_MOVES[proposal.status]
        ]
    return render_template(
        "proposals/detail.html",
        proposal=proposal,
        now=now,
        timeline=queries.timeline(proposal, with_private=moderator or is_author),
        threads=queries.comment_threads(proposal, page_number()) if proposal.is_public
        else None,
        supported=bool(queries.supported_ids(current_user, [proposal.id])),
        similar=services.similar_proposals(f"{proposal.title} {proposal.body}", proposal.id)
        if not proposal.is_public
        else [],
        deadline=services.answer_deadline(proposal),
        decisions=decisions_linking("proposal", proposal.id) if proposal.is_public else [],
        action_sheets=[s for s in sheets_of_proposal(proposal.id)
                       if has_perm(current_user, "actions.view", s)],
        waiting=services.waiting_days(proposal, now),
        # Made only for who may comment: a form makes a CSRF token, which visitors' pages
        # must not hold (they are kept for every visitor, core/page_cache.py).
        comment_form=CommentForm() if has_perm(current_user, "proposals.comment", proposal)
        else None,
        moderation_form=ModerationForm() if moderator and proposal.status == "submitted" else None,
        answer_form=answer_form,
        is_author=is_author,
    )


@bp.route("/propositions/<int:proposal_id>/envoyer", methods=["POST"])
@login_required
def submit(proposal_id):
    proposal = _load(proposal_id)
    require("proposals.edit", proposal)
    if commit_or_explain(lambda: services.submit(proposal, current_user, utcnow())):
        if proposal.status == "published":
            flash(_l("Your proposal is published."), "success")
        else:
            flash(
                _l(
                    "Thank you! The animators of %(centre)s will read your proposal and "
                    "publish it soon. You will be told.",
                    centre=proposal.centre.short_name,
                ),
                "success",
            )
    return redirect(url_for("proposals.detail", proposal_id=proposal.id))


@bp.route("/propositions/<int:proposal_id>/retirer", methods=["POST"])
@login_required
def withdraw(proposal_id):
    proposal = _load(proposal_id)
    require("proposals.withdraw", proposal)
    services.withdraw(proposal, current_user, utcnow())
    db.session.commit()
    flash(_l("Your proposal is withdrawn."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal.id))


@bp.route("/propositions/<int:proposal_id>/soutien", methods=["POST"])
@login_required
@limiter.limit("60 per minute", key_func=person_or_address)
def support(proposal_id):
    proposal = _load(proposal_id)
    require("proposals.support", proposal)
    wanted = request.form.get("support") == "1"
    services.set_support(current_user, proposal, wanted, utcnow())
    db.session.commit()
    flash(
        _l("Thank you for your support.") if wanted else _l("Your support is withdrawn."), "success"
    )
    return redirect(url_for("proposals.detail", proposal_id=proposal.id) + "#support")


@bp.route("/propositions/<int:proposal_id>/repondre", methods=["POST"])
@login_required
def answer(proposal_id):
    proposal = _load(proposal_id)
    require("proposals.moderate", proposal)
    form = AnswerForm()
    form.status.choices = [
        (s, STATUS_LABELS[s]) for s in services.ANSWER_MOVES.get(proposal.status, ())
    ]
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.answer(
                proposal, current_user, form.status.data, form.message.data, utcnow()
            ),
            form,
        ):
            flash(_l("Your answer is published and the author is told."), "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    return render_template("proposals/answer_error.html", proposal=proposal, form=form), 400


@bp.route("/propositions/<int:proposal_id>/commentaires", methods=["POST"])
@login_required
@limiter.limit("20 per minute", key_func=person_or_address)
def comment(proposal_id):
    proposal = _load(proposal_id)
    require("proposals.comment", proposal)
    form = CommentForm()
    parent = None
    if request.form.get("parent"):
        parent = db.session.get(Comment, parse_id(request.form.get("parent")) or 0)
        if parent is None or parent.proposal_id != proposal.id:
            abort(404)
    if form.validate_on_submit():
        try:
            created = services.add_comment(
                current_user, proposal, form.body.data, utcnow(), parent=parent
            )
        except DomainError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            db.session.commit()
            flash(_l("Your comment is published."), "success")
            return redirect(comment_url(created))
    return render_template(
        "proposals/comment_form.html", proposal=proposal, form=form, parent=parent
    ), 400


def _load_comment(proposal_id, comment_id):
    proposal = _load(proposal_id)
    found = queries.get_comment(comment_id)
    if found is None or found.proposal_id != proposal.id:
        abort(404)
    return proposal, found


def comment_url(comment: Comment) -> str:
    """The page that shows ``comment``, at the comment: the proposal's page of threads that
    holds it, or its thread's page for a reply past the first ones shown under the thread.
    Every link to a comment goes through here (links kept for later, as in notifications,
    through ``comment_link``, which asks here when followed)."""
    where, page = queries.comment_place(comment)
    values = {"page": page} if page > 1 else {}
    if where == "thread":
        url = url_for("proposals.thread", proposal_id=comment.proposal_id,
                      comment_id=comment.parent_id, **values)
    else:
        url = url_for("proposals.detail", proposal_id=comment.proposal_id, **values)
    return f"{url}#comment-{comment.id}"


def _load_shown_comment(proposal_id, comment_id):
    """A comment of a proposal whose comments are shown (a published one), else 404.

    Deleted and hidden comments keep their place in the thread (a line says why their
    text is not there), so links to them still lead there."""
    proposal, found = _load_comment(proposal_id, comment_id)
    if not proposal.is_public:
        abort(404)
    return proposal, found


@bp.route("/propositions/<int:proposal_id>/commentaires/<int:comment_id>")
def comment_link(proposal_id, comment_id):
    """A lasting link to a comment (notifications, moderation): sends to the page that
    holds it now."""
    _proposal, found = _load_shown_comment(proposal_id, comment_id)
    return redirect(comment_url(found), 303)


@bp.route("/propositions/<int:proposal_id>/commentaires/<int:comment_id>/reponses")
@for_visitors
def thread(proposal_id, comment_id):
    """A comment and all its replies, a page at a time, for threads with more replies
    than the proposal's page shows."""
    proposal, found = _load_shown_comment(proposal_id, comment_id)
    if found.parent_id is not None:  # a reply: its thread is its parent's
        abort(404)
    return render_template(
        "proposals/thread.html",
        proposal=proposal,
        comment=found,
        replies=queries.thread_replies(found, page_number()),
    )


@bp.route(
    "/propositions/<int:proposal_id>/commentaires/<int:comment_id>/modifier",
    methods=["GET", "POST"],
)
@login_required
@limiter.limit("20 per minute", methods=["POST"], key_func=person_or_address)
def edit_comment(proposal_id, comment_id):
    proposal, found = _load_comment(proposal_id, comment_id)
    require("proposals.edit_comment", found)
    form = CommentForm(obj=found if request.method == "GET" else None)
    if form.validate_on_submit():
        if commit_or_explain(lambda: services.edit_comment(found, form.body.data, utcnow()), form):
            flash(_l("Your comment is corrected."), "success")
            return redirect(comment_url(found))
    return render_template(
        "proposals/comment_form.html", proposal=proposal, form=form, comment=found, parent=None
    )


@bp.route(
    "/propositions/<int:proposal_id>/commentaires/<int:comment_id>/supprimer", methods=["POST"]
)
@login_required
def delete_comment(proposal_id, comment_id):
    proposal, found = _load_comment(proposal_id, comment_id)
    require("proposals.delete_comment", found)
    services.delete_comment(found, utcnow())
    db.session.commit()
    flash(_l("Your comment is deleted."), "success")
    return redirect(comment_url(found))


@bp.route("/propositions/<int:proposal_id>/signaler", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per hour", methods=["POST"], key_func=person_or_address)
def report(proposal_id):
    proposal = _load(proposal_id)
    require("proposals.report")
    target = None
    if request.values.get("commentaire"):
        proposal, target = _load_comment(
            proposal_id, parse_id(request.values.get("commentaire")) or 0
        )
    form = ReportForm()
    if form.validate_on_submit():
        new = services.report(
            current_user, proposal, form.reason.data, form.details.data, utcnow(), comment=target
        )
        db.session.commit()
        flash(
            _l("Thank you: the animators will look at it.")
            if new
            else _l("You had already reported it; the animators will look at it."),
            "success",
        )
        return redirect(comment_url(target) if target else
                        url_for("proposals.detail", proposal_id=proposal.id))
    return render_template("proposals/report.html", proposal=proposal, comment=target, form=form)


@bp.route("/mes-propositions")
@login_required
def mine():
    page = db.paginate(
        queries.proposals_of(current_user.id),
        page=page_number(),
        per_page=queries.PER_PAGE,
        error_out=False,
    )
    return render_template("proposals/mine.html", page=page)


@bp.route("/propositions/delais-de-reponse")
@for_visitors
def answer_times():
    return render_template(
        "proposals/answer_times.html", rows=services.answer_times_by_centre(utcnow())
    )


@bp.route("/media/<path:name>")
def media(name):
    """Photos, already re-encoded at upload: served as stored, cached for a long time."""
    return send_from_directory(upload_dir(), name, max_age=30 * 24 * 3600)


@bp.route("/admin/themes")
@login_required
def themes():
    require("proposals.edit_themes")
    return render_template("proposals/themes.html", themes=queries.list_themes())


@bp.route("/admin/themes/nouveau", methods=["GET", "POST"], defaults={"theme_id": None})
@bp.route("/admin/themes/<int:theme_id>", methods=["GET", "POST"])
@login_required
def edit_theme(theme_id):
    require("proposals.edit_themes")
    theme = db.get_or_404(Theme, theme_id) if theme_id else None
    form = ThemeForm(obj=theme)
    if form.validate_on_submit():
        if commit_or_explain(
            lambda: services.save_theme(
                current_user,
                theme,
                name_fr=form.name_fr.data,
                name_en=form.name_en.data,
                position=form.position.data or 0,
            ),
            form,
        ):
            flash(_l("Saved."), "success")
            return redirect(url_for("proposals.themes"))
    return render_template("proposals/edit_theme.html", form=form, theme=theme)
