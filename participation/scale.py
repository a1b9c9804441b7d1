"""The territory at scale: ``flask demo load --scale territory``.

About 85,000 people live in the three communes. This loader adds, on top of the
demo cast, what three years of the platform would hold for all of them, so that
benchmarks (``benchmarks/pages.py``) measure pages against realistic tables:
85,000 accounts, 20,000 proposals, 500,000 supports, 100,000 comments, 300
shared projects with 20,000 registrations, 50 consultations with 200,000
ballots, 40 meetings with 300 decisions and 150 fiches action.

Rows go in with Core ``insert()`` and lists of rows (executemany), with ids
chosen here so that rows can point at each other without reading back; one
password hash is computed once and shared. Every denormalised figure
(``support_count``, ``comment_count``, ``places_taken``, published tallies,
``verified_until``) is computed from the very rows inserted, so it equals a
fresh count. ``factor`` shrinks everything (tests load a tiny territory).
"""

import random
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from participation.accounts.models import User, Verification
from participation.accounts.services import generate_password_hash, pseudonym_key
from participation.actions.models import (
    ActionSheet,
    ActionSheetEvent,
    Actor,
    Objective,
    sheet_communes,
    sheet_proposals,
)
from participation.consultations import services as consultations
from participation.consultations.models import (
    APPROVAL,
    DEFAULT_GRADES,
    JUDGMENT,
    SINGLE,
    Ballot,
    Consultation,
    Option,
    Participation,
    Question,
    new_tracker,
)
from participation.council.models import Body, Decision, Meeting, Minutes
from participation.extensions import db
from participation.projects.models import (
    ProjectCentre,
    ProjectSession,
    Registration,
    SharedProject,
    project_communes,
)
from participation.proposals.models import Comment, Proposal, ProposalEvent, Support, Theme
from participation.proposals.services import _words
from participation.territory.models import Centre, Commune

SIZES = {
    "territory": {
        "users": 85_000, "proposals": 20_000, "supports": 500_000, "comments": 100_000,
        "projects": 300, "registrations": 20_000, "consultations": 50, "ballots": 200_000,
        "meetings": 40, "decisions": 300, "sheets": 150,
    },
}
YEARS = 3
BATCH = 20_000
# Share of the population of each commune (INSEE orders of magnitude).
COMMUNE_WEIGHTS = {"Calais": 72, "Marck": 9, "Sangatte": 5}

SUBJECTS = ["Des bancs", "Un jardin partagé", "Des cours de cuisine", "Une boîte à livres",
            "Un atelier vélo", "Des jeux pour enfants", "Un repair café", "Une fête de quartier",
            "Des cours d'informatique", "Un composteur collectif", "Des sorties familles",
            "Une aide aux devoirs", "Un marché de producteurs", "Des ateliers théâtre",
            "Un terrain de pétanque", "Une navette pour les aînés", "Des toilettes publiques",
            "Un éclairage plus sûr", "Des pistes cyclables", "Un espace ados"]
PLACES = ["au Beau-Marais", "au Fort-Nieulay", "près de la plage", "au centre-ville",
          "à Saint-Pierre", "au Petit-Courgain", "près de l'école", "au parc Richelieu",
          "près de la mairie", "au quartier du Pont-du-Leu", "sur la digue",
          "près du centre social", "au Virval", "aux Cailloux", "à Coulogne"]
SENTENCES = ["Beaucoup d'habitants en parlent depuis longtemps.",
             "Cela aiderait les familles du quartier.",
             "Les personnes âgées pourraient en profiter aussi.",
             "Nous sommes plusieurs à pouvoir donner un coup de main.",
             "Le centre social pourrait accueillir les premières réunions.",
             "Il faudrait en parler avec la mairie.",
             "Les jeunes ont besoin d'un endroit à eux.",
             "Cela ne coûterait pas très cher.",
             "On pourrait commencer dès le printemps.",
             "Un essai de quelques mois permettrait de voir si cela marche."]
COMMENTS = ["Très bonne idée, je soutiens !", "Je suis d'accord, il faut le faire.",
            "Et pourquoi pas aussi le samedi ?", "Je peux aider pour l'organisation.",
            "Il y a déjà quelque chose de ce genre à Marck, ça marche bien.",
            "Attention au bruit pour les voisins.", "Qui s'occupe de l'entretien ?",
            "Mes enfants seraient ravis.", "Il faudrait demander l'avis des commerçants.",
            "C'est urgent, surtout l'hiver."]


