"""Stored XSS in a real browser (issue 10, item 3).

A corpus of known filter-evasion payloads is stored in every text field a person
controls (proposals, comments, reports, answers and moderation reasons; projects,
their news, sessions, help offers and registrations; consultations, their questions
and options; Conseil meetings, agenda items, guests, decisions and minutes; fiches
action and their parts; pseudonyms), mostly through the services for speed and at
least once per domain through the real form in the browser. Then every page that
shows them is opened in Chromium, twice: with the Content-Security-Policy bypassed
(so an escaping mistake would really run) and with it enforced (as in production, so
the browser reports any blocked script). The test fails if:

- a dialog opens (alert, confirm, prompt);
- the exposed function ``xssHit`` is called, or ``window.__xss`` is set;
- a ``securitypolicyviolation`` event fires for anything but styles;
- the page holds an element with an ``on…`` attribute, or a link, frame, object or
  form pointing to a javascript:, vbscript: or data: address.
"""

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from participation.accounts.models import Role, User
from participation.accounts.services import pseudonym_key
from participation.core.http import clean_input
from participation.core.models import utcnow
from participation.extensions import db
from participation.territory.models import Centre, Commune
from tests.e2e.conftest import CHROMIUM  # noqa: F401 (the same browser set-up)
from tests.e2e.helpers import log_in, log_out
from tests.factories import PASSWORD_HASH

# Known filter evasions: case and encoding tricks, event handlers, script-bearing URLs
# with entities and whitespace, SVG and MathML, mutation XSS through noscript, template
# and style, Markdown link and image tricks, unicode escapes.
CORPUS = [
    "<script>xssHit('script')</script>",
    "<ScRiPt>xssHit('case')</sCrIpT>",
    "<script src=data:text/javascript,xssHit('src')></script>",
    "<<script>script>xssHit('nested')<</script>/script>",
    "\"><script>xssHit('break-attr')</script>",
    "'><img src=x onerror=xssHit('break-single')>",
    "<img src=x onerror=xssHit('img')>",
    "<IMG SRC=x ONERROR=\"xssHit('IMG')\">",
    "<img src=x onerror=&#x78;ssHit('entity-handler')>",
    "<svg onload=xssHit('svg')>",
    "<svg><script>xssHit('svg-script')</script></svg>",
    "<svg><animate onbegin=xssHit('animate') attributeName=x dur=1s>",
    "<svg><a xlink:href=\"javascript:xssHit('svg-a')\"><text y=20>svg</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=xssHit('mathml')>",
    "<math href=\"javascript:xssHit('math-href')\">math</math>",
    "<noscript><p title=\"</noscript><img src=x onerror=xssHit('noscript')>\">",
    "<template><img src=x onerror=xssHit('template')></template>",
    "<style><img src=x onerror=xssHit('style')></style>",
    "<iframe srcdoc=\"<script>parent.xssHit('srcdoc')</script>\"></iframe>",
    "<iframe src=\"javascript:parent.xssHit('iframe')\"></iframe>",
    "<details open ontoggle=xssHit('details')>",
    "<input autofocus onfocus=xssHit('focus')>",
    "<body onload=xssHit('body')>",
    "<object data=\"javascript:xssHit('object')\"></object>",
    "<embed src=\"javascript:xssHit('embed')\">",
    "<form action=\"javascript:xssHit('form')\"><button>envoyer</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:xssHit('meta')\">",
    "<base href=\"javascript:xssHit('base')//\">",
    "<a href=\"javascript:xssHit('a')\">lien a</a>",
    "<a href=\"jav&#x09;ascript:xssHit('tab-entity')\">lien tab</a>",
    "<a href=\" &#14;  javascript:xssHit('leading-space')\">lien espace</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:xssHit('dec')\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">lien vb</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">lien data</a>",
    "[markdown](javascript:xssHit('md'))",
    "[markdown espaces](  JaVaScRiPt:xssHit('md-case')  )",
    "[markdown entité](&#106;avascript:xssHit('md-entity'))",
    "[markdown data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[markdown vb](vbscript:msgbox(1))",
    "![image](x\" onerror=\"xssHit('md-img'))",
    "[titre](https://example.org \"\" onmouseover=\"xssHit('md-title')\")",
    "<https://example.org/\"onmouseover=\"xssHit('autolink')>",
    "[ref]\n\n[ref]: javascript:xssHit('md-ref')",
    "\\u003cscript\\u003exssHit('unicode-escape')\\u003c/script\\u003e",
    "＜script＞xssHit('fullwidth')＜/script＞",
    "<scr\x00ipt>xssHit('nul')</scr\x00ipt>",
    "<!--<img src=\"--><img src=x onerror=xssHit('comment')//\">",
    "<a href=\"#\" onclick=\"xssHit('click')\">clic</a>",
    "`<img src=x onerror=xssHit('code')>`",
    "{{ config }} {{ 7*7 }} ${7*7}",
]
# For one-line fields with a short maximum (titles, pseudonyms, places…).
SHORT = [
    "<svg onload=xssHit(1)>",
    "<img src=x onerror=xssHit(2)>",
    "<script>xssHit(3)</script>",
    "\"><svg onload=xssHit(4)>",
    "<a href=javascript:xssHit(5)>a</a>",
    "[m](javascript:xssHit(6))",
    "<details open ontoggle=xssHit(7)>",
    "'-xssHit(8)-'",
]
# As a request delivers them: without NUL and other controls (CleanRequest removes them;
# tests/core/test_hostile_forms.py checks that), which PostgreSQL would refuse anyway.
LONG = clean_input("\n\n".join(CORPUS))  # Markdown texts of up to 10,000 characters
MID = LONG[:1900]                         # texts of up to 2,000 characters


