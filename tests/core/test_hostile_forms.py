"""Every form of the site, fed through its real route with what attackers and clumsy
fingers send (issue 10, item 2).

For each WTForms class (found by walking participation/*/forms.py, so a new form
without a scenario here fails ``test_every_form_has_a_scenario``), the page that
shows it is opened as a person allowed to use it, the form is read from the HTML
(its action, its fields and their current values, required fields filled), then
each field in turn is replaced by every hostile value of its kind and posted.
What must hold, for every single post:

- never a 500;
- refused (the form shown again, or a 4xx) → a message in words, and every table
  has the same number of rows as before;
- no NUL character ever reaches the database (a cursor listener watches every
  statement: PostgreSQL refuses them, SQLite would store them).

One raw request body with broken UTF-8 is also posted to each form.
"""

import importlib
import io
import pkgutil
import struct
import time
import zlib
from datetime import timedelta
from functools import cached_property
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from PIL import Image
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FileField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TimeField,
)

import participation
from participation.core.models import utcnow
from participation.extensions import db
from tests import factories

# ------------------------------------------------------------------ the hostile values

LONG = "Long " + "é" * 100_000
TEXT = [
    LONG,
    "Avant\x00après\x00",
    "\x00",
    "Facture\u202egpj.exe et \u2066isolé\u2069",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "'; DROP TABLE users; -- \" OR 1=1 --",
    "1e309",
    "\ufeff\u200b\u200d 𝕏😀 ",
    "{{ 7*7 }} {% raw %} ${7*7}",
    "\ud7ff\ue000\ufffd",
    "99999999999999999999999999, 12",
]
NUMBER = ["1e309", str(10**30), "-1", "-99999999999", "NaN", "inf", "0x10", "12abc", " ", "٣"]
DATE = ["0001-01-01", "9999-12-31", "2026-02-31", "10000-01-01", "-001-01-01", "2026-13-01",
        "31/02/2026", "1e309"]
DATETIME = ["0001-01-01T00:00", "9999-12-31T23:59", "2026-02-31T10:00", "2027-03-28T02:30",
            "0001-01-01T00:00:00", "99999-01-01T00:00", "2026-11-28T25:61"]
TIME = ["25:00", "23:59:60", "-1:00", "12", "1e309"]
CHOICE = [str(10**30), "-1", "999999999", "<script>", "\x00", "1e309", ""]