def _sizes(kind: str, factor: float) -> dict[str, int]:
    return {name: max(1, round(count * factor)) for name, count in SIZES[kind].items()}


def _next_id(model) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def _insert(table, rows: list[dict]) -> None:
    """executemany in batches: one round of parameters per batch, no RETURNING."""
    for start in range(0, len(rows), BATCH):
        db.session.execute(sa.insert(table), rows[start:start + BATCH])


def _reset_sequences(tables) -> None:
    """PostgreSQL serials do not see ids given explicitly: move them past the last one."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(sa.text(
            # Table names come from our own models, never from input.
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608  # nosec B608 — names from our models
            f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"))


class _Loader:
    def __init__(self, now: datetime, sizes: dict[str, int], seed: int, echo):
        self.now = now
        self.sizes = sizes
        self.rng = random.Random(seed)  # noqa: S311 (reproducible data, not secrets)
        self.echo = echo
        self.start = now - timedelta(days=365 * YEARS)
        self.span = (now - self.start).total_seconds()
        self.communes = {c.name: c.id for c in db.session.scalars(sa.select(Commune))}
        self.centres = list(db.session.scalars(sa.select(Centre).order_by(Centre.id)))
        self.themes = list(db.session.scalars(sa.select(Theme.id)))
        self.staff_id = db.session.scalar(
            sa.select(User.id).where(User.email == "animateur@example.org"))

    def moment(self, after: datetime | None = None, before: datetime | None = None) -> datetime:
        low = after or self.start
        high = before or self.now
        return low + timedelta(seconds=self.rng.random() * max(0.0, (high - low).total_seconds()))

    def text(self, sentences: int) -> str:
        return " ".join(self.rng.sample(SENTENCES, sentences))

    # --- People ---------------------------------------------------------------------------
    def users(self) -> None:
        rng, count = self.rng, self.sizes["users"]
        password = generate_password_hash("demo-calaisis-2026")  # once for everyone
        names = [n for n in COMMUNE_WEIGHTS if n in self.communes]
        weights = [COMMUNE_WEIGHTS[n] for n in names]
        first = _next_id(User)
        users, verifications = [], []
        self.people: list[tuple[int, int | None, datetime]] = []  # (id, commune, created)
        moments = sorted(self.moment() for _ in range(count))
        for i, created in enumerate(moments):
            uid = first + i
            commune = (self.communes[rng.choices(names, weights)[0]]
                       if rng.random() > 0.03 else None)
            pseudonym = f"Habitant {uid}"
            row = {"id": uid, "email": f"habitant{uid}@scale.example.org",
                   "email_confirmed_at": created, "pseudonym": pseudonym,
                   "pseudonym_key": pseudonym_key(pseudonym), "password_hash": password,
                   "commune_id": commune, "birth_year": rng.randint(1935, 2010),
                   "locale": "fr", "is_admin": False, "privacy_accepted_at": created,
                   "session_token": secrets.token_urlsafe(32), "created_at": created,
                   "updated_at": created, "verified_at": None, "verified_until": None,
                   "last_login_at": self.moment(after=created)}
            if commune is not None and rng.random() < 0.3:
                verified = self.moment(after=max(created, self.now - timedelta(days=360)))
                until = verified + timedelta(days=365)
                row.update(verified_at=verified, verified_until=until)
                verifications.append({
                    "user_id": uid, "centre_id": rng.choice(self.centres).id,
                    "verified_by_id": self.staff_id, "verified_at": verified,
                    "valid_until": until, "commune_id": commune})
            users.append(row)
            self.people.append((uid, commune, created))
        _insert(User.__table__, users)
        _insert(Verification.__table__, verifications)
        self.echo(f"accounts: {len(users):,} ({len(verifications):,} verified)")

    # --- Proposals, supports, comments ----------------------------------------------------
    def proposals(self) -> None:
        rng, count = self.rng, self.sizes["proposals"]
        statuses = {"published": 55, "under_study": 10, "retained": 10, "not_retained": 8,
                    "realised": 4, "withdrawn": 3, "submitted": 4, "draft": 3,
                    "changes_requested": 1, "rejected": 2}
        first = _next_id(Proposal)
        proposals, events = [], []
        self.public: list[tuple[int, datetime]] = []
        self.retained: list[int] = []
        for i in range(count):
            pid = first + i
            author, commune, joined = rng.choice(self.people)
            created = self.moment(after=joined)
            status = rng.choices(list(statuses), list(statuses.values()))[0]
            title = f"{rng.choice(SUBJECTS)} {rng.choice(PLACES)}"
            body = self.text(rng.randint(2, 5))
            row = {"id": pid, "author_id": author, "title": title, "body": body,
                   "search_text": " ".join(_words(f"{title} {body}")),
                   "theme_id": rng.choice(self.themes),
                   "commune_id": commune if rng.random() > 0.1 else None,
                   "centre_id": rng.choice(self.centres).id, "status": status,
                   "created_at": created, "updated_at": created, "submitted_at": None,
                   "published_at": None, "first_answer_at": None, "public_answer": None,
                   "support_count": 0, "comment_count": 0, "report_count": 0}
            events.append({"proposal_id": pid, "actor_id": author, "kind": "created",
                           "status": "draft", "public": False, "created_at": created})
            if status != "draft":
                submitted = self.moment(after=created, before=created + timedelta(days=2))
                row["submitted_at"] = submitted
                events.append({"proposal_id": pid, "actor_id": author, "kind": "submitted",
                               "status": "submitted", "public": False,
                               "created_at": submitted})
                if status in ("changes_requested", "rejected"):
                    events.append({"proposal_id": pid, "actor_id": self.staff_id,
                                   "kind": status, "status": status, "public": False,
                                   "message": "Merci de préciser le lieu.",
                                   "created_at": submitted + timedelta(days=1)})
            if status in ("published", "under_study", "retained", "not_retained", "realised",
                          "withdrawn"):
                published = row["submitted_at"] + timedelta(hours=rng.randint(2, 72))
                row["published_at"] = published
                events.append({"proposal_id": pid, "actor_id": self.staff_id,
                               "kind": "published", "status": "published", "public": True,
                               "created_at": published})
                if published < self.now:
                    self.public.append((pid, published))
                if status not in ("published", "withdrawn"):
                    answered = published + timedelta(days=rng.randint(3, 40))
                    row["first_answer_at"] = answered
                    row["public_answer"] = "Le centre social étudie votre idée avec la mairie."
                    events.append({"proposal_id": pid, "actor_id": self.staff_id,
                                   "kind": "answered", "status": status, "public": True,
                                   "message": row["public_answer"], "created_at": answered})
                    if status in ("retained", "realised"):
                        self.retained.append(pid)
                if status == "withdrawn":
                    events.append({"proposal_id": pid, "actor_id": author, "kind": "withdrawn",
                                   "status": status, "public": True,
                                   "created_at": published + timedelta(days=5)})
            proposals.append(row)
        # The counters are decided first, then the rows they count are made to match.
        self.support_shares = [min(n, len(self.people)) for n in
                               self._shares(self.sizes["supports"], self.public)]
        self.comment_shares = self._shares(self.sizes["comments"], self.public)
        by_id = {row["id"]: row for row in proposals}
        for (pid, _published), supported, commented in zip(
                self.public, self.support_shares, self.comment_shares, strict=True):
            by_id[pid].update(support_count=supported, comment_count=commented)
        _insert(Proposal.__table__, proposals)
        _insert(ProposalEvent.__table__, events)
        self.echo(f"proposals: {len(proposals):,} ({len(self.public):,} public), "
                  f"events: {len(events):,}")

    def _shares(self, total: int, items: list) -> list[int]:
        """``total`` split unevenly over ``items`` (a few popular, most modest)."""
        if not items:
            return []
        weights = [self.rng.paretovariate(1.3) for _ in items]
        whole = sum(weights)
        shares = [int(total * w / whole) for w in weights]
        for i in self.rng.sample(range(len(items)), min(len(items), total - sum(shares))):
            shares[i] += 1
        return shares

    def supports_and_comments(self) -> None:
        """Made and inserted a batch at a time, exactly as many as the counters say."""
        rng = self.rng
        user_ids = [p[0] for p in self.people]
        supports, comments, support_total, comment_total = [], [], 0, 0
        comment_id = _next_id(Comment)
        for (pid, published), supported, commented in zip(
                self.public, self.support_shares, self.comment_shares, strict=True):
            for uid in rng.sample(user_ids, supported):
                supports.append({"proposal_id": pid, "user_id": uid,
                                 "created_at": self.moment(after=published)})
            top: list[int] = []
            for created in sorted(self.moment(after=published) for _ in range(commented)):
                parent = rng.choice(top) if top and rng.random() < 0.2 else None
                comments.append({"id": comment_id, "proposal_id": pid,
                                 "author_id": rng.choice(user_ids), "parent_id": parent,
                                 "body": rng.choice(COMMENTS), "created_at": created,
                                 "report_count": 0})
                if parent is None:
                    top.append(comment_id)
                comment_id += 1
            if len(supports) >= BATCH:
                _insert(Support.__table__, supports)
                support_total += len(supports)
                supports = []
            if len(comments) >= BATCH:
                _insert(Comment.__table__, comments)
                comment_total += len(comments)
                comments = []
        _insert(Support.__table__, supports)
        _insert(Comment.__table__, comments)
        support_total += len(supports)
        comment_total += len(comments)
        self.echo(f"supports: {support_total:,}, comments: {comment_total:,}")

    # --- Shared projects ------------------------------------------------------------------
    def projects(self) -> None:
        rng, count = self.rng, self.sizes["projects"]
        first = _next_id(SharedProject)
        projects, centres, communes, sessions, registrations = [], [], [], [], []
        shares = self._shares(self.sizes["registrations"], list(range(count)))
        for i, wanted in enumerate(shares):
            pid = first + i
            starts = self.moment(after=self.start + timedelta(days=30),
                                 before=self.now + timedelta(days=90))
            opens = starts - timedelta(days=30)
            closes = starts - timedelta(days=2)
            ends = starts + timedelta(days=rng.choice((0, 14, 60, 120)))
            capacity = None if rng.random() < 0.3 else max(10, int(wanted * rng.uniform(0.7, 1.5)))
            places, waiting = 0, 0
            people = rng.sample(self.people, min(wanted, len(self.people)))
            for uid, _commune, _joined in people:
                companions = rng.choice((0, 0, 0, 1, 2))
                at = self.moment(after=opens, before=min(closes, self.now))
                row = {"project_id": pid, "person_id": uid, "companions": companions,
                       "created_at": at, "updated_at": at, "position": None, "left_at": None}
                if rng.random() < 0.05:
                    row.update(status="left", companions=0, left_at=at)
                elif capacity is None or places + 1 + companions <= capacity:
                    row["status"] = "registered"
                    places += 1 + companions
                else:
                    waiting += 1
                    row.update(status="waiting", position=waiting)
                registrations.append(row)
            cancelled = rng.random() < 0.03
            projects.append({
                "id": pid, "created_by_id": self.staff_id,
                "title": f"{rng.choice(SUBJECTS)} {rng.choice(PLACES)} ({i + 1})",
                "description": self.text(3), "theme_id": rng.choice(self.themes),
                "place": rng.choice(self.centres).name, "starts_at": starts, "ends_at": ends,
                "registration_opens_at": opens, "registration_closes_at": closes,
                "capacity": capacity, "contact": "accueil@example.org",
                "published_at": opens - timedelta(days=7),
                "cancelled_at": closes if cancelled else None,
                "cancel_reason": "Faute d'animateur disponible." if cancelled else None,
                "places_taken": places, "created_at": opens - timedelta(days=10),
                "updated_at": opens - timedelta(days=7)})
            for centre in rng.sample(self.centres, rng.randint(1, min(3, len(self.centres)))):
                centres.append({"project_id": pid, "centre_id": centre.id,
                                "role": "Accueil et animation"})
            for commune in rng.sample(list(self.communes.values()), rng.randint(1, 2)):
                communes.append({"project_id": pid, "commune_id": commune})
            for n in range(3):
                at = starts + (ends - starts) * n / 3 + timedelta(hours=14)
                sessions.append({"project_id": pid, "title": f"Séance {n + 1}", "starts_at": at,
                                 "ends_at": at + timedelta(hours=2),
                                 "place": projects[-1]["place"]})
        _insert(SharedProject.__table__, projects)
        _insert(ProjectCentre.__table__, centres)
        _insert(project_communes, communes)
        _insert(ProjectSession.__table__, sessions)
        _insert(Registration.__table__, registrations)
        self.echo(f"shared projects: {len(projects):,}, registrations: {len(registrations):,}")

    # --- Consultations --------------------------------------------------------------------
    def consultations(self) -> None:
        rng, count = self.rng, self.sizes["consultations"]
        open_count = max(1, count // 10)
        all_communes = list(db.session.scalars(sa.select(Commune).order_by(Commune.id)))
        made = []
        for i in range(count):
            is_open = i >= count - open_count
            if is_open:
                opens = self.now - timedelta(days=rng.randint(1, 7))
                closes = self.now + timedelta(days=rng.randint(14, 30))
            else:
                opens = self.moment(before=self.now - timedelta(days=30))
                closes = opens + timedelta(days=rng.choice((7, 14, 21)))
            # The open ones are for everyone in the three communes (the benchmark votes there).
            communes = all_communes if is_open or rng.random() < 0.5 else \
                rng.sample(all_communes, rng.randint(1, len(all_communes)))
            consultation = Consultation(
                organisation_id=rng.choice(self.centres).id, created_by_id=self.staff_id,
                title=f"Consultation {i + 1} : {rng.choice(SUBJECTS).lower()} "
                      f"{rng.choice(PLACES)}",
                description=self.text(3), opens_at=opens, closes_at=closes,
                verified_only=False, communes=communes,
                scheduled_at=opens - timedelta(days=10), created_at=opens - timedelta(days=12),
                updated_at=opens - timedelta(days=10))
            consultation.questions = [
                Question(position=0, kind=SINGLE, text="Quel projet préférez-vous ?",
                         options=[Option(position=n, label=label) for n, label in
                                  enumerate(rng.sample(SUBJECTS, 4))]),
                Question(position=1, kind=APPROVAL, max_choices=3,
                         text="Quels lieux vous conviennent (trois au plus) ?",
                         options=[Option(position=n, label=label) for n, label in
                                  enumerate(rng.sample(PLACES, 6))]),
                Question(position=2, kind=JUDGMENT, grades=list(DEFAULT_GRADES),
                         text="Que pensez-vous de chacune de ces idées ?",
                         options=[Option(position=n, label=label) for n, label in
                                  enumerate(rng.sample(SUBJECTS, 5))]),
            ]
            db.session.add(consultation)
            made.append(consultation)
        db.session.flush()
        for consultation in made:
            consultation.fingerprint = consultations.compute_fingerprint(consultation)
        participations, ballots = [], []
        by_commune: dict[int | None, list[tuple[int, int | None]]] = {}
        for uid, commune, _joined in self.people:
            by_commune.setdefault(commune, []).append((uid, commune))
        eligible_of = [[p for c in consultation.communes for p in by_commune.get(c.id, [])]
                       for consultation in made]
        # At most everyone eligible; half of them where the vote is open (the others are
        # the benchmark's voters). What a cap cuts goes to consultations with room left.
        caps = [len(e) // 2 if c.closes_at > self.now else len(e)
                for c, e in zip(made, eligible_of, strict=True)]
        shares = self._shares(self.sizes["ballots"], made)
        spare = sum(max(0, n - cap) for n, cap in zip(shares, caps, strict=True))
        shares = [min(n, cap) for n, cap in zip(shares, caps, strict=True)]
        for i, cap in enumerate(caps):
            more = min(spare, cap - shares[i])
            shares[i] += more
            spare -= more
        for consultation, eligible, wanted in zip(made, eligible_of, shares, strict=True):
            last = min(consultation.closes_at, self.now)
            for uid, commune in rng.sample(eligible, wanted):
                day = consultations.local_day(self.moment(after=consultation.opens_at,
                                                          before=last))
                roll = rng.random()
                channel = "online" if roll < 0.85 else "paper" if roll < 0.95 else "assisted"
                centre = None if channel == "online" else rng.choice(self.centres).id
                participations.append({
                    "consultation_id": consultation.id, "person_id": uid, "channel": channel,
                    "day": day, "centre_id": centre, "commune_id": commune,
                    "recorded_by_id": None if centre is None else self.staff_id})
                ballots.append({"id": new_tracker(), "consultation_id": consultation.id,
                                "answers": self._answers(consultation), "day": day,
                                "channel": channel, "centre_id": centre})
        rng.shuffle(ballots)  # nothing in the insertion order lines a ballot up with a person
        _insert(Participation.__table__, participations)
        _insert(Ballot.__table__, ballots)
        published = 0
        for consultation in made:
            if consultation.closes_at <= self.now:
                consultations.publish_results(consultation, consultation.closes_at
                                              + timedelta(days=1))
                published += 1
        self.consultation_ids = [c.id for c in made]
        self.echo(f"consultations: {len(made)} ({published} with results published), "
                  f"ballots: {len(ballots):,}")

    def _answers(self, consultation: Consultation) -> str:
        rng = self.rng
        single, approval, judgment = consultation.questions
        answers = {
            str(single.id): [] if rng.random() < 0.05 else [rng.choice(single.options).id],
            str(approval.id): sorted(o.id for o in rng.sample(approval.options,
                                                              rng.randint(0, 3))),
            str(judgment.id): {} if rng.random() < 0.05 else {
                str(o.id): min(6, int(rng.triangular(0, 7, n))) for n, o in
                enumerate(judgment.options)},
        }
        return consultations.encode_answers(answers)

    # --- Fiches action, then the Conseil's meetings and decisions -------------------------
    def sheets(self) -> None:
        rng, count = self.rng, self.sizes["sheets"]
        statuses = {"draft": 10, "submitted": 10, "validated": 20, "in_progress": 30,
                    "completed": 20, "abandoned": 10}
        first = _next_id(ActionSheet)
        sheets, events, actors, objectives, communes, links = [], [], [], [], [], []
        self.to_validate: list[int] = []
        for i in range(count):
            sid = first + i
            status = rng.choices(list(statuses), list(statuses.values()))[0]
            created = self.moment(before=self.now - timedelta(days=60))
            title = f"{rng.choice(SUBJECTS)} {rng.choice(PLACES)}"
            summary = self.text(3)
            row = {"id": sid, "title": title, "summary": summary, "status": status,
                   "search_text": " ".join(_words(f"{title} {summary}")),
                   "created_by_id": self.staff_id, "created_at": created,
                   "updated_at": created, "submitted_at": None, "validated_at": None,
                   "started_at": None, "completed_at": None, "evaluation": None,
                   "abandoned_at": None, "abandon_reason": None}
            events.append({"sheet_id": sid, "actor_id": self.staff_id, "kind": "created",
                           "status": "draft", "created_at": created})
            if status != "draft":
                row["submitted_at"] = created + timedelta(days=3)
                events.append({"sheet_id": sid, "actor_id": self.staff_id,
                               "kind": "submitted", "status": "submitted",
                               "created_at": row["submitted_at"]})
            if status in ("validated", "in_progress", "completed", "abandoned"):
                self.to_validate.append(sid)  # its dates follow the validating decision
            sheets.append(row)
            lead = rng.choice(self.centres)
            actors.append({"sheet_id": sid, "organisation_id": lead.id, "group_name": None,
                           "role": "Pilote de l'action", "is_lead": True})
            actors.append({"sheet_id": sid, "organisation_id": None,
                           "group_name": "Habitants volontaires", "role": "Animation",
                           "is_lead": False})
            objectives.append({"sheet_id": sid, "text": "Réunir les habitants du quartier",
                               "indicator": "Nombre de participants", "target": "50",
                               "result": "62" if status == "completed" else None})
            for commune in rng.sample(list(self.communes.values()), rng.randint(1, 2)):
                communes.append({"sheet_id": sid, "commune_id": commune})
            if self.retained:
                for pid in rng.sample(self.retained, min(2, len(self.retained))):
                    links.append({"sheet_id": sid, "proposal_id": pid})
        self.sheet_rows = {row["id"]: row for row in sheets}
        self.sheet_events = events
        self.sheet_parts = ((Actor.__table__, actors), (Objective.__table__, objectives),
                            (sheet_communes, communes), (sheet_proposals, links))

    def _validate(self, row: dict, at: datetime) -> None:
        """The fiche's later steps, dated from the decision that validated it."""
        row["validated_at"] = at
        steps = [("validated", "validated", at)]
        if row["status"] in ("in_progress", "completed"):
            row["started_at"] = min(self.now, at + timedelta(days=10))
            steps.append(("started", "in_progress", row["started_at"]))
        if row["status"] == "completed":
            row["completed_at"] = min(self.now, at + timedelta(days=90))
            row["evaluation"] = "Objectifs atteints ; à reconduire l'an prochain."
            steps.append(("completed", "completed", row["completed_at"]))
        if row["status"] == "abandoned":
            row["abandoned_at"] = min(self.now, at + timedelta(days=30))
            row["abandon_reason"] = "Le partenaire s'est retiré."
            steps.append(("abandoned", "abandoned", row["abandoned_at"]))
        self.sheet_events.extend({"sheet_id": row["id"], "actor_id": self.staff_id,
                                  "kind": kind, "status": status, "created_at": when}
                                 for kind, status, when in steps)

    def council(self) -> None:
        rng = self.rng
        bodies = {b.kind: b.id for b in db.session.scalars(sa.select(Body))}
        kinds = ["council"] * 2 + ["presidents", "directors"]
        count, decision_count = self.sizes["meetings"], self.sizes["decisions"]
        numbers = {(body, year): number for body, year, number in db.session.execute(
            sa.select(Decision.body_id, Decision.year, sa.func.max(Decision.number))
            .group_by(Decision.body_id, Decision.year))}
        first_meeting = _next_id(Meeting)
        meetings, minutes, decisions = [], [], []
        times = sorted(self.moment(before=self.now - timedelta(days=14)) for _ in range(count))
        meeting_kinds = [kinds[i % len(kinds)] for i in range(count)]
        if "council" not in meeting_kinds:
            meeting_kinds[0] = "council"
        # Submitted first, validated first: each Conseil decision validates the fiche
        # submitted earliest before its meeting, if any is waiting.
        to_validate = sorted(self.to_validate,
                             key=lambda sid: self.sheet_rows[sid]["submitted_at"])
        per_meeting = self._shares(decision_count, list(range(count)))
        for i, (starts, kind, decided) in enumerate(zip(times, meeting_kinds, per_meeting,
                                                        strict=True)):
            mid = first_meeting + i
            body = bodies[kind]
            meetings.append({"id": mid, "body_id": body, "starts_at": starts,
                             "duration_minutes": 120, "place": rng.choice(self.centres).name,
                             "minutes_visibility": "public", "created_by_id": self.staff_id,
                             "created_at": starts - timedelta(days=30),
                             "updated_at": starts - timedelta(days=30)})
            published = starts + timedelta(days=7)
            minutes.append({"meeting_id": mid, "text": self.text(4), "published_at": published,
                            "written_by_id": self.staff_id, "created_at": published,
                            "updated_at": published})
            year = starts.astimezone(consultations.PARIS).year
            for _ in range(decided):
                number = numbers.get((body, year), 0) + 1
                numbers[body, year] = number
                validates = None
                if (kind == "council" and to_validate
                        and self.sheet_rows[to_validate[0]]["submitted_at"] < starts):
                    validates = to_validate.pop(0)
                    self._validate(self.sheet_rows[validates], starts)
                votes = rng.randint(5, 12)
                decisions.append({
                    "body_id": body, "meeting_id": mid, "year": year, "number": number,
                    "title": f"{rng.choice(SUBJECTS)} {rng.choice(PLACES)}",
                    "text": self.text(2), "votes_for": votes,
                    "votes_against": rng.randint(0, 2), "votes_abstaining": rng.randint(0, 2),
                    "validates_action_sheet_id": validates, "published_at": published,
                    "recorded_by_id": self.staff_id, "created_at": starts,
                    "updated_at": published})
        # Fiches no decision reached stay submitted: only a Conseil decision validates.
        for sid in to_validate:
            self.sheet_rows[sid]["status"] = "submitted"
        _insert(ActionSheet.__table__, list(self.sheet_rows.values()))
        for table, rows in self.sheet_parts:
            _insert(table, rows)
        _insert(ActionSheetEvent.__table__, self.sheet_events)
        _insert(Meeting.__table__, meetings)
        _insert(Minutes.__table__, minutes)
        _insert(Decision.__table__, decisions)
        self.echo(f"meetings: {len(meetings)}, decisions: {len(decisions)}, "
                  f"fiches action: {len(self.sheet_rows)}")


