"""Reading fiches action for the pages, in a fixed number of queries."""

import re

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from participation.actions.models import (
    PUBLIC_STATUSES,
    ActionSheet,
    ActionSheetEvent,
    Actor,
    Means,
    sheet_communes,
    sheet_proposals,
)
from participation.actions.permissions import WRITER_ROLES, sits_in_council
from participation.core.text import fold
from participation.extensions import db
from participation.proposals.models import Proposal

PAGE_SIZE = 20


def load_sheet(sheet_id: int) -> ActionSheet | None:
    """A fiche with everything its page shows (one query per part, whatever their count)."""
    return db.session.scalar(
        sa.select(ActionSheet).where(ActionSheet.id == sheet_id).options(
            selectinload(ActionSheet.objectives), selectinload(ActionSheet.actors),
            selectinload(ActionSheet.means), selectinload(ActionSheet.milestones),
            selectinload(ActionSheet.agreements), selectinload(ActionSheet.communes),
            selectinload(ActionSheet.events).joinedload(ActionSheetEvent.actor),
            selectinload(ActionSheet.proposals).joinedload(Proposal.author),
            selectinload(ActionSheet.consultations), selectinload(ActionSheet.projects),
            selectinload(ActionSheet.validating_decision)))


def visible_condition(user):
    """Public fiches for everyone; the Conseil's members and admins see all; writers see
    those they wrote or whose actors include their centre."""
    if sits_in_council(user):
        return sa.true()
    condition = ActionSheet.status.in_(PUBLIC_STATUSES)
    if user.is_authenticated:
        centres = [r.organisation_id for r in user.roles_of(*WRITER_ROLES)]
        condition = sa.or_(condition, ActionSheet.created_by_id == user.id,
                           ActionSheet.id.in_(sa.select(Actor.sheet_id)
                                              .where(Actor.organisation_id.in_(centres))))
    return condition


def list_sheets(user, *, status=None, centre_id=None, commune_id=None, theme_id=None,
                q=None, page=1):
    query = sa.select(ActionSheet).where(visible_condition(user))
    if status:
        query = query.where(ActionSheet.status == status)
    if centre_id:
        query = query.where(ActionSheet.id.in_(
            sa.select(Actor.sheet_id).where(Actor.organisation_id == centre_id)))
    if commune_id:
        query = query.where(ActionSheet.id.in_(
            sa.select(sheet_communes.c.sheet_id).where(sheet_communes.c.commune_id
                                                       == commune_id)))
    if theme_id:
        query = query.where(ActionSheet.id.in_(
            sa.select(sheet_proposals.c.sheet_id)
            .join(Proposal, Proposal.id == sheet_proposals.c.proposal_id)
            .where(Proposal.theme_id == theme_id)))
    for word in re.findall(r"\w+", fold(q or ""))[:8]:
        query = query.where(ActionSheet.search_text.contains(word))
    return db.paginate(
        query.options(selectinload(ActionSheet.actors), selectinload(ActionSheet.communes))
        .order_by(ActionSheet.updated_at.desc(), ActionSheet.id.desc()),
        page=page, per_page=PAGE_SIZE, error_out=False)


def sheets_of_proposal(proposal_id: int) -> list[ActionSheet]:
    """The fiches a proposal became (for its page: « devenue la fiche action … »)."""
    return list(db.session.scalars(
        sa.select(ActionSheet).join(sheet_proposals,
                                    sheet_proposals.c.sheet_id == ActionSheet.id)
        .where(sheet_proposals.c.proposal_id == proposal_id).order_by(ActionSheet.id)))


def means_requested_from(partner_id: int | None, user) -> list[Means]:
    """Means requested from a partner (all partners when None), on fiches ``user`` sees."""
    query = (sa.select(Means).join(Means.sheet)
             .where(Means.kind == "requested", visible_condition(user))
             .options(selectinload(Means.sheet))
             .order_by(Means.organisation_id, ActionSheet.id, Means.id))
    if partner_id:
        query = query.where(Means.organisation_id == partner_id)
    return list(db.session.scalars(query))


def accepted_help(sheet: ActionSheet) -> list:
    """Accepted offers of help on the projects that carry the fiche out (one query)."""
    from participation.projects.models import HelpOffer

    ids = [project.id for project in sheet.projects]
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(HelpOffer).options(joinedload(HelpOffer.person), joinedload(HelpOffer.project))
        .where(HelpOffer.project_id.in_(ids), HelpOffer.status == "accepted")
        .order_by(HelpOffer.project_id, HelpOffer.id)))
