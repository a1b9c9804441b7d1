"""A server killed in the middle of writes leaves no half-written state.

The app runs under gunicorn (two sync workers) on a fresh PostgreSQL database of its own.
Threads send a steady load of writes as logged-in people: votes, supports given and
withdrawn, registrations to a project with few places and departures, comments. In the
middle, the workers are SIGKILLed (the master starts new ones); later the master and
its workers are SIGKILLed together and gunicorn is started again. Then:

- no request got a 500 (requests cut by a kill get no answer at all, as in real life);
- every vote acknowledged with a receipt is in the database;
- every Participation has its Ballot and the other way round (same counts per
  consultation, day and channel: the two are never linked, for ballot secrecy);
- every kept counter equals a fresh count (supports, comments, places taken);
- no row points at a row that does not exist.

Slow (about a minute): it runs in CI (CI=true) or with RUN_SLOW=1.
"""

import http.client
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PORTS = range(18300, 18400)
VOTERS = 40
THREADS = 8
pytestmark = pytest.mark.slow


def _server_url() -> sa.engine.URL:
    """The PostgreSQL server of the test run (TEST_DATABASE_URL), else the local one."""
    given = os.environ.get("TEST_DATABASE_URL", "")
    if given.startswith("postgresql"):
        return sa.make_url(given)
    return sa.make_url(os.environ.get("CRASH_POSTGRES_URL",
                                      "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))


@pytest.fixture(scope="module")
def database():
    """A fresh database ``races_<pid>``, dropped afterwards."""
    server = _server_url()
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"races_{os.getpid()}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        admin.dispose()
        pytest.skip(f"the crash harness needs a PostgreSQL server: {error.orig}")
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _free_port() -> int:
    for port in random.sample(PORTS, len(PORTS)):
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            probe.close()
        return port
    pytest.skip("no free port in 18300-18399")


class Gunicorn:
    """gunicorn on ``port``, started and killed by process id (never by name)."""

    def __init__(self, port, env, log):
        self.port, self.env, self.log = port, env, log
        self.process = None

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own venv
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
             f"127.0.0.1:{self.port}", "--graceful-timeout", "2", "tests.crash_wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "gunicorn stopped while starting"
            try:
                status, _ = request(self.port, "GET", "/")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("gunicorn did not answer within 60 s")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def kill_workers(self):
        for pid in self.workers():
            os.kill(pid, signal.SIGKILL)

    def kill_all(self):
        pids = [self.process.pid, *self.workers()]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        self.process.wait(10)
        for pid in pids[1:]:  # orphaned workers: wait until they are gone
            while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid):
                time.sleep(0.05)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill_all()


def _state(pid) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][:1]
    except (OSError, IndexError):
        return "Z"