def _png_bomb() -> bytes:
    """A valid PNG header saying 20000×20000, with a few KB of zlib-compressed zeros."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = zlib.compress(b"\x00" * (1 + 20000) * 64, 9)  # the start of the pixel rows
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 0,
                                                               0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def _image(fmt) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FILES = [
    ("facture.jpg", PDF, "image/jpeg"),                       # a PDF named .jpg
    ("page.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
    ("coupee.png", _image("PNG")[:60], "image/png"),          # a truncated image
    ("bombe.png", _png_bomb(), "image/png"),                  # 20000×20000
    ("vide.jpg", b"", "image/jpeg"),
    ("photo.pdf", _image("JPEG"), "application/pdf"),         # a JPEG named .pdf
    ("script.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
     "image/svg+xml"),
]


def values_for(field) -> list:
    if isinstance(field, FileField):
        return FILES
    if isinstance(field, IntegerField):
        return NUMBER
    if isinstance(field, DateTimeLocalField):
        return DATETIME
    if isinstance(field, DateField):
        return DATE
    if isinstance(field, TimeField):
        return TIME
    if isinstance(field, SelectField | SelectMultipleField | RadioField):
        return CHOICE
    if isinstance(field, BooleanField):
        return ["\x00", "y" * 1000]
    return TEXT


# ------------------------------------------------------------------ the forms of the site

def form_classes() -> dict[str, type]:
    """Every FlaskForm subclass defined in a participation/<domain>/forms.py."""
    found = {}
    for module_info in pkgutil.iter_modules(participation.__path__):
        try:
            module = importlib.import_module(f"participation.{module_info.name}.forms")
        except ModuleNotFoundError:
            continue
        for name, value in vars(module).items():
            if (isinstance(value, type) and issubclass(value, FlaskForm)
                    and value.__module__ == module.__name__):
                found[f"{module_info.name}.{name}"] = value
    return found


class _Forms(HTMLParser):
    """The forms of a page: action, method, and each named control with its value."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get"),
                          "fields": {}, "required": set(), "types": {}}
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            return
        name, fields = a["name"], self._form["fields"]
        if "required" in a:
            self._form["required"].add(name)
        if tag == "button":
            self._form["types"].setdefault(name, "button")
            self._form["fields"].setdefault(name, [a.get("value", "")])
        elif tag == "input":
            kind = a.get("type", "text")
            self._form["types"][name] = kind
            if kind in ("checkbox", "radio"):
                fields.setdefault(name, [])
                if "checked" in a or (kind == "radio" and not fields[name]):
                    if kind == "radio" and "checked" in a:
                        fields[name] = []
                    fields[name].append(a.get("value", "y"))
            elif kind not in ("submit", "button", "file"):
                fields[name] = [a.get("value") or ""]
        elif tag == "select":
            self._select = name
            self._form["types"][name] = "select"
            fields[name] = []
        elif tag == "textarea":
            self._textarea = name
            self._form["types"][name] = "textarea"
            fields[name] = [""]

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea and self._form:
            self._form["fields"][self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class _Options(HTMLParser):
    """The options of each select: the selected one, else the first with a value."""

    def __init__(self):
        super().__init__()
        self.chosen, self._select = {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if "selected" in a or (value and self._select not in self.chosen):
                self.chosen[self._select] = value

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


FILL = {"email": "hostile@example.org", "date": "2027-03-15", "datetime-local":
        "2027-03-15T10:00", "time": "18:30", "number": "1", "password": factories.PASSWORD}


def read_form(html: str, names: set[str], path: str) -> dict:
    """The form of ``html`` that holds the fields ``names``, ready to post."""
    parser = _Forms()
    parser.feed(html)
    options = _Options()
    options.feed(html)
    # Some fields show only in some states (remove the current photo…): the form with
    # most of them; the others are posted all the same.
    form = max(parser.forms, key=lambda f: len(set(f["types"]) & names))
    assert 2 * len(set(form["types"]) & names) >= len(names), (
        f"no form with the fields {sorted(names)}")
    data = {}
    for name, values in form["fields"].items():
        if name in options.chosen and not values:
            values = [options.chosen[name]]
        if not any(values) and name in form["required"]:
            values = [FILL.get(form["types"].get(name), "Texte tout à fait valide")]
        data[name] = values
    return {"action": form["action"] or path, "method": form["method"].lower(), "data": data}


# ------------------------------------------------------------------ a small world to act on

NOW = utcnow()


class World:
    """The people and objects the scenarios need, made on first use."""

    def __init__(self, request):
        self.request = request

    def __getattr__(self, name):  # the cast of tests/conftest.py
        return self.request.getfixturevalue(name)

    @cached_property
    def published(self):
        return factories.proposal(self.inhabitant, moderator=self.animator,
                                  now=NOW - timedelta(days=3))

    @cached_property
    def submitted(self):
        return factories.proposal(self.inhabitant, status="submitted", now=NOW)

    @cached_property
    def draft(self):
        return factories.proposal(self.inhabitant, status="draft", now=NOW)

    @cached_property
    def comment(self):
        from participation.proposals import services

        made = services.add_comment(self.inhabitant, self.published, "Bonne idée.", NOW)
        db.session.commit()
        return made

    @cached_property
    def consultation(self):
        from tests.consultations.helpers import make_consultation

        return make_consultation(self.animator, NOW + timedelta(days=20), schedule=False)

    @cached_property
    def project(self):
        from tests.projects.helpers import make_project

        return make_project(self.animator, NOW - timedelta(days=2))

    @cached_property
    def project_session(self):
        from participation.projects import services

        made = services.add_session(self.project, starts_at=NOW + timedelta(days=31),
                                    ends_at=NOW + timedelta(days=31, hours=2), place="Ici",
                                    title="Réunion")
        db.session.commit()
        return made

    @cached_property
    def meeting(self):
        from participation.council import services
        from participation.council.models import COUNCIL

        made = services.plan_meeting(services.get_body(COUNCIL), self.admin,
                                     starts_at=NOW + timedelta(days=30), place="Salle Matisse")
        db.session.commit()
        return made

    @cached_property
    def past_meeting(self):
        from participation.council import services
        from participation.council.models import COUNCIL

        made = services.plan_meeting(services.get_body(COUNCIL), self.admin,
                                     starts_at=NOW - timedelta(days=2), place="Salle Matisse")
        services.add_agenda_item(made, title="Le budget", text="Vote.")
        db.session.commit()
        return made

    @cached_property
    def item(self):
        from participation.council import services

        made = services.add_agenda_item(self.meeting, title="Le budget", text="Vote.")
        db.session.commit()
        return made

    @cached_property
    def convened_meeting(self):
        from participation.council import services

        assert self.president and self.item  # a member to convene, an agenda to send
        services.send_convocation(self.meeting, self.admin, NOW)
        db.session.commit()
        return self.meeting

    @cached_property
    def members_meeting(self):
        assert self.president and self.director  # members, whose presence is taken
        return self.past_meeting

    @cached_property
    def decision(self):
        from participation.council import services

        made = services.record_decision(self.past_meeting, self.admin, title="Désignation",
                                        text="Le Conseil désigne.", now=NOW)
        db.session.commit()
        return made

    @cached_property
    def requested_means(self):
        from participation.actions import services

        sheet = factories.action_sheet(self.animator, status="draft", now=NOW)
        services.add_means(sheet, kind="requested", what="Un minibus", provider="La CAF")
        services.submit(sheet, self.animator, NOW)
        db.session.commit()
        return sheet

    @cached_property
    def sheet(self):
        return factories.action_sheet(self.animator, status="draft", now=NOW)

    @cached_property
    def submitted_sheet(self):
        return factories.action_sheet(self.animator, now=NOW)

    @cached_property
    def started_sheet(self):
        from participation.actions import services
        from tests.actions.conftest import decide

        sheet = factories.action_sheet(self.animator, now=NOW - timedelta(days=1))
        decide(sheet, self.admin, when=NOW - timedelta(hours=2))
        services.perform(sheet, "start", self.animator, NOW - timedelta(hours=1))
        db.session.commit()
        return sheet

    @cached_property
    def setup_code(self):
        from participation.accounts import services

        person = factories.UserFactory(pseudonym="Accompagnée")
        code = services.issue_setup_code(self.animator, person, NOW)
        db.session.commit()
        return person, code

    @cached_property
    def two_factor_user(self):
        """An animator who turned two-step verification on."""
        import pyotp

        from participation.accounts import security
        from participation.core.models import utcnow

        person = self.animator
        secret = security.start_setup(person)
        security.confirm_setup(person, pyotp.TOTP(secret).now(), utcnow())
        db.session.commit()
        return person

    @cached_property
    def reset_token(self):
        from participation.accounts.tokens import fingerprint, make_token

        user = self.inhabitant
        return make_token("reset", uid=user.id, pw=fingerprint(user.password_hash))


# Each form: who uses it, the page that shows it, and (prefix) the name prefix of its
# fields on that page. Pages take a World and return a path.
S = dict
SCENARIOS = {
    # accounts
    "accounts.RegisterForm": S(role=None, page=lambda w: "/inscription"),
    "accounts.LoginForm": S(role=None, page=lambda w: "/connexion"),
    "accounts.ForgotPasswordForm": S(role=None, page=lambda w: "/mot-de-passe-oublie"),
    "accounts.NewPasswordForm": S(role=None, page=lambda w: f"/mot-de-passe/{w.reset_token}"),
    "accounts.SetupCodeForm": S(role=None, page=lambda w: "/code"),
    "accounts.ChangePasswordForm": S(role="inhabitant", page=lambda w: "/compte/mot-de-passe"),
    "accounts.ChangeEmailForm": S(role="inhabitant", page=lambda w: "/compte/email"),
    "accounts.ProfileForm": S(role="inhabitant", page=lambda w: "/compte/profil"),
    "accounts.DeleteAccountForm": S(role="inhabitant", page=lambda w: "/compte/mes-donnees"),
    "accounts.LanguageForm": S(role="inhabitant", page=lambda w: "/"),
    "accounts.SearchPeopleForm": S(role="animator", page=lambda w: "/accueil"),
    # Done, it shows the person's code sheet (a 200 too).
    "accounts.AssistedAccountForm": S(role="animator", done_is_200=True,
                                      page=lambda w: "/accueil/compte-accompagne"),
    "accounts.VerifyResidenceForm": S(
        role="animator", page=lambda w: f"/accueil/habitant/{w.inhabitant.id}/verifier"),
    "accounts.GrantRoleForm": S(role="admin", page=lambda w: "/admin/roles"),
    "accounts.TwoFactorSetupForm": S(role="animator", page=lambda w: "/compte/securite/activer"),
    "accounts.DisableTwoFactorForm": S(role="two_factor_user", page=lambda w: "/compte/securite"),
    # Between the password and the code: no one is logged in yet.
    "accounts.TwoFactorCodeForm": S(role=None, page=lambda w: "/connexion/code",
                                    then=lambda w, session: session.update(pending_login={
                                        "uid": w.two_factor_user.id,
                                        "token": w.two_factor_user.session_token,
                                        "at": time.time(), "remember": False, "next": None})),
    # The password typed long ago: a sensitive page asks for it again.
    "accounts.ReauthenticateForm": S(role="animator", prefix="reauth-",
                                     page=lambda w: "/compte/securite/activer",
                                     then=lambda w, session: session.update(auth_at=0)),
    # proposals and moderation
    "proposals.ProposalForm": S(role="inhabitant", page=lambda w: "/propositions/nouvelle"),
    "proposals.ModerationForm": S(role="animator",
                                  page=lambda w: f"/propositions/{w.submitted.id}"),
    "proposals.AnswerForm": S(role="animator", page=lambda w: f"/propositions/{w.published.id}"),
    "proposals.CommentForm": S(role="verified",
                               page=lambda w: f"/propositions/{w.published.id}"),
    "proposals.ReportForm": S(role="verified",
                              page=lambda w: f"/propositions/{w.published.id}/signaler"),
    "proposals.FilterForm": S(role=None, page=lambda w: "/propositions"),
    "proposals.ThemeForm": S(role="admin", page=lambda w: "/admin/themes/nouveau"),
    # consultations
    "consultations.ConsultationForm": S(role="animator", page=lambda w: "/consultations/nouvelle"),
    "consultations.QuestionForm": S(
        role="animator",
        page=lambda w: f"/consultations/{w.consultation.id}/questions/ajouter"),
    # projects
    "projects.ProjectForm": S(role="animator", page=lambda w: "/projets/nouveau"),
    "projects.JoinForm": S(role="verified",
                           page=lambda w: f"/projets/{w.project.id}/inscription"),
    "projects.SessionForm": S(role="animator", page=lambda w: f"/projets/{w.project.id}/seances"),
    "projects.CancelForm": S(role="animator", page=lambda w: f"/projets/{w.project.id}/annuler"),
    "projects.MessageForm": S(role="animator", page=lambda w: f"/projets/{w.project.id}/message"),
    "projects.NewsForm": S(role="animator",
                           page=lambda w: f"/projets/{w.project.id}/actualites/nouvelle"),
    "projects.HelpForm": S(role="verified", page=lambda w: f"/projets/{w.project.id}/aider"),
    "projects.FilterForm": S(role=None, page=lambda w: "/projets"),
    # council
    "council.MeetingForm": S(role="admin", page=lambda w: "/conseil/reunions/nouvelle/conseil"),
    "council.AgendaItemForm": S(
        role="admin", page=lambda w: f"/conseil/reunions/{w.meeting.id}/ordre-du-jour"),
    "council.GuestForm": S(
        role="admin",
        page=lambda w: f"/conseil/reunions/{w.meeting.id}/points/{w.item.id}/invites"),
    "council.AnswerForm": S(role="president",
                            page=lambda w: f"/conseil/reunions/{w.convened_meeting.id}"),
    "council.AttendanceForm": S(
        role="admin", page=lambda w: f"/conseil/reunions/{w.members_meeting.id}/presences"),
    "council.DecisionForm": S(
        role="admin",
        page=lambda w: f"/conseil/reunions/{w.past_meeting.id}/decisions/nouvelle"),
    "council.MinutesForm": S(
        role="admin", page=lambda w: f"/conseil/reunions/{w.past_meeting.id}/compte-rendu"),
    "council.DesignationForm": S(role="admin",
                                 page=lambda w: w.decision and w.president
                                 and "/conseil/designations"),
    "council.RepresentativeForm": S(role="admin", page=lambda w: "/conseil/representants/nouveau"),
    "council.RegisterFilterForm": S(role=None, page=lambda w: "/conseil/decisions"),
    # fiches action
    "actions.SheetForm": S(role="animator", page=lambda w: "/fiches-action/nouvelle"),
    "actions.ObjectiveForm": S(role="animator", prefix="objective-",
                               page=lambda w: f"/fiches-action/{w.sheet.id}"),
    "actions.ActorForm": S(role="animator", prefix="actor-",
                           page=lambda w: f"/fiches-action/{w.sheet.id}"),
    "actions.MeansForm": S(role="animator", prefix="means-",
                           page=lambda w: f"/fiches-action/{w.sheet.id}"),
    "actions.MilestoneForm": S(role="animator", prefix="milestone-",
                               page=lambda w: f"/fiches-action/{w.sheet.id}"),
    "actions.AgreementForm": S(role="animator", prefix="agreement-",
                               page=lambda w: f"/fiches-action/{w.submitted_sheet.id}"),
    "actions.RequestStatusForm": S(role="admin",
                                   page=lambda w: f"/fiches-action/{w.requested_means.id}"),
    "actions.AbandonForm": S(role="animator",
                             page=lambda w: f"/fiches-action/{w.started_sheet.id}"),
    "actions.CompleteForm": S(role="animator",
                              page=lambda w: f"/fiches-action/{w.started_sheet.id}"),
    "actions.EmptyForm": S(role="animator", page=lambda w: f"/fiches-action/{w.sheet.id}"),
    # territory and results
    "territory.CommuneForm": S(role="admin", page=lambda w: "/admin/territoire/commune/1"),
    "territory.OrganisationForm": S(role="admin",
                                    page=lambda w: "/admin/territoire/organisation/nouvelle"),
    "results.PeriodForm": S(role="admin", page=lambda w: "/resultats"),
}


def test_every_form_has_a_scenario():
    assert set(form_classes()) == set(SCENARIOS), (
        "forms without a hostile-input scenario (or scenarios of removed forms): "
        f"{sorted(set(form_classes()) ^ set(SCENARIOS))}")


# ------------------------------------------------------------------ the checks

def _row_counts() -> dict[str, int]:
    tables = sorted(db.metadata.tables)
    counts = ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables)  # noqa: S608
    row = db.session.execute(sa.text(f"SELECT {counts}")).one()
    return dict(zip(tables, row, strict=True))


@pytest.fixture
def nul_watch(session):
    """Every statement's parameters, checked for NUL characters."""
    seen = []

    def check(conn, cursor, statement, parameters, context, executemany):
        def strings(value):
            if isinstance(value, str):
                yield value
            elif isinstance(value, dict):
                for item in value.values():
                    yield from strings(item)
            elif isinstance(value, list | tuple):
                for item in value:
                    yield from strings(item)

        if any("\x00" in text for text in strings(parameters)):
            seen.append(statement.split("\n")[0][:80])

    sa.event.listen(db.engine, "before_cursor_execute", check)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", check)


def _post(client, form, data, files=None):
    payload = {k: v for k, v in data.items()}
    if files:
        payload.update(files)
    if form["method"] == "get":
        return client.get(form["action"], query_string=payload)
    return client.post(form["action"], data=payload,
                       content_type="multipart/form-data" if files else None)


def _refused_in_words(response) -> bool:
    html = response.get_data(as_text=True)
    return ('class="error"' in html or 'class="form-errors"' in html
            or "flash-error" in html or response.status_code >= 400)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_hostile_values_in_every_field(name, request, client, login, nul_watch):
    scenario, form_class = SCENARIOS[name], form_classes()[name]
    world = World(request)
    path = scenario["page"](world)
    if scenario["role"]:
        login(getattr(world, scenario["role"]))
    if scenario.get("then"):  # a session set up beyond logging in
        with client.session_transaction() as flask_session:
            scenario["then"](world, flask_session)
    prefix = scenario.get("prefix", "")
    with request.getfixturevalue("app").test_request_context():
        fields = {field.name: field for field in form_class(prefix=prefix.rstrip("-"))
                  if not field.name.endswith("csrf_token")}
    page = client.get(path)
    assert page.status_code == 200, f"{name}: {path} gave {page.status_code}"
    form = read_form(page.get_data(as_text=True), set(fields), path)
    failures = []
    tries = [(field_name, value) for field_name, field in fields.items()
             for value in values_for(field)]
    for field_name, value in tries:
        data, files = dict(form["data"]), None
        if isinstance(value, tuple):
            filename, content, mimetype = value
            files = {field_name: (io.BytesIO(content), filename, mimetype)}
        else:
            data[field_name] = value
        before = _row_counts()
        response = _post(client, form, data, files)
        label = f"{field_name}={value[0] if isinstance(value, tuple) else value[:40]!r}"
        if response.status_code >= 500:
            failures.append(f"{label}: {response.status_code}")
            continue
        if form["method"] == "post" and (
                response.status_code >= 400 or response.status_code == 200 and (
                    not scenario.get("done_is_200") or _refused_in_words(response))):
            if not _refused_in_words(response):
                failures.append(f"{label}: refused without a message")
            after = _row_counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            if changed:
                failures.append(f"{label}: refused but rows changed {changed}")
    # Broken UTF-8 in a raw body, every field at once.
    if form["method"] == "post":
        raw = b"&".join(k.encode() + b"=%FF%FE%C0%AF\xff\xfe" for k in fields)
        response = client.post(form["action"], data=raw,
                               content_type="application/x-www-form-urlencoded")
        if response.status_code >= 500:
            failures.append(f"broken UTF-8: {response.status_code}")
    else:
        response = client.get(form["action"] + "?" + "&".join(f"{k}=%FF%FE%00" for k in fields))
        if response.status_code >= 500:
            failures.append(f"broken UTF-8 in the query: {response.status_code}")
    assert nul_watch == [], f"{name}: NUL reached the database: {nul_watch[:5]}"
    assert failures == [], f"{name} at {form['action']}:\n" + "\n".join(failures)


def test_ids_too_large_for_the_database_are_not_found(client, login, admin):
    login(admin)
    for path in (f"/propositions/{10**30}", f"/projets/{2**63}", f"/fiches-action/{2**31}",
                 f"/conseil/reunions/{10**20}/presences"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/propositions?page={10**30}").status_code == 200


# Values read straight from the request, outside WTForms: ids in query strings and
# hidden fields, the ballot, attendance. Digits that int() refuses ("²" passes
# str.isdigit) and numbers beyond any id.
ODD_NUMBERS = ["²", "¹²", str(10**30), "9" * 5000, "-1", "1e309", "\x00", "%FF"]


def test_hostile_values_outside_the_forms(request, client, login):
    world = World(request)
    proposal, comment, sheet = world.published, world.comment, world.sheet
    project, project_session = world.project, world.project_session
    cases = [
        ("admin", "get", "/fiches-action", "centre"),
        ("admin", "get", "/fiches-action", "commune"),
        ("admin", "get", "/fiches-action/nouvelle", "proposition"),
        ("admin", "get", "/fiches-action/moyens-demandes", "partenaire"),
        ("admin", "post", f"/moderation/signalements/{proposal.id}", "comment"),
        ("verified", "post", f"/propositions/{proposal.id}/commentaires", "parent"),
        ("verified", "get", f"/propositions/{proposal.id}/signaler", "commentaire"),
        ("animator", "post",
         f"/projets/{project.id}/seances/{project_session.id}/presences", "present"),
        (None, "get", "/api/proposals", "page"),
        (None, "get", "/api/proposals", "per_page"),
        (None, "get", "/propositions", "page"),
        (None, "get", f"/propositions/{proposal.id}", "page"),
        (None, "get", f"/propositions/{proposal.id}/commentaires/{comment.id}/reponses", "page"),
    ]
    failures = []
    for role, method, path, name in cases:
        login(getattr(world, role)) if role else client.get("/deconnexion")
        for value in ODD_NUMBERS:
            data = {name: value, "body": "Une réponse.", "decision": "keep"}
            response = (client.get(path, query_string={name: value}) if method == "get"
                        else client.post(path, data=data))
            if response.status_code >= 500:
                failures.append(f"{method} {path} {name}={value[:20]!r}")
    assert comment and sheet and failures == [], failures


def test_too_long_is_refused_in_words_not_cut(client, login, animator, session):
    """Text read outside WTForms was cut silently (a centre's role in a project at 300
    characters, 50 proposal numbers): now refused, with what was typed kept."""
    from participation.projects.models import SharedProject
    from tests.projects.helpers import centre

    login(animator)
    matisse = centre("Matisse")
    page = client.get("/projets/nouveau")
    form = read_form(page.get_data(as_text=True), {"title", "description"}, "/projets/nouveau")
    data = {**form["data"], "title": "Sortie à la mer", "description": "Une journée.",
            "place": "Wissant", "centres": [str(matisse.id)],
            "starts_at": "2027-06-01T09:00", "ends_at": "2027-06-01T18:00",
            "registration_opens_at": "2027-05-01T09:00",
            "registration_closes_at": "2027-05-20T18:00",
            f"role_{matisse.id}": "r" * 301}
    before = session.scalar(sa.select(sa.func.count()).select_from(SharedProject))
    response = client.post("/projets/nouveau", data=data)
    assert response.status_code == 200
    assert "300" in response.get_data(as_text=True) and "r" * 301 in response.get_data(
        as_text=True)
    data.update({f"role_{matisse.id}": "organise", "proposals": " ".join(["1"] * 51)})
    response = client.post("/projets/nouveau", data=data)
    assert response.status_code == 200 and "50" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(SharedProject)) == before