def load_scale(now: datetime, kind: str = "territory", factor: float = 1.0, seed: int = 2026,
               echo=print, **sizes: int) -> dict[str, int]:
    """Add the territory at scale (see the module's docstring); flushed, the caller commits.

    Expects the demo data (its staff record verifications and answers). Keyword
    arguments set single sizes (``consultations=3``) after ``factor``.
    """
    loader = _Loader(now.astimezone(UTC), {**_sizes(kind, factor), **sizes}, seed, echo)
    loader.users()
    loader.proposals()
    loader.supports_and_comments()
    loader.projects()
    loader.sheets()
    loader.council()
    loader.consultations()
    _reset_sequences([User.__table__, Verification.__table__, Proposal.__table__,
                      ProposalEvent.__table__, Support.__table__, Comment.__table__,
                      SharedProject.__table__, ProjectCentre.__table__,
                      ProjectSession.__table__, Registration.__table__, Participation.__table__,
                      ActionSheet.__table__, ActionSheetEvent.__table__, Actor.__table__,
                      Objective.__table__, Meeting.__table__, Minutes.__table__,
                      Decision.__table__])
    db.session.flush()
    return loader.sizes


def check_consistency() -> list[str]:
    """What disagrees between the denormalised figures and a fresh count (empty: all agree)."""
    problems = []
    supports = sa.select(sa.func.count()).where(Support.proposal_id == Proposal.id)
    comments = sa.select(sa.func.count()).where(Comment.proposal_id == Proposal.id,
                                                Comment.deleted_at.is_(None))
    for pid, stored, counted in db.session.execute(
            sa.select(Proposal.id, Proposal.support_count, supports.scalar_subquery())
            .where(Proposal.support_count != supports.scalar_subquery())):
        problems.append(f"proposal {pid}: support_count {stored} != {counted}")
    for pid, stored, counted in db.session.execute(
            sa.select(Proposal.id, Proposal.comment_count, comments.scalar_subquery())
            .where(Proposal.comment_count != comments.scalar_subquery())):
        problems.append(f"proposal {pid}: comment_count {stored} != {counted}")
    places = (sa.select(sa.func.coalesce(sa.func.sum(1 + Registration.companions), 0))
              .where(Registration.project_id == SharedProject.id,
                     Registration.status == "registered").scalar_subquery())
    for pid, stored, counted in db.session.execute(
            sa.select(SharedProject.id, SharedProject.places_taken, places)
            .where(SharedProject.places_taken != places)):
        problems.append(f"project {pid}: places_taken {stored} != {counted}")
    ballots = dict(db.session.execute(sa.select(Ballot.consultation_id, sa.func.count())
                                      .group_by(Ballot.consultation_id)).all())
    voted = dict(db.session.execute(sa.select(Participation.consultation_id, sa.func.count())
                                    .group_by(Participation.consultation_id)).all())
    if ballots != voted:
        problems.append(f"ballots by consultation {ballots} != participations {voted}")
    for consultation in db.session.scalars(sa.select(Consultation)
                                           .where(Consultation.results.is_not(None))):
        if consultation.results["ballots"] != ballots.get(consultation.id, 0):
            problems.append(f"consultation {consultation.id}: tally of "
                            f"{consultation.results['ballots']} != {ballots.get(consultation.id)}")
    stale = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(
            User.verified_until.is_not(None),
            User.verified_until != sa.select(sa.func.max(Verification.valid_until))
            .where(Verification.user_id == User.id).scalar_subquery()))
    if stale:
        problems.append(f"{stale} accounts whose verified_until is not their latest check")
    validated = sa.select(Decision.id).where(
        Decision.validates_action_sheet_id == ActionSheet.id).exists()
    unvalidated = db.session.scalar(
        sa.select(sa.func.count()).select_from(ActionSheet).where(
            ActionSheet.status.in_(("validated", "in_progress", "completed")),
            ~validated))
    if unvalidated:
        problems.append(f"{unvalidated} public fiches action without a validating decision")
    return problems
