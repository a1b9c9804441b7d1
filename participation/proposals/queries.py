"""Reads of proposals that several pages share; eager loading is chosen here, once."""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from participation.extensions import db
from participation.proposals.models import (
    PUBLIC_STATUSES,
    Comment,
    Proposal,
    ProposalEvent,
    Support,
    Theme,
)
from participation.proposals.services import search_condition

SORTS = {
    "recent": (Proposal.published_at.desc(), Proposal.id.desc()),
    "supported": (Proposal.support_count.desc(), Proposal.id.desc()),
    "discussed": (Proposal.comment_count.desc(), Proposal.id.desc()),
}
PER_PAGE = 20


def list_themes() -> list[Theme]:
    return list(db.session.scalars(sa.select(Theme).order_by(Theme.position, Theme.name_fr)))


def public_proposals(*, q=None, commune_id=None, theme_id=None, centre_id=None, status=None,
                     sort="recent"):
    """The select behind the public list, filtered and sorted (author, theme, place loaded)."""
    query = (sa.select(Proposal)
             .options(joinedload(Proposal.author), joinedload(Proposal.theme),
                      joinedload(Proposal.commune), joinedload(Proposal.centre))
             .where(Proposal.status.in_(PUBLIC_STATUSES)))
    if status in PUBLIC_STATUSES:
        query = query.where(Proposal.status == status)
    if commune_id == "all":
        query = query.where(Proposal.commune_id.is_(None))
    elif commune_id:
        query = query.where(Proposal.commune_id == int(commune_id))
    if theme_id:
        query = query.where(Proposal.theme_id == int(theme_id))
    if centre_id:
        query = query.where(Proposal.centre_id == int(centre_id))
    condition = search_condition(q)
    if condition is not None:
        query = query.where(condition)
    return query.order_by(*SORTS.get(sort, SORTS["recent"]))


def paginate_public(query, page: int):
    """A page of ``public_proposals(...)``: the ids are filtered, sorted and counted alone
    (in the covering index ``ix_proposals_list``, without reading the rows), then only the
    page's rows are loaded with their author, theme and places. Three queries."""
    pagination = db.paginate(query.with_only_columns(Proposal.id), page=page,
                             per_page=PER_PAGE, error_out=False)
    if pagination.items:
        rows = {p.id: p for p in db.session.scalars(
            query.where(Proposal.id.in_(pagination.items)).order_by(None)).unique()}
        pagination.items = [rows[i] for i in pagination.items if i in rows]
    return pagination


def proposals_of(author_id: int):
    return (sa.select(Proposal).options(joinedload(Proposal.theme), joinedload(Proposal.centre))
            .where(Proposal.author_id == author_id).order_by(Proposal.updated_at.desc()))


def get_proposal(proposal_id: int) -> Proposal | None:
    return db.session.scalar(
        sa.select(Proposal).options(joinedload(Proposal.author), joinedload(Proposal.theme),
                                    joinedload(Proposal.commune), joinedload(Proposal.centre))
        .where(Proposal.id == proposal_id))


def timeline(proposal: Proposal, with_private: bool) -> list[ProposalEvent]:
    query = (sa.select(ProposalEvent).options(joinedload(ProposalEvent.actor))
             .where(ProposalEvent.proposal_id == proposal.id).order_by(ProposalEvent.id))
    if not with_private:
        query = query.where(ProposalEvent.public.is_(True))
    return list(db.session.scalars(query))


def comments_of(proposal: Proposal) -> list[tuple[Comment, list[Comment]]]:
    """Top-level comments in order, each with its replies (one query)."""
    rows = db.session.scalars(sa.select(Comment).options(joinedload(Comment.author))
                              .where(Comment.proposal_id == proposal.id)
                              .order_by(Comment.id)).all()
    replies: dict[int, list[Comment]] = {}
    for comment in rows:
        if comment.parent_id:
            replies.setdefault(comment.parent_id, []).append(comment)
    return [(c, replies.get(c.id, [])) for c in rows if not c.parent_id]


def supported_ids(user, proposal_ids) -> set[int]:
    if not user.is_authenticated or not proposal_ids:
        return set()
    return set(db.session.scalars(sa.select(Support.proposal_id).where(
        Support.user_id == user.id, Support.proposal_id.in_(list(proposal_ids)))))


