"""Two app servers behind nginx, sharing one PostgreSQL and one Redis.

Starts two gunicorn servers (127.0.0.1:18201 and :18202) behind nginx on
127.0.0.1:18200, on a fresh PostgreSQL database ``cluster_<pid>`` and Redis
database 5 (only this run's keys are touched), then:

- many clients at once log in, vote and support through both servers, each
  ballot and each support sent twice at the same moment, once to each server:
  one ballot per voter, one support per person, counters equal to the rows;
- login attempts split between the two servers still stop at the configured
  number, counted per client address (nginx passes it on, ProxyFix reads it),
  and a client cannot escape the count by sending its own X-Forwarded-For;
- three ``flask outbox send`` running at once, as timers on several machines
  would, send each email of the outbox once.

Skipped, with the reason, where nginx, PostgreSQL or Redis is missing; with
CI=true it must run. Settings: CLUSTER_POSTGRES_URL (a database to connect to
for CREATE DATABASE, default postgresql://postgres@127.0.0.1:5432/postgres) and
CLUSTER_REDIS_URL (default redis://127.0.0.1:6379/5).
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX_PORT, PORT_A, PORT_B, SMTP_PORT = 18200, 18201, 18202, 18203
ADMIN_URL = os.environ.get("CLUSTER_POSTGRES_URL",
                           "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/5")
VOTERS = 40
IDEAS = 3
EMAILS = 150  # below one sender's batch (200): each sender sees every message
CLIENTS = 20  # voters going through their steps at the same time
LOGIN_LIMIT = 10  # accounts/views.py: "10 per 15 minutes" per (address, account)

NGINX_CONF = """
worker_processes 2;
daemon off;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path {run}/body;
  proxy_temp_path {run}/proxy;
  fastcgi_temp_path {run}/fastcgi;
  uwsgi_temp_path {run}/uwsgi;
  scgi_temp_path {run}/scgi;
  gzip on;
  gzip_types text/css image/svg+xml application/javascript application/json text/csv;

  upstream participation {{ server 127.0.0.1:{a}; server 127.0.0.1:{b}; keepalive 16; }}
  # For the test only: X-Test-Upstream picks one server, so a sequence of requests is
  # split between them for sure rather than by the round robin's luck.
  upstream app_a {{ server 127.0.0.1:{a}; keepalive 8; }}
  upstream app_b {{ server 127.0.0.1:{b}; keepalive 8; }}
  map $http_x_test_upstream $pick {{ default participation; a app_a; b app_b; }}

  # For the test only, standing for a load balancer in front of nginx: the client
  # address is taken from X-Client-Address (real_ip), as nginx would take it from
  # the connection on a real deployment (docs/deployment.md).
  set_real_ip_from 127.0.0.1;
  real_ip_header X-Client-Address;

  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 12m;
    location /static/ {{
      alias {root}/participation/static/;
      expires 7d;
    }}
    location / {{
      proxy_pass http://$pick;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      # Replaces whatever the client sent: the app (PROXY_COUNT=1) trusts one hop.
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"""


# --- What the machine must have ------------------------------------------------------------

def _missing() -> str | None:
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        return "nginx not found (apt-get install nginx-light)"
    try:
        import psycopg

        psycopg.connect(ADMIN_URL, connect_timeout=3).close()
    except Exception as error:  # any failure means: not there
        return f"PostgreSQL not reachable at {ADMIN_URL}: {error}"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as error:
        return f"Redis not reachable at {REDIS_URL}: {error}"
    for port in (NGINX_PORT, PORT_A, PORT_B, SMTP_PORT):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return f"port {port} is already in use"
    return None


def _wait_for(port: int, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on {port} stopped:\n{_tail(log)}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not answer within {seconds} s:\n{_tail(log)}")


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() \
        else ""


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def cluster():
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the two-server test must run in CI: {reason}")
        pytest.skip(reason)
    import psycopg
    import redis
    from sqlalchemy.engine import make_url

    name = f"cluster_{os.getpid()}"
    database_url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    prefix = f"cluster-{os.getpid()}"
    store = redis.Redis.from_url(REDIS_URL)
    keys = f"LIMITS:LIMITER/{prefix}/*"  # what Flask-Limiter writes with this prefix

    def forget_keys():
        for key in store.scan_iter(match=keys, count=1000):
            store.delete(key)

    run = Path(tempfile.mkdtemp(prefix="cluster-"))
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    forget_keys()
    env = {
        **os.environ,
        "SECRET_KEY": os.urandom(32).hex(),  # the same on both servers: sessions travel
        "DATABASE_URL": database_url.render_as_string(hide_password=False),
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        # Visitors' pages kept by each worker: their content version shared in Redis.
        "PAGE_CACHE_VERSION_URL": REDIS_URL,
        "PROXY_COUNT": "1",
        "UPLOAD_FOLDER": str(run / "uploads"),
        "SITE_URL": f"http://127.0.0.1:{NGINX_PORT}",
        "MAIL_TRANSPORT": "console",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("PARTICIPATION_ENV", None)
    env.pop("MAIL_DELIVER_AFTER_REQUEST", None)
    processes = []
    try:
        # The commands below are fixed lists run without a shell.
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
        seeded = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "tests.cluster.seed", str(VOTERS), str(IDEAS),
             str(EMAILS)],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=300)
        data = json.loads(seeded.stdout.strip().splitlines()[-1])
        for port in (PORT_A, PORT_B):
            log = run / f"gunicorn-{port}.log"
            processes.append((subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
                 f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "5",
                 "--error-logfile", str(log), "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                port, log))
        conf = run / "nginx.conf"
        conf.write_text(NGINX_CONF.format(run=run, root=ROOT, port=NGINX_PORT, a=PORT_A,
                                          b=PORT_B))
        nginx_log = run / "nginx.out"
        with nginx_log.open("w") as out:
            nginx = subprocess.Popen(  # noqa: S603
                [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf), "-p", str(run)],
                stdout=out, stderr=out)
        processes.append((nginx, NGINX_PORT, nginx_log))
        for process, port, log in processes:
            _wait_for(port, process, log)
        yield {"data": data, "database_url": database_url, "redis": store, "keys": keys,
               "env": env,
               "logs": [log for _, _, log in processes] + [run / "error.log"]}
    finally:
        for process, _, _ in reversed(processes):
            _stop(process)
        forget_keys()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(run, ignore_errors=True)


# --- A client that keeps its cookies and says which server and address to use ------------

class Client:
    def __init__(self, address: str):
        self.address = address
        self.cookies: dict[str, str] = {}
        self.turn = 0

    def request(self, method: str, path: str, form: dict | None = None,
                upstream: str | None = None, headers: dict | None = None):
        """Returns (status, body, upstream address). Without ``upstream``, requests
        alternate between the two servers."""
        if upstream is None:
            upstream = "ab"[self.turn % 2]
            self.turn += 1
        sent = {"X-Test-Upstream": upstream, "X-Client-Address": self.address,
                **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", NGINX_PORT, timeout=60)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if "expires=Thu, 01 Jan 1970" in value or cookie_value == "":
                    self.cookies.pop(cookie_name, None)
                else:
                    self.cookies[cookie_name] = cookie_value
        return response.status, text, response.getheader("X-Upstream")

    def csrf(self, path: str) -> str:
        status, text, _ = self.request("GET", path)
        assert status == 200, (path, status)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def login(self, email: str, password: str) -> int:
        token = self.csrf("/connexion")
        status, _, _ = self.request("POST", "/connexion", {
            "csrf_token": token, "login": email, "password": password})
        return status


def _twice_at_once(first, second):
    """Runs both calls at the same moment, one thread each; returns both results."""
    barrier = threading.Barrier(2)

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(2) as pool:
        return [f.result(timeout=120) for f in (pool.submit(run, first),
                                                pool.submit(run, second))]


# --- The tests ----------------------------------------------------------------------------

def test_votes_and_supports_through_both_servers_are_counted_once(cluster):
    import psycopg

    data = cluster["data"]
    consultation, ideas = data["consultation"], data["proposals"]
    withdrawn = ideas[0]  # supported, then withdrawn twice at once
    seen_upstreams: set[str] = set()
    lock = threading.Lock()

    def voter(index: int, email: str) -> dict:
        client = Client(f"10.0.{index // 200}.{index % 200 + 1}")
        assert client.login(email, data["password"]) == 302, email
        token = client.csrf(f"/consultations/{consultation}/voter")
        form = {"csrf_token": token, **data["ballot"]}
        path = f"/consultations/{consultation}/voter/confirmer"
        ballots = _twice_at_once(lambda: client.request("POST", path, form, upstream="a"),
                                 lambda: client.request("POST", path, form, upstream="b"))
        supports = []
        for idea in ideas:
            support = {"csrf_token": token, "support": "1"}
            supports += _twice_at_once(
                lambda idea=idea, s=support: client.request(
                    "POST", f"/propositions/{idea}/soutien", s, upstream="a"),
                lambda idea=idea, s=support: client.request(
                    "POST", f"/propositions/{idea}/soutien", s, upstream="b"))
        withdraw = {"csrf_token": token, "support": "0"}
        supports += _twice_at_once(
            lambda: client.request("POST", f"/propositions/{withdrawn}/soutien", withdraw,
                                   upstream="a"),
            lambda: client.request("POST", f"/propositions/{withdrawn}/soutien", withdraw,
                                   upstream="b"))
        with lock:
            seen_upstreams.update(u for _, _, u in ballots + supports)
        return {"ballots": sorted(s for s, _, _ in ballots),
                "receipts": sum('class="code receipt"' in t for s, t, _ in ballots if s == 200),
                "supports": [s for s, _, _ in supports]}

    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(pool.map(lambda pair: voter(*pair), enumerate(data["voters"])))

    # Each voter's two simultaneous ballots: one taken, one refused with the reason (409
    # when the other was already committed on arrival, 400 when they raced to the insert).
    assert all(o["ballots"] in ([200, 400], [200, 409]) for o in outcomes), outcomes
    assert all(o["receipts"] == 1 for o in outcomes)
    assert all(s == 302 for o in outcomes for s in o["supports"])
    assert seen_upstreams == {f"127.0.0.1:{PORT_A}", f"127.0.0.1:{PORT_B}"}

    url = cluster["database_url"].set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as db:
        def one(sql, *args):
            return db.execute(sql, args).fetchone()

        assert one("SELECT count(*), count(DISTINCT person_id) FROM "
                   "consultation_participations WHERE consultation_id = %s",
                   consultation) == (VOTERS, VOTERS)
        assert one("SELECT count(*) FROM consultation_ballots WHERE consultation_id = %s",
                   consultation) == (VOTERS,)
        for idea in ideas:
            expected = 0 if idea == withdrawn else VOTERS
            assert one("SELECT support_count, (SELECT count(*) FROM supports s WHERE "
                       "s.proposal_id = p.id) FROM proposals p WHERE p.id = %s",
                       idea) == (expected, expected), idea


def test_a_page_kept_by_one_server_shows_a_change_made_through_the_other(cluster):
    """Visitors' pages are kept by every worker of both servers; a support given through
    one server must show at once on the other's (their content version is in Redis)."""
    data = cluster["data"]
    path = f"/propositions/{data['proposals'][1]}"
    visitor = Client("10.9.0.1")

    def supports_seen_through_b() -> set[int]:
        pages = [visitor.request("GET", path, upstream="b") for _ in range(6)]
        assert all(status == 200 for status, _, _ in pages)
        assert not visitor.cookies  # a visitor's page sets no cookie
        return {int(re.search(r'id="support-title">(\d+) soutien', text).group(1))
                for _, text, _ in pages}

    before = supports_seen_through_b()  # rendered, then kept by B's workers
    assert len(before) == 1
    person = Client("10.9.0.2")
    assert person.login(data["voters"][-3], data["password"]) == 302
    token = person.csrf(path)
    _, page, _ = person.request("GET", path, upstream="a")
    give = 'name="support" value="1"' in page
    status, _, upstream = person.request(
        "POST", f"{path}/soutien", {"csrf_token": token, "support": "1" if give else "0"},
        upstream="a")
    assert status == 302 and upstream == f"127.0.0.1:{PORT_A}"
    assert supports_seen_through_b() == {before.pop() + (1 if give else -1)}


def test_login_limit_holds_across_both_servers_per_client_address(cluster):
    data = cluster["data"]
    target, other = data["voters"][-1], data["voters"][-2]

    def attempts(client, email, count, headers=lambda i: None):
        results = []
        for i in range(count):
            token = client.csrf("/connexion")
            results.append(client.request("POST", "/connexion", {
                "csrf_token": token, "login": email, "password": "pas le bon mot de passe"},
                upstream="ab"[i % 2], headers=headers(i)))
        return results

    # Wrong passwords from one address, alternately to each server: the 11th is refused.
    first = attempts(Client("198.51.100.7"), target, LOGIN_LIMIT + 1)
    assert [s for s, _, _ in first] == [200] * LOGIN_LIMIT + [429]
    assert {u for _, _, u in first[:LOGIN_LIMIT]} == {f"127.0.0.1:{PORT_A}",
                                                       f"127.0.0.1:{PORT_B}"}
    # The counts are in the shared Redis, under this run's prefix only.
    assert any(cluster["redis"].scan_iter(match=cluster["keys"], count=1000))

    # A client that sends its own X-Forwarded-For does not escape: nginx replaces it.
    spoofed = attempts(Client("198.51.100.8"), other, LOGIN_LIMIT + 1,
                       headers=lambda i: {"X-Forwarded-For": f"203.0.113.{i + 1}"})
    assert [s for s, _, _ in spoofed] == [200] * LOGIN_LIMIT + [429]

    # Counted per visitor, not per proxy: someone else, from another address, still logs in.
    assert Client("198.51.100.9").login(other, data["password"]) == 302


class SlowRecorder:
    """An SMTP server that takes 40 ms a message, so that senders overlap."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        await asyncio.sleep(0.04)
        self.envelopes.append(envelope)
        return "250 OK"


def test_outbox_senders_side_by_side_send_each_email_once(cluster):
    import email

    import psycopg
    from aiosmtpd.controller import Controller

    url = cluster["database_url"].set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as db:
        # The seeded messages, and any the earlier tests' actions queued.
        (pending,) = db.execute("SELECT count(*) FROM outbox_messages "
                                "WHERE status = 'pending'").fetchone()
    assert EMAILS <= pending < 200  # one sender's batch: each sender sees every message
    handler = SlowRecorder()
    controller = Controller(handler, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    try:
        env = {**cluster["env"], "MAIL_TRANSPORT": "smtp", "MAIL_SERVER": "127.0.0.1",
               "MAIL_PORT": str(SMTP_PORT)}
        senders = [subprocess.Popen(  # noqa: S603 (a fixed command, no shell)
            [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)]
        reports = [sender.communicate(timeout=300) for sender in senders]
    finally:
        controller.stop()
    assert all(sender.returncode == 0 for sender in senders), reports
    sent = [int(re.search(r"sent (\d+)", out).group(1)) for out, _ in reports]
    assert sum(sent) == pending, sent
    assert sorted(sent)[-2] > 0, f"the senders did not overlap: {sent}"  # a real race
    received = [email.message_from_bytes(e.content)["Message-ID"] for e in handler.envelopes]
    assert len(received) == len(set(received)) == pending
    with psycopg.connect(url.render_as_string(hide_password=False)) as db:
        assert db.execute("SELECT status, count(*) FROM outbox_messages GROUP BY status"
                          ).fetchall() == [("sent", pending)]
        assert {row[0] for row in db.execute("SELECT message_id FROM outbox_messages")
                } == set(received)