def short(index: int, tag: str = "") -> str:
    return f"{SHORT[index % len(SHORT)]}{tag}"


# ------------------------------------------------------------------ the browser side

WATCH = """
window.addEventListener('securitypolicyviolation', (e) => {
  if (!e.violatedDirective.startsWith('style-src')) {
    window.xssHit('csp ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
  }
});
"""

SCAN = """() => {
  const found = [];
  const bad = /^\\s*(javascript|vbscript|data):/i;
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.toLowerCase().startsWith('on')) found.push(el.tagName + ' ' + attr.name);
      if (['href', 'src', 'action', 'data', 'formaction', 'xlink:href', 'srcdoc']
            .includes(attr.name.toLowerCase())
          && (bad.test(attr.value) || attr.name === 'srcdoc')
          && el.tagName !== 'IMG')  // inline data: images are allowed by the CSP
        found.push(el.tagName + ' ' + attr.name + '=' + attr.value.slice(0, 40));
    }
  }
  for (const a of document.querySelectorAll('a[href]')) {
    if (['javascript:', 'vbscript:', 'data:'].includes(a.protocol))
      found.push('A ' + a.href.slice(0, 40));
  }
  if (document.querySelector('script:not([src])')) found.push('inline script');
  if (window.__xss !== undefined) found.push('window.__xss');
  return found;
}"""


class Watched:
    """Pages in two contexts (CSP bypassed, CSP enforced), both listening for scripts."""

    def __init__(self, browser, base_url):
        self.hits = []
        self.pages = []
        for bypass in (True, False):
            context = browser.new_context(viewport={"width": 360, "height": 740},
                                          locale="fr-FR", base_url=base_url,
                                          bypass_csp=bypass)
            context.expose_binding(
                "xssHit", lambda source, what, bypass=bypass: self.hits.append(
                    (bypass, source["page"].url, str(what))))
            context.add_init_script(WATCH)
            page = context.new_page()
            page.on("dialog", lambda dialog, bypass=bypass: (
                self.hits.append((bypass, dialog.page.url if hasattr(dialog, "page") else "",
                                  f"dialog {dialog.type}: {dialog.message}")),
                dialog.dismiss()))
            self.pages.append(page)

    @property
    def page(self):
        """The page used to fill forms (CSP bypassed: what would run, runs)."""
        return self.pages[0]

    def visit(self, paths, problems):
        for page in self.pages:
            for path in paths:
                response = page.goto(path)
                if response.status != 200:  # the payloads must really be looked at
                    problems.append((path, response.status))
                # Let timers, focus and animation handlers fire if anything slipped in.
                page.wait_for_timeout(50)
                found = page.evaluate(SCAN)
                if found:
                    problems.append((path, found))

    def log_in(self, email):
        for page in self.pages:
            log_in(page, email)

    def log_out(self):
        for page in self.pages:
            log_out(page)

    def close(self):
        for page in self.pages:
            page.context.close()