def request(port, method, path, data=None, cookie=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _prepare(app):
    """People, an open consultation, a project with six places, two published
    proposals; returns what the load needs (ids, cookies, form data)."""
    from flask_migrate import upgrade

    from participation.accounts.models import Role, User
    from participation.core.models import utcnow
    from participation.extensions import db
    from participation.territory.models import Centre
    from tests import factories
    from tests.consultations.helpers import form_data, make_consultation
    from tests.projects.helpers import make_project

    with app.app_context():
        upgrade()
        t0 = utcnow() - timedelta(days=2)
        matisse = db.session.scalar(sa.select(Centre).where(Centre.short_name == "Matisse"))
        organiser = User(pseudonym="Organisatrice", pseudonym_key="organisatrice",
                         commune=matisse.commune)
        people = [User(pseudonym=f"Votant {i}", pseudonym_key=f"votant {i}",
                       commune=matisse.commune, birth_year=1980,
                       email=f"votant{i}@example.org") for i in range(VOTERS)]
        db.session.add_all([organiser, *people])
        db.session.flush()
        db.session.add(Role(user=organiser, organisation=matisse, kind="animator"))
        db.session.commit()
        consultation = make_consultation(organiser, t0)
        project = make_project(organiser, t0, capacity=6)
        proposals = [factories.proposal(people[i], title=f"Idée numéro {i}") for i in (0, 1)]
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        name = app.config["SESSION_COOKIE_NAME"]
        cookies = [serializer.dumps({"_user_id": p.session_token, "_fresh": True})
                   for p in people]
        return {
            "people": [(p.id, f"{name}={c}") for p, c in zip(people, cookies, strict=True)],
            "consultation": consultation.id, "ballot": form_data(consultation),
            "project": project.id, "proposals": [p.id for p in proposals],
        }


class Load:
    """Threads sending writes until stopped; every answer and every cut is recorded."""

    def __init__(self, port, world):
        self.port, self.world = port, world
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers = []  # (action, person id, status)
        self.cut = 0
        self.threads = [threading.Thread(target=self.run, args=(seed,))
                        for seed in range(THREADS)]

    def action(self, rng):
        person_id, cookie = rng.choice(self.world["people"])
        proposal = rng.choice(self.world["proposals"])
        project = self.world["project"]
        kind = rng.choice(["vote", "support", "unsupport", "join", "leave", "comment"])
        path, data = {
            "vote": (f"/consultations/{self.world['consultation']}/voter/confirmer",
                     self.world["ballot"]),
            "support": (f"/propositions/{proposal}/soutien", {"support": "1"}),
            "unsupport": (f"/propositions/{proposal}/soutien", {"support": "0"}),
            "join": (f"/projets/{project}/inscription", {"companions": rng.choice("001")}),
            "leave": (f"/projets/{project}/desinscription", {}),
            "comment": (f"/propositions/{proposal}/commentaires",
                        {"body": f"Bonne idée, {rng.randint(1, 10**6)}"}),
        }[kind]
        return kind, person_id, path, data, cookie

    def run(self, seed):
        rng = random.Random(seed)
        while not self.stop.is_set():
            kind, person_id, path, data, cookie = self.action(rng)
            try:
                status, _ = request(self.port, "POST", path, data, cookie)
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.cut += 1
                time.sleep(0.05)  # the server is down: do not spin
                continue
            with self.lock:
                self.answers.append((kind, person_id, status))

    def start(self):
        for thread in self.threads:
            thread.start()

    def wait_for(self, answers, timeout=120):
        target = len(self.answers) + answers
        deadline = time.monotonic() + timeout
        while len(self.answers) < target:
            assert time.monotonic() < deadline, f"load stalled at {len(self.answers)} answers"
            time.sleep(0.05)

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


def _half_written(connection) -> list[str]:
    """Every broken invariant, in words."""
    from participation.extensions import db

    problems = []
    by_day = ("SELECT consultation_id, day, channel, count(*) FROM {} "
              "GROUP BY consultation_id, day, channel")
    participations = set(connection.execute(sa.text(by_day.format(
        "consultation_participations"))))
    ballots = set(connection.execute(sa.text(by_day.format("consultation_ballots"))))
    if participations != ballots:
        problems.append(f"participations {participations} != ballots {ballots}")
    for sql, what in [
        ("SELECT p.id, p.support_count, (SELECT count(*) FROM supports s "
         "WHERE s.proposal_id = p.id) FROM proposals p", "supports"),
        ("SELECT p.id, p.comment_count, (SELECT count(*) FROM comments c "
         "WHERE c.proposal_id = p.id AND c.deleted_at IS NULL) FROM proposals p", "comments"),
        ("SELECT p.id, p.places_taken, (SELECT coalesce(sum(1 + r.companions), 0) "
         "FROM project_registrations r WHERE r.project_id = p.id AND r.status = 'registered') "
         "FROM shared_projects p", "places taken"),
    ]:
        for row_id, kept, counted in connection.execute(sa.text(sql)):
            if kept != counted:
                problems.append(f"{what} of #{row_id}: counter {kept}, rows {counted}")
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            column, target = key.parent, key.column
            orphans = connection.scalar(sa.text(
                f"SELECT count(*) FROM {table.name} c WHERE c.{column.name} IS NOT NULL "  # noqa: S608
                f"AND NOT EXISTS (SELECT 1 FROM {target.table.name} t "
                f"WHERE t.{target.name} = c.{column.name})"))
            if orphans:
                problems.append(f"{orphans} rows of {table.name}.{column.name} point nowhere")
    return problems


def test_killed_server_leaves_no_half_written_state(database, tmp_path):
    from participation import create_app
    from tests.crash_wsgi import harness_config

    secret = secrets.token_hex(16)
    app = create_app(harness_config(database, secret))
    world = _prepare(app)
    env = {**os.environ, "CRASH_DATABASE_URL": database, "CRASH_SECRET_KEY": secret,
           "PYTHONPATH": str(ROOT)}
    env.pop("TEST_DATABASE_URL", None)
    port = _free_port()
    with open(tmp_path / "gunicorn.log", "wb") as log:
        server = Gunicorn(port, env, log)
        server.start()
        load = Load(port, world)
        try:
            load.start()
            load.wait_for(100)
            server.kill_workers()  # the master starts two new ones
            load.wait_for(100)
            server.kill_all()  # the whole server dies at once
            cut_while_down = load.cut
            server.start()
            load.wait_for(100)
        finally:
            load.finish()
            server.stop()
    log_text = (tmp_path / "gunicorn.log").read_text(errors="replace")

    errors = [a for a in load.answers if a[2] >= 500]
    assert errors == [], f"{len(errors)} answers were server errors:\n{log_text[-3000:]}"
    assert cut_while_down > 0, "the kills happened while no request was in flight"
    kinds = {kind for kind, _, status in load.answers if status in (200, 302)}
    assert kinds == {"vote", "support", "unsupport", "join", "leave", "comment"}

    engine = sa.create_engine(database)
    try:
        with engine.connect() as connection, app.app_context():
            voted = {person for kind, person, status in load.answers
                     if kind == "vote" and status == 200}
            recorded = set(connection.scalars(sa.text(
                "SELECT person_id FROM consultation_participations")))
            assert voted and voted <= recorded, "a vote acknowledged by a receipt was lost"
            assert _half_written(connection) == []
            # The check itself can fail: a counter off by one and a ballot without its
            # participation are both named.
            connection.rollback()
            connection.execute(sa.text("UPDATE proposals SET support_count = "
                                       "support_count + 1 WHERE id = :id"),
                               {"id": world["proposals"][0]})
            connection.execute(sa.text("DELETE FROM consultation_participations WHERE "
                                       "id = (SELECT min(id) FROM consultation_participations)"))
            found = _half_written(connection)
            connection.rollback()
            assert len(found) == 2 and "supports of" in found[1], found
    finally:
        engine.dispose()
    counts = Counter((kind, status) for kind, _, status in load.answers)
    print(f"\n{len(load.answers)} answers, {load.cut} requests cut by the kills; "
          + ", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(counts.items())))
