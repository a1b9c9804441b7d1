"""How fast one `flask outbox send` run empties the outbox, against a local SMTP server.

Run (from the repository root):  .venv/bin/python benchmarks/outbox.py [--messages N]

Queues N emails (a password-reset message, rendered as the site does) in a fresh SQLite
file, starts aiosmtpd on 127.0.0.1 (a relay that accepts at once, as a local Postfix
would), then runs `deliver_for` as the timer does and prints messages sent per second.
Bounded: N defaults to 2,000, the run to 50 seconds.
"""

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-outbox-")
    os.environ.update({"DATABASE_URL": f"sqlite:///{folder}/outbox.sqlite3",
                       "SECRET_KEY": "benchmark-" + "0" * 32, "PARTICIPATION_ENV": "production",
                       "PAGE_CACHE_VERSION_URL": f"{folder}/content-version"})
    sys.path.insert(0, str(ROOT))
    import flask_migrate
    from aiosmtpd.controller import Controller

    from participation import create_app
    from participation.core.mail import deliver_for, queue_email
    from participation.extensions import db

    class Accept:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Accept.received += 1
            return "250 OK"

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(Accept(), hostname="127.0.0.1", port=port)
    controller.start()
    app = create_app()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TRANSPORT="smtp")
    try:
        with app.app_context():
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
            from types import SimpleNamespace

            person = SimpleNamespace(display_name="Nora", pseudonym="Nora")
            began = time.perf_counter()
            for i in range(args.messages):
                queue_email(f"personne{i}@example.org", "reset_password", "fr", user=person,
                            reset_url="https://participation.example.org/mot-de-passe/x",
                            minutes=60)
            db.session.commit()
            queued = time.perf_counter() - began
            began = time.perf_counter()
            counts = deliver_for(50)
            sent = time.perf_counter() - began
    finally:
        controller.stop()
    print(f"queued {args.messages:,} emails in {queued:.1f} s "
          f"({args.messages / queued:.0f}/s, rendered in French)")
    print(f"one run: {counts} in {sent:.1f} s: {counts['sent'] / sent:.0f} emails/s; "
          f"the SMTP server received {Accept.received:,}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
