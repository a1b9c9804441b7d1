"""What the open data API says about each public object: public fields only.

Never an email, a birth year, a verification, nor who voted or supported: people
appear only by their public pseudonym. Codes (statuses, phases, kinds) are stable
and language-free; the OpenAPI document lists their values.
"""

import json
from datetime import date, datetime

from flask import url_for

from participation.consultations.models import JUDGMENT
from participation.core.privacy import small_number


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _page(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def place(obj) -> dict | None:
    return {"id": obj.id, "name": obj.name} if obj is not None else None


def centre(obj) -> dict:
    return {"id": obj.id, "name": obj.name, "short_name": obj.short_name}


def theme(obj) -> dict | None:
    if obj is None:
        return None
    return {"id": obj.id, "name_fr": obj.name_fr, "name_en": obj.name_en}


# --- Proposals ----------------------------------------------------------------------------

def proposal(p) -> dict:
    # Hidden by moderation after reports: the public page masks its words, so does the API.
    hidden = p.hidden_at is not None
    return {
        "id": p.id,
        "title": None if hidden else p.title,
        "body": None if hidden else p.body,
        "hidden_by_moderation": hidden,
        "status": p.status,
        "theme": theme(p.theme),
        "commune": place(p.commune),
        "centre": centre(p.centre),
        "author": p.author.display_name,
        "support_count": p.support_count,
        "comment_count": p.comment_count,
        "public_answer": p.public_answer,
        "published_at": _time(p.published_at),
        "first_answer_at": _time(p.first_answer_at),
        "updated_at": _time(p.updated_at),
        "url": _page("proposals.detail", proposal_id=p.id),
        "api_url": _page("api.proposal", proposal_id=p.id),
    }


# --- Shared projects ------------------------------------------------------------------------

def project(p, now: datetime) -> dict:
    return {
        "id": p.id,
        "title": p.title,
        "description": p.description,
        "status": p.status(now),
        "theme": theme(p.theme),
        "place": p.place,
        "starts_at": _time(p.starts_at),
        "ends_at": _time(p.ends_at),
        "registration_opens_at": _time(p.registration_opens_at),
        "registration_closes_at": _time(p.registration_closes_at),
        "capacity": p.capacity,
        "places_taken": p.places_taken,
        "places_left": p.places_left,
        "min_age": p.min_age,
        "max_age": p.max_age,
        "communes": [place(c) for c in p.communes],
        "centres": [{**centre(c.centre), "role": c.role} for c in p.centres],
        "published_at": _time(p.published_at),
        "cancelled_at": _time(p.cancelled_at),
        "cancel_reason": p.cancel_reason,
        "url": _page("projects.detail", project_id=p.id),
        "api_url": _page("api.project", project_id=p.id),
    }


def project_detail(p, now: datetime, sessions, proposals) -> dict:
    return {
        **project(p, now),
        "sessions": [{"title": s.title, "starts_at": _time(s.starts_at),
                      "ends_at": _time(s.ends_at), "place": s.place} for s in sessions],
        "proposals": [{"id": q.id, "api_url": _page("api.proposal", proposal_id=q.id)}
                      for q in proposals],
    }


# --- Consultations ----------------------------------------------------------------------------

def _organiser(c) -> dict:
    if c.organisation is not None:
        return {"kind": "centre", "id": c.organisation.id, "name": c.organisation.name}
    return {"kind": "council", "id": c.council_body.id, "name": c.council_body.name}


def consultation(c, now: datetime) -> dict:
    return {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "phase": c.phase(now),
        "organiser": _organiser(c),
        "communes": [place(x) for x in c.communes],
        "opens_at": _time(c.opens_at),
        "closes_at": _time(c.closes_at),
        "verified_only": c.verified_only,
        "min_age": c.min_age,
        "fingerprint": c.fingerprint,
        "results_published_at": _time(c.results_published_at),
        "questions": [{
            "id": q.id, "kind": q.kind, "text": q.text, "max_choices": q.max_choices,
            "grades": q.grades if q.kind == JUDGMENT else None,
            "options": [{"id": o.id, "label": o.label} for o in q.options],
        } for q in c.questions],
        "url": _page("consultations.detail", consultation_id=c.id),
        "api_url": _page("api.consultation", consultation_id=c.id),
    }


def turnout(counted: dict) -> dict:
    """Participations: the total exactly, each breakdown cell through ``small_number``."""
    return {
        "total": counted["total"],
        "by_channel": {channel: small_number(n) for channel, n in
                       sorted(counted["by_channel"].items())},
        "by_commune": [{"commune": name, "participants": small_number(n)}
                       for name, n in counted["by_commune"]],
        "by_centre": [{"centre": name, "participants": small_number(n)}
                      for name, n in counted["by_centre"]],
    }


def results(entries: list[dict], ballots: int) -> dict:
    """The published tally (as the results page reads it), question by question."""
    questions = []
    for entry in entries:
        question = entry["question"]
        rows = []
        for row in entry["rows"]:
            if question.kind == JUDGMENT:
                rows.append({"option": row["label"], "rank": row["rank"],
                             "majority_grade": row["majority"], "grade_counts": row["counts"]})
            else:
                rows.append({"option": row["label"], "rank": row["rank"],
                             "votes": row["count"], "percent": row["percent"]})
        questions.append({"id": question.id, "text": question.text, "kind": question.kind,
                          "answered": entry["answered"], "blank": entry["blank"],
                          "options": rows})
    return {"ballots": ballots, "questions": questions}


def ballot_content(c, answers_text: str) -> list[dict]:
    """One ballot's content in words, question by question (no tracker beside it)."""
    answers = json.loads(answers_text)
    content = []
    for question in c.questions:
        labels = {str(o.id): o.label for o in question.options}
        answer = answers.get(str(question.id))
        item = {"question_id": question.id, "blank": not answer, "choices": [], "grades": []}
        if answer and question.kind == JUDGMENT:
            item["grades"] = [{"option": labels[o], "grade": question.grades[g]}
                              for o, g in answer.items()]
        elif answer:
            item["choices"] = [labels[str(o)] for o in answer]
        content.append(item)
    return content


# --- The Conseil's register ----------------------------------------------------------------

LINK_ENDPOINTS = {
    "proposal": ("proposals.detail", "proposal_id", "api.proposal"),
    "consultation": ("consultations.detail", "consultation_id", "api.consultation"),
    "shared_project": ("projects.detail", "project_id", "api.project"),
    "action_sheet": ("actions.detail", "sheet_id", "api.action_sheet"),
}


def _link(link) -> dict:
    page, argument, api = LINK_ENDPOINTS[link.kind]
    return {"kind": link.kind, "id": link.target_id,
            "url": _page(page, **{argument: link.target_id}),
            "api_url": _page(api, **{argument: link.target_id})}


def decision(d) -> dict:
    return {
        "id": d.id,
        "reference": d.reference,
        "body": d.body.kind,
        "year": d.year,
        "number": d.number,
        "title": d.title,
        "text": d.text,
        "votes": {"for": d.votes_for, "against": d.votes_against,
                  "abstaining": d.votes_abstaining},
        "meeting_at": _time(d.meeting.starts_at),
        "published_at": _time(d.published_at),
        "validates_action_sheet_id": d.validates_action_sheet_id,
        "action_sheet_id": d.action_sheet_id,
        "links": [_link(link) for link in d.links],
        "url": _page("council.decision", decision_id=d.id),
    }


# --- Fiches action ---------------------------------------------------------------------------

def action_sheet(s) -> dict:
    return {
        "id": s.id,
        "title": s.title,
        "summary": s.summary,
        "context": s.context,
        "status": s.status,
        "communes": [place(c) for c in s.communes],
        "objectives": [{"text": o.text, "indicator": o.indicator, "target": o.target,
                        "result": o.result} for o in s.objectives],
        "actors": [{"name": a.name, "centre_id": a.organisation_id, "role": a.role,
                    "is_lead": a.is_lead} for a in s.actors],
        "means": [{"kind": m.kind, "what": m.what, "from": m.from_whom or None,
                   "amount_cents": m.amount_cents, "request_status": m.request_status}
                  for m in s.means],
        "validated_at": _time(s.validated_at),
        "started_at": _time(s.started_at),
        "completed_at": _time(s.completed_at),
        "evaluation": s.evaluation,
        "abandoned_at": _time(s.abandoned_at),
        "abandon_reason": s.abandon_reason,
        "url": _page("actions.detail", sheet_id=s.id),
        "api_url": _page("api.action_sheet", sheet_id=s.id),
    }


def action_sheet_detail(s, help_offers) -> dict:
    decision_ = s.validating_decision
    return {
        **action_sheet(s),
        "milestones": [{"title": m.title, "due_on": _day(m.due_on)} for m in s.milestones],
        "validating_decision": {"id": decision_.id, "reference": decision_.reference}
        if decision_ is not None and decision_.published_at is not None else None,
        "proposals": [{"id": p.id, "api_url": _page("api.proposal", proposal_id=p.id)}
                      for p in s.proposals if p.is_public],
        "projects": [{"id": p.id, "api_url": _page("api.project", project_id=p.id)}
                     for p in s.projects if p.published_at is not None],
        "help_from_inhabitants": [{"kind": h.kind, "text": h.text,
                                   "by": h.person.display_name, "project_id": h.project_id}
                                  for h in help_offers],
    }