@pytest.fixture
def watched(live_app, browser):
    made = Watched(browser, live_app.config["SITE_URL"])
    yield made
    made.close()


# ------------------------------------------------------------------ seeding

def _person(tag, name, pseudonym=None, *, kind=None, centre="Matisse", admin=False):
    pseudonym = pseudonym or f"{name} {tag}"
    email = f"{name.lower()}.{tag}@example.org"
    user = User(email=email, pseudonym=pseudonym, pseudonym_key=pseudonym_key(pseudonym),
                password_hash=PASSWORD_HASH, email_confirmed_at=utcnow(), locale="fr",
                is_admin=admin, birth_year=1990,
                commune=db.session.scalar(sa.select(Commune).where(Commune.name == "Calais")))
    db.session.add(user)
    if kind:
        db.session.add(Role(user=user, kind=kind, organisation=db.session.scalar(
            sa.select(Centre).where(Centre.short_name == centre))))
    db.session.flush()
    return user


def seed(live_app, tag):
    """Payloads in every text field, through the services; returns the ids and emails."""
    from participation.accounts.services import verify_residence
    from participation.actions import services as actions
    from participation.consultations import services as consultations
    from participation.council import services as council
    from participation.council.models import COUNCIL
    from participation.projects import services as projects
    from participation.proposals import services as proposals
    from participation.proposals.models import Theme
    from participation.territory.models import Partner
    from tests.e2e.helpers import designate_president

    ids = {}
    with live_app.app_context():
        now = utcnow()
        matisse = db.session.scalar(sa.select(Centre).where(Centre.short_name == "Matisse"))
        calais = db.session.scalar(sa.select(Commune).where(Commune.name == "Calais"))
        admin = _person(tag, "Admin", admin=True)
        animator = _person(tag, "Anim", f"<svg onload=xssHit('pseudo-a')>{tag}",
                           kind="animator")
        president = _person(tag, "Pres", f"<img src=x onerror=xssHit(9)>{tag}",
                            kind="president")
        author = _person(tag, "Auteur", f"\"><script>xssHit('pseudo')</script>{tag}")
        neighbour = _person(tag, "Voisin", f"<b onmouseover=xssHit(10)>{tag}")
        verify_residence(animator, neighbour, matisse, calais, now)
        verify_residence(animator, author, matisse, calais, now)
        theme = db.session.scalar(sa.select(Theme).order_by(Theme.id))

        # Proposals, comments, reports, answers, moderation reasons.
        def proposal(title, status):
            made = proposals.create_proposal(author, proposals.ProposalData(
                title=title, body=LONG, theme=theme, commune=calais, centre=matisse),
                now - timedelta(days=2))
            if status != "draft":
                proposals.submit(made, author, now - timedelta(days=2))
            if status == "published":
                proposals.publish(made, animator, now - timedelta(days=1))
            return made

        published = proposal(f"Idée {short(0, tag)}", "published")
        proposals.answer(published, animator, "under_study", MID, now)
        comment = proposals.add_comment(neighbour, published, MID, now)
        proposals.report(neighbour, published, "off_topic", short(1), now)
        proposals.report(author, published, "insult", short(2), now, comment=comment)
        sent_back = proposal(f"Renvoyée {short(3, tag)}", "submitted")
        proposals.request_changes(sent_back, animator, MID, now)
        rejected = proposal(f"Refusée {short(4, tag)}", "submitted")
        proposals.reject(rejected, animator, MID, now)
        waiting = proposal(f"En attente {short(5, tag)}", "submitted")
        ids.update(published=published.id, sent_back=sent_back.id, rejected=rejected.id,
                   waiting=waiting.id)

        # Shared projects: description, place, contact, news, sessions, help, registration.
        def project_data(title, **more):
            return projects.ProjectData(
                title=title, description=LONG, place=short(6), contact=short(7),
                starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=31),
                registration_opens_at=now - timedelta(days=1),
                registration_closes_at=now + timedelta(days=20),
                centres=[(matisse, short(0))], communes=[calais], theme=theme, **more)

        project = projects.create_project(animator, project_data(f"Projet {short(1, tag)}"),
                                          now - timedelta(days=2))
        projects.publish_project(project, animator, now - timedelta(days=2))
        projects.add_session(project, starts_at=now + timedelta(days=30, hours=1),
                             ends_at=now + timedelta(days=30, hours=3), place=short(2),
                             title=short(3))
        projects.post_news(project, animator, short(4), LONG, now)
        projects.offer_help(project, neighbour, "skill", MID, now)
        projects.join(project, author, now, message=MID)
        cancelled = projects.create_project(animator, project_data(f"Annulé {short(5, tag)}"),
                                            now - timedelta(days=2))
        projects.publish_project(cancelled, animator, now - timedelta(days=2))
        projects.join(cancelled, neighbour, now)
        projects.cancel_project(cancelled, animator, MID, now)
        ids.update(project=project.id, cancelled=cancelled.id)

        # Consultations: title, description, questions, options and grades.
        consultation = consultations.create_consultation(
            animator, organisation=matisse, title=f"Consultation {short(6, tag)}",
            description=LONG, opens_at=now + timedelta(days=1),
            closes_at=now + timedelta(days=8), communes=[calais], verified_only=False,
            min_age=None)
        consultations.add_question(consultation, now, kind="single", text=short(7),
                                   options="\n".join(SHORT[:4]), max_choices=None, grades="")
        consultations.add_question(consultation, now, kind="judgment", text=short(0),
                                   options="\n".join(SHORT[4:]), max_choices=None,
                                   grades="\n".join(SHORT[:6]))
        consultations.schedule_consultation(consultation, now)
        ids.update(consultation=consultation.id,
                   question=consultation.questions[0].id)

        # The Conseil: meetings, agenda, guests, decisions, minutes, representatives.
        designate_president(admin, president, tag, now)
        body = council.get_body(COUNCIL)
        coming = council.plan_meeting(body, admin, starts_at=now + timedelta(days=30),
                                      place=short(1, tag))
        item = council.add_agenda_item(coming, title=short(2), text=LONG, presenter=short(3))
        council.invite_guest(item, name=short(4), organisation=short(5), reason=short(6))
        council.send_convocation(coming, admin, now)
        council.answer_convocation(coming, president, "represented", short(7), now)
        held = council.plan_meeting(body, admin, starts_at=now - timedelta(hours=3),
                                    place=short(0, tag))
        held_item = council.add_agenda_item(held, title=short(1), text=LONG)
        decision = council.record_decision(held, admin, title=f"Décision {short(2, tag)}",
                                           text=LONG, agenda_item=held_item, now=now)
        council.publish_decisions(held, now)
        council.save_minutes(held, admin, LONG, "public", now)
        council.publish_minutes(held, now)
        ids.update(coming=coming.id, held=held.id, decision=decision.id, item=item.id)

        # Fiches action: every text of a sheet and its parts.
        sheet = actions.create_sheet(animator, actions.SheetData(
            title=f"Fiche {short(3, tag)}", summary=LONG, context=LONG, communes=[calais],
            proposals=[]), now)
        actions.add_objective(sheet, text=short(4), indicator=short(5), target=short(6))
        actions.add_actor(sheet, organisation=matisse, role=short(7), is_lead=True)
        actions.add_actor(sheet, group=short(0), role=short(1))
        partner = db.session.scalar(sa.select(Partner).order_by(Partner.id))
        actions.add_means(sheet, kind="requested", what=short(2),
                          organisation=partner, provider=None if partner else short(3),
                          amount_cents=12345)
        actions.add_means(sheet, kind="own", what=short(4), provider=short(5))
        actions.add_milestone(sheet, title=short(6), due_on=date.today() + timedelta(days=60))
        draft_sheet = actions.create_sheet(animator, actions.SheetData(
            title=f"Brouillon {short(7, tag)}", summary=LONG), now)
        actions.add_objective(draft_sheet, text="Objectif", indicator="Mesure", target="Cible")
        actions.add_actor(draft_sheet, organisation=matisse, role="Porte", is_lead=True)
        actions.submit(sheet, animator, now)
        ids.update(sheet=sheet.id, draft_sheet=draft_sheet.id)
        db.session.commit()
        ids.update(admin=admin.email, animator=animator.email, author=author.email,
                   neighbour=neighbour.email, president=president.email)
    return ids


# ------------------------------------------------------------------ through the real forms

def _submit(page, field_selector):
    page.locator(f"form:has({field_selector}) button[type=submit]").last.click()
    _saved(page)


def _saved(page):
    errors = page.locator("main .error, main .form-errors, main .flash-error")
    assert errors.count() == 0, f"{page.url}: {errors.all_inner_texts()}"


def through_the_forms(w, ids, tag):
    """At least one payload per domain typed into the real form, in the browser."""
    page = w.page
    w.log_in(ids["author"])
    # accounts: the pseudonym, on the profile page.
    page.goto("/compte/profil")
    page.fill("#pseudonym", f"<svg/onload=xssHit(11)>{tag}"[:40])
    _submit(page, "#pseudonym")
    assert page.locator(".flash-success").count() == 1, "the pseudonym was refused"
    # proposals: a new proposal and a comment.
    page.goto("/propositions/nouvelle")
    page.fill("#title", f"Par le formulaire {short(5, tag)}")
    page.fill("#body", LONG)
    page.select_option("#theme", index=1)
    page.select_option("#centre", label="Matisse (Calais)")
    _submit(page, "#title")
    ids["form_proposal"] = page.url.rsplit("/", 1)[-1]
    page.locator("form[action$='/envoyer'] button").click()
    page.goto(f"/propositions/{ids['published']}")
    page.fill("#body", MID)
    page.locator(f"form[action='/propositions/{ids['published']}/commentaires'] button").last \
        .click()
    _saved(page)
    # projects: a help offer.
    page.goto(f"/projets/{ids['project']}/aider")
    page.locator("input[name=kind]").first.check()
    page.fill("#text", MID)
    _submit(page, "#text")
    w.log_out()

    w.log_in(ids["animator"])
    # moderation: a reason for sending the proposal back.
    page.goto(f"/propositions/{ids['waiting']}")
    page.check("input[name=decision][value=changes]")
    page.fill("#message", MID)
    _submit(page, "#message")
    # consultations: a question and its options.
    page.goto(f"/consultations/{ids['consultation']}/questions/ajouter")
    page.locator("input[name=kind][value=single]").check()
    page.fill("#text", short(1, tag))
    page.fill("#options", "\n".join(SHORT))
    _submit(page, "#options")
    # fiches action: an objective of the draft.
    page.goto(f"/fiches-action/{ids['draft_sheet']}")
    page.fill("#objective-text", short(2, tag))
    page.fill("#objective-indicator", short(3))
    page.fill("#objective-target", short(4))
    _submit(page, "#objective-text")
    w.log_out()

    w.log_in(ids["admin"])
    # the Conseil: an agenda item of the coming meeting.
    page.goto(f"/conseil/reunions/{ids['held']}/compte-rendu")
    page.fill("#text", LONG + "\n\nCorrigé.")
    _submit(page, "#text")
    page.goto(f"/conseil/reunions/{ids['held']}/decisions/nouvelle")
    page.fill("#title", f"Par le formulaire {short(5, tag)}")
    page.fill("#text", LONG)
    _submit(page, "#text")
    w.log_out()


# ------------------------------------------------------------------ the test

def _pages(ids):
    p, pr, c, s = ids["published"], ids["project"], ids["consultation"], ids["sheet"]
    public = [
        "/", "/propositions", f"/propositions/{p}", f"/propositions/{ids['form_proposal']}",
        "/propositions?q=xssHit", "/projets", f"/projets/{pr}", f"/projets/{ids['cancelled']}",
        "/projets/agenda", "/consultations", f"/consultations/{c}", "/conseil",
        f"/conseil/reunions/{ids['coming']}", f"/conseil/reunions/{ids['held']}",
        f"/conseil/decisions/{ids['decision']}", "/conseil/decisions",
        "/conseil/decisions/imprimer", f"/conseil/reunions/{ids['held']}/compte-rendu/imprimer",
        f"/conseil/reunions/{ids['coming']}/convocation/imprimer", "/conseil/membres",
        "/fiches-action", f"/fiches-action/{s}", f"/fiches-action/{s}/imprimer", "/centres",
        "/resultats",
    ]
    author = ["/mes-propositions", f"/propositions/{ids['sent_back']}",
              f"/propositions/{ids['rejected']}", "/notifications", "/mes-projets",
              "/compte", "/compte/mes-donnees", "/compte/profil"]
    staff = [
        "/moderation", f"/propositions/{ids['waiting']}", f"/projets/{pr}/participants",
        f"/projets/{pr}/aides", f"/projets/{pr}/seances", "/projets/gestion",
        f"/projets/{pr}/modifier", "/consultations/gestion", f"/consultations/{c}/modifier",
        f"/consultations/{c}/questions/{ids['question']}/modifier",
        f"/consultations/{c}/bulletin-papier/imprimer", f"/consultations/{c}/guichet",
        f"/fiches-action/{ids['draft_sheet']}", f"/fiches-action/{ids['draft_sheet']}/modifier",
        "/fiches-action/moyens-demandes", "/accueil", "/accueil?q=xssHit",
        "/propositions/delais-de-reponse", "/notifications",
    ]
    admin = [
        f"/conseil/reunions/{ids['coming']}/ordre-du-jour",
        f"/conseil/reunions/{ids['coming']}/points/{ids['item']}/invites",
        f"/conseil/reunions/{ids['held']}/presences",
        f"/conseil/reunions/{ids['held']}/compte-rendu",
        f"/conseil/reunions/{ids['coming']}/modifier", "/conseil/designations",
        "/admin/", "/admin/journal", "/admin/envois", "/admin/roles", "/admin/territoire",
        "/admin/themes", "/moderation",
    ]
    return public, author, staff, admin


