"""The texts of notifications, by key; placeholders are filled when the reader sees them."""

from flask_babel import lazy_gettext as _l

MESSAGES = {
    "proposal.published": _l("Your proposal “%(title)s” is published."),
    "proposal.changes_requested": _l("The animators ask you to change your proposal "
                                     "“%(title)s”: %(message)s"),
    "proposal.rejected": _l("Your proposal “%(title)s” was not published: %(message)s"),
    "proposal.answered": _l("“%(title)s” is now %(status)s: %(message)s"),
    "proposal.supported_answered": _l("A proposal you support, “%(title)s”, is now "
                                      "%(status)s."),
    "proposal.commented": _l("%(name)s commented on your proposal “%(title)s”."),
    "proposal.replied": _l("%(name)s replied to your comment on “%(title)s”."),
    "proposal.submitted": _l("A proposal waits for moderation: “%(title)s”."),
    "proposal.reported": _l("Content was reported on “%(title)s”."),
    "proposal.answer_due": _l("“%(title)s” needs a first public answer before %(date)s."),
    "proposal.answer_overdue": _l("“%(title)s” has waited more than %(days)s days for a "
                                  "public answer."),
    "proposal.hidden": _l("Your content on “%(title)s” is hidden after reports, until an "
                          "animator decides."),
    "action.validated": _l("The Conseil validated the fiche action “%(sheet)s”, born from the "
                           "proposal “%(title)s”."),
    "action.started": _l("The fiche action “%(sheet)s”, born from the proposal “%(title)s”, "
                         "has started."),
    "action.completed": _l("The fiche action “%(sheet)s” is completed: the proposal "
                           "“%(title)s” is realised. Read its evaluation."),
    "consultation.opened": _l("The consultation “%(title)s” is open: you can vote until "
                              "%(date)s."),
    "consultation.closing": _l("Last day to vote in the consultation “%(title)s”: it closes "
                               "on %(date)s."),
    "project.promoted": _l("A place is free for you in “%(title)s”: you are now registered. "
                           "If you can no longer come, leave the project to free it."),
    "project.registered_for": _l("%(name)s registered you for “%(title)s”."),
    "project.cancelled": _l("“%(title)s” is cancelled: %(message)s"),
    "project.news": _l("News of “%(title)s”: %(news)s"),
    "project.help_offered": _l("%(name)s offers help to “%(title)s”."),
    "project.help_accepted": _l("Your offer of help to “%(title)s” is accepted: the "
                                "organisers will contact you."),
}


def render(notification) -> str:
    template = MESSAGES.get(notification.message)
    if template is None:
        return notification.message
    params = dict(notification.params or {})
    if "status_key" in params:
        from participation.proposals.models import STATUS_LABELS

        params["status"] = str(STATUS_LABELS.get(params["status_key"], params["status_key"]))
    if "name" in params and not params["name"]:
        # The person named deleted their account since (see notifications.services).
        params["name"] = str(_l("former participant"))
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)
