"""When the shared Redis is down, rate limits still hold in each process, and pages work.

Run in a subprocess: the limiter is one object per process, bound to its storage at
create_app, and the session's test app must keep its own.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import flask_migrate
from participation import create_app
from participation.config import TestConfig

class Down(TestConfig):
    SQLALCHEMY_DATABASE_URI = "sqlite:///{db}"
    RATELIMIT_STORAGE_URI = "redis://127.0.0.1:1/0"  # nothing listens on port 1

app = create_app(Down)
with app.app_context():
    flask_migrate.upgrade()
client = app.test_client()
codes = [client.post("/connexion", data={{"login": "a@example.org", "password": "x" * 12}})
         .status_code for _ in range(11)]
print("codes", codes, client.get("/").status_code)
"""


def test_rate_limits_fall_back_to_memory_when_redis_is_down(tmp_path):
    done = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", SCRIPT.format(db=tmp_path / "down.sqlite3")], cwd=ROOT,
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    # Ten attempts per 15 minutes per address and account, then refused; the site answers.
    assert f"codes {[200] * 10 + [429]} 200" in done.stdout
    assert "falling back to in-memory storage" in done.stderr