def test_no_stored_payload_ever_runs(watched, live_app):
    tag = uuid.uuid4().hex[:5]
    ids = seed(live_app, tag)
    through_the_forms(watched, ids, tag)
    assert watched.hits == [], watched.hits  # nothing ran while typing either

    public, author, staff, admin = _pages(ids)
    problems = []
    watched.visit(public, problems)
    watched.log_in(ids["author"])
    watched.visit(author, problems)
    watched.log_out()
    watched.log_in(ids["animator"])
    watched.visit(staff, problems)
    watched.log_out()
    watched.log_in(ids["admin"])
    watched.visit(admin + public[:8], problems)

    assert watched.hits == [], f"scripts ran: {watched.hits}"
    assert problems == [], f"dangerous markup (or a page not shown): {problems}"
    # The payloads are there, as text people can read.
    page = watched.page
    page.goto(f"/propositions/{ids['published']}")
    text = page.inner_text("main")
    assert "<script>xssHit('script')</script>" in text
    assert "xssHit(1)" in text or "xssHit(" in text


def test_the_watcher_sees_a_script_that_runs(watched):
    """The listeners above can fail: an injected handler is seen run (CSP bypassed) or
    blocked (CSP enforced, reported as a violation), and found by the markup scan."""
    from participation import CSP

    html = ("<!doctype html><title>t</title><img src=x onerror=\"xssHit('self-test')\">"
            "<a href='javascript:alert(1)'>x</a>")
    for page in watched.pages:
        page.route("**/xss-self-test", lambda route: route.fulfill(
            body=html, content_type="text/html", headers={"Content-Security-Policy": CSP}))
    problems = []
    watched.visit(["/xss-self-test"], problems)
    kinds = {(bypass, what.split(" ")[0]) for bypass, _url, what in watched.hits}
    assert (True, "self-test") in kinds and (False, "csp") in kinds, watched.hits
    assert len(problems) == 2 and all("IMG onerror" in found for _path, found in problems)
