"""The OpenAPI 3 document of the open data API, served at /api/openapi.json.

Written by hand as a dict, next to the serializers it describes; a test checks that
every route of the ``api`` blueprint appears here, so none is forgotten.
"""

from participation.actions.models import PUBLIC_STATUSES as SHEET_STATUSES
from participation.consultations.models import CHANNELS, PHASES, QUESTION_KINDS
from participation.council.models import BODY_KINDS
from participation.projects.models import STATUSES as PROJECT_STATUSES
from participation.proposals.models import PUBLIC_STATUSES as PROPOSAL_STATUSES

STRING = {"type": "string"}
TEXT_OR_NULL = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
INT_OR_NULL = {"type": ["integer", "null"]}
BOOLEAN = {"type": "boolean"}
URL = {"type": "string", "format": "uri"}
URL_OR_NULL = {"type": ["string", "null"], "format": "uri"}
TIME = {"type": "string", "format": "date-time"}
TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
# A count of people in a breakdown cell: exact from 5, else the string "< 5".
SMALL_COUNT = {"oneOf": [{"type": "integer", "minimum": 5}, {"type": "string", "const": "< 5"}],
               "description": "Exact from 5 people on; below, the string \"< 5\"."}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, *, nullable: bool = False, description: str | None = None) -> dict:
    schema = {"type": ["object", "null"] if nullable else "object", "properties": properties,
              "required": list(properties), "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


def enum(values, nullable: bool = False) -> dict:
    values = list(values)
    return {"type": ["string", "null"] if nullable else "string",
            "enum": values + [None] if nullable else values}


def page_of(item: str) -> dict:
    return obj({
        "items": array(ref(item)),
        "page": INTEGER, "per_page": INTEGER, "total": INTEGER, "pages": INTEGER,
        "links": ref("Links"),
    })


PLACE = obj({"id": INTEGER, "name": STRING})
SCHEMAS = {
    "Error": obj({"error": STRING, "message": STRING}),
    "Links": obj({"self": URL, "next": URL_OR_NULL, "prev": URL_OR_NULL},
                 description="Addresses of this page, the next and the previous (null at "
                             "the ends)."),
    "Place": PLACE,
    "Centre": obj({"id": INTEGER, "name": STRING, "short_name": STRING}),
    "Theme": obj({"id": INTEGER, "name_fr": STRING, "name_en": STRING}),
    "Proposal": obj({
        "id": INTEGER,
        "title": TEXT_OR_NULL, "body": TEXT_OR_NULL,
        "hidden_by_moderation": {**BOOLEAN, "description": "Title and body are null while "
                                 "moderators examine reports about it."},
        "status": enum(PROPOSAL_STATUSES),
        "theme": ref("Theme"),
        "commune": {"oneOf": [ref("Place"), {"type": "null"}],
                    "description": "null: the whole Calaisis."},
        "centre": ref("Centre"),
        "author": {**STRING, "description": "The author's public pseudonym."},
        "support_count": INTEGER, "comment_count": INTEGER,
        "public_answer": {**TEXT_OR_NULL, "description": "The centre's answer (Markdown)."},
        "published_at": TIME_OR_NULL, "first_answer_at": TIME_OR_NULL, "updated_at": TIME,
        "url": URL, "api_url": URL,
    }),
    "Project": obj({
        "id": INTEGER, "title": STRING, "description": STRING,
        "status": enum(k for k in PROJECT_STATUSES if k != "draft"),
        "theme": {"oneOf": [ref("Theme"), {"type": "null"}]},
        "place": STRING,
        "starts_at": TIME, "ends_at": TIME,
        "registration_opens_at": TIME, "registration_closes_at": TIME,
        "capacity": INT_OR_NULL, "places_taken": INTEGER, "places_left": INT_OR_NULL,
        "min_age": INT_OR_NULL, "max_age": INT_OR_NULL,
        "communes": array(ref("Place")),
        "centres": array(obj({"id": INTEGER, "name": STRING, "short_name": STRING,
                              "role": STRING})),
        "published_at": TIME, "cancelled_at": TIME_OR_NULL, "cancel_reason": TEXT_OR_NULL,
        "url": URL, "api_url": URL,
    }),
    "Consultation": obj({
        "id": INTEGER, "title": STRING, "description": STRING,
        "phase": enum(k for k in PHASES if k != "draft"),
        "organiser": obj({"kind": enum(["centre", "council"]), "id": INTEGER,
                          "name": STRING}),
        "communes": array(ref("Place")),
        "opens_at": TIME, "closes_at": TIME,
        "verified_only": BOOLEAN, "min_age": INT_OR_NULL,
        "fingerprint": {**TEXT_OR_NULL, "description": "SHA-256 of what the consultation "
                        "asks, fixed when it opens."},
        "results_published_at": TIME_OR_NULL,
        "questions": array(obj({
            "id": INTEGER, "kind": enum(QUESTION_KINDS), "text": STRING,
            "max_choices": INT_OR_NULL,
            "grades": {"type": ["array", "null"], "items": STRING},
            "options": array(obj({"id": INTEGER, "label": STRING})),
        })),
        "url": URL, "api_url": URL,
    }),
    "Turnout": obj({
        "total": {**INTEGER, "description": "Exact number of participants."},
        "by_channel": {"type": "object", "additionalProperties": SMALL_COUNT,
                       "propertyNames": enum(CHANNELS)},
        "by_commune": array(obj({"commune": TEXT_OR_NULL, "participants": SMALL_COUNT})),
        "by_centre": array(obj({"centre": STRING, "participants": SMALL_COUNT})),
    }),
    "Results": obj({
        "ballots": INTEGER,
        "questions": array(obj({
            "id": INTEGER, "text": STRING, "kind": enum(QUESTION_KINDS),
            "answered": INTEGER, "blank": INTEGER,
            "options": array({"oneOf": [
                obj({"option": STRING, "rank": INTEGER, "votes": INTEGER,
                     "percent": {"type": "number"}}),
                obj({"option": STRING, "rank": INTEGER, "majority_grade": TEXT_OR_NULL,
                     "grade_counts": array(INTEGER)}),
            ]}),
        })),
    }),
    "ConsultationDetail": {"allOf": [ref("Consultation"), obj({
        "turnout": {"oneOf": [ref("Turnout"), {"type": "null"}]},
        "results": {"oneOf": [ref("Results"), {"type": "null"}]},
        "ballots_url": URL_OR_NULL, "trackers_url": URL_OR_NULL,
    })], "description": "Turnout, results and ballot lists are null until the results "
                        "are published."},
    "BallotContent": obj({
        "content": array(obj({
            "question_id": INTEGER, "blank": BOOLEAN, "choices": array(STRING),
            "grades": array(obj({"option": STRING, "grade": STRING})),
        })),
        "ballots": {**INTEGER, "description": "How many ballots carry exactly this content."},
    }),
    "Decision": obj({
        "id": INTEGER, "reference": {**STRING, "example": "2027-004"},
        "body": enum(BODY_KINDS), "year": INTEGER, "number": INTEGER,
        "title": STRING, "text": STRING,
        "votes": obj({"for": INTEGER, "against": INTEGER, "abstaining": INTEGER}),
        "meeting_at": TIME, "published_at": TIME,
        "validates_action_sheet_id": INT_OR_NULL, "action_sheet_id": INT_OR_NULL,
        "links": array(obj({"kind": enum(["proposal", "consultation", "shared_project",
                                           "action_sheet"]),
                            "id": INTEGER, "url": URL, "api_url": URL})),
        "url": URL,
    }),
    "ActionSheet": obj({
        "id": INTEGER, "title": STRING, "summary": STRING, "context": TEXT_OR_NULL,
        "status": enum(SHEET_STATUSES),
        "communes": array(ref("Place")),
        "objectives": array(obj({"text": STRING, "indicator": STRING, "target": STRING,
                                 "result": TEXT_OR_NULL})),
        "actors": array(obj({"name": TEXT_OR_NULL, "centre_id": INT_OR_NULL, "role": STRING,
                             "is_lead": BOOLEAN})),
        "means": array(obj({"kind": enum(["pooled", "requested", "own"]), "what": STRING,
                            "from": TEXT_OR_NULL, "amount_cents": INT_OR_NULL,
                            "request_status": enum(["requested", "granted", "refused"],
                                                   nullable=True)})),
        "validated_at": TIME_OR_NULL, "started_at": TIME_OR_NULL,
        "completed_at": TIME_OR_NULL, "evaluation": TEXT_OR_NULL,
        "abandoned_at": TIME_OR_NULL, "abandon_reason": TEXT_OR_NULL,
        "url": URL, "api_url": URL,
    }),
    "ActionSheetDetail": {"allOf": [ref("ActionSheet"), obj({
        "milestones": array(obj({"title": STRING, "due_on": {"type": "string",
                                                             "format": "date"}})),
        "validating_decision": obj({"id": INTEGER, "reference": STRING}, nullable=True),
        "proposals": array(obj({"id": INTEGER, "api_url": URL})),
        "projects": array(obj({"id": INTEGER, "api_url": URL})),
        "help_from_inhabitants": array(obj({
            "kind": enum(["time", "skill", "equipment"]), "text": STRING,
            "by": {**STRING, "description": "Public pseudonym."}, "project_id": INTEGER})),
    })]},
}
# The detail objects add fields to their base: "allOf" cannot close them, so the parts
# stay open to each other.
for _name in ("ConsultationDetail", "ActionSheetDetail"):
    for _part in SCHEMAS[_name]["allOf"]:
        _part.pop("additionalProperties", None)
for _name in ("Consultation", "ActionSheet"):
    SCHEMAS[_name]["additionalProperties"] = True

PAGES = {"ProposalPage": "Proposal", "ProjectPage": "Project",
         "ConsultationPage": "Consultation", "DecisionPage": "Decision",
         "ActionSheetPage": "ActionSheet", "BallotContentPage": "BallotContent"}
SCHEMAS.update({name: page_of(item) for name, item in PAGES.items()})
SCHEMAS["TrackerPage"] = {**page_of("BallotContent"), "properties": {
    **page_of("BallotContent")["properties"], "items": array(STRING)}}

# Beyond these, a page or an id names nothing (ids are 32-bit integers in the database).
MAX_PAGE = 100_000
MAX_ID = 2**31 - 1
PAGE = {"name": "page", "in": "query", "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}}
PER_PAGE = {"name": "per_page", "in": "query", "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}}
IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False,
                 "schema": STRING, "description": "An ETag received before: 304 if unchanged."}


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


def _json(schema: str) -> dict:
    return {"application/json": {"schema": ref(schema)}}


def _get(summary: str, schema: str, parameters=(), *, missing: bool = False,
         paged: bool = False) -> dict:
    responses = {
        "200": {"description": "OK", "content": _json(schema),
                "headers": {"ETag": {"schema": STRING},
                            "Cache-Control": {"schema": STRING}}},
        "304": {"description": "Not modified since the ETag given in If-None-Match."},
    }
    if paged:
        responses["400"] = {"description": "A page parameter out of range.",
                            "content": _json("Error")}
    if missing:
        responses["404"] = {"description": "No such public object.", "content": _json("Error")}
    return {"get": {"summary": summary, "parameters": [*parameters, IF_NONE_MATCH],
                    "responses": responses}}


PATHS = {
    "/api/openapi.json": {"get": {
        "summary": "This document.", "parameters": [IF_NONE_MATCH],
        "responses": {"200": {"description": "The OpenAPI document.",
                              "content": {"application/json": {"schema": {"type": "object"}}}},
                      "304": {"description": "Not modified."}}}},
    "/api/proposals": _get("Published proposals, newest first.", "ProposalPage",
                           [PAGE, PER_PAGE], paged=True),
    "/api/proposals/{proposal_id}": _get("One published proposal.", "Proposal",
                                         [_id("proposal_id")], missing=True),
    "/api/projects": _get("Published shared projects, coming ones first.", "ProjectPage",
                          [PAGE, PER_PAGE], paged=True),
    "/api/projects/{project_id}": _get("One published shared project, with its sessions.",
                                       "Project", [_id("project_id")], missing=True),
    "/api/consultations": _get("Announced consultations, the latest to close first.",
                               "ConsultationPage", [PAGE, PER_PAGE], paged=True),
    "/api/consultations/{consultation_id}": _get(
        "One announced consultation; turnout and results once published.",
        "ConsultationDetail", [_id("consultation_id")], missing=True),
    "/api/consultations/{consultation_id}/ballots": _get(
        "The contents of the ballots (50 a page), ordered by content, never beside a "
        "tracker; once results are published.", "BallotContentPage",
        [_id("consultation_id"), PAGE], missing=True, paged=True),
    "/api/consultations/{consultation_id}/trackers": _get(
        "The trackers of the ballots (50 a page), apart from their contents; once results "
        "are published.", "TrackerPage", [_id("consultation_id"), PAGE], missing=True,
        paged=True),
    "/api/decisions": _get("The published register of decisions, newest first.",
                           "DecisionPage", [PAGE, PER_PAGE], paged=True),
    "/api/action-sheets": _get("Fiches action validated by the Conseil and later ones, "
                               "newest first.", "ActionSheetPage", [PAGE, PER_PAGE],
                               paged=True),
    "/api/action-sheets/{sheet_id}": _get("One public fiche action, with the chain it "
                                          "belongs to.", "ActionSheetDetail",
                                          [_id("sheet_id")], missing=True),
}
# The detail of a project carries its sessions and proposals too.
SCHEMAS["ProjectDetail"] = {"allOf": [ref("Project"), obj({
    "sessions": array(obj({"title": STRING, "starts_at": TIME, "ends_at": TIME,
                           "place": STRING})),
    "proposals": array(obj({"id": INTEGER, "api_url": URL})),
})]}
SCHEMAS["ProjectDetail"]["allOf"][1].pop("additionalProperties")
SCHEMAS["Project"]["additionalProperties"] = True
PATHS["/api/projects/{project_id}"]["get"]["responses"]["200"]["content"] = _json(
    "ProjectDetail")


def document(server: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Participation Calaisis — open data",
            "version": "1.0.0",
            "description": "Public data of the participation platform of the social "
                           "centres of the Calaisis: proposals, shared projects, "
                           "consultations and their results, the Conseil's register of "
                           "decisions, fiches action. Read only; no personal data beyond "
                           "public pseudonyms; breakdowns below 5 people read \"< 5\".",
            "license": {"name": "Licence Ouverte / Etalab 2.0",
                        "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"},
        },
        "servers": [{"url": server.rstrip("/").removesuffix("/api") or "/"}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }
