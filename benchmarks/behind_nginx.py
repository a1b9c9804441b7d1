"""What nginx in front of gunicorn changes: throughput and bytes, direct and proxied.

Run: .venv/bin/python benchmarks/behind_nginx.py [seconds per measure, default 10]

Starts, on a fresh SQLite database with the demo data (or DATABASE_URL if set),
one gunicorn (2 sync workers) on 127.0.0.1:18210 and nginx on 127.0.0.1:18211
with the proxy, gzip and static-file settings of deploy/nginx/participation.conf
(without TLS), from a config written under /tmp/cluster-bench-*. Then measures
with wrk (-t2 -c16) each path straight from gunicorn and through nginx, and
prints requests per second, p50 and p99 latency, and each response's size
plain and gzip-compressed. Needs nginx and wrk (Debian packages). Not part of
`make test`; no figure here is asserted.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN_PORT, NGINX_PORT = 18210, 18211
PATHS = ["/static/css/site.css", "/", "/propositions", "/conseil/decisions"]

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
  upstream participation {{ server 127.0.0.1:{app}; keepalive 32; }}
  server {{
    listen 127.0.0.1:{port};
    gzip on;
    gzip_vary on;
    gzip_proxied any;
    gzip_comp_level 5;
    gzip_min_length 256;
    gzip_types text/css text/plain text/csv text/calendar application/javascript
               application/json application/xml image/svg+xml;
    location /static/ {{
      alias {root}/participation/static/;
      expires 1d;
      add_header X-Content-Type-Options nosniff always;
    }}
    location / {{
      proxy_pass http://participation;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
    }}
  }}
}}
"""


def _wait(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)  # noqa: S310
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"nothing answers on port {port}")


def _size(url: str, gzip: bool) -> int:
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (our own http URL)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return len(response.read())


def _to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def _wrk(url: str, seconds: int) -> tuple[float, float, float]:
    out = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
        [shutil.which("wrk") or "/usr/bin/wrk", "-t2", "-c16", f"-d{seconds}s", "--latency",
         "-H", "Accept-Encoding: gzip", url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    return rps, p50, p99


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} not found (apt-get install nginx-light wrk)")
    run = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    env = {**os.environ, "SECRET_KEY": os.urandom(16).hex(), "MAIL_TRANSPORT": "console",
           "PROXY_COUNT": "1", "UPLOAD_FOLDER": str(run / "uploads"),
           "DATABASE_URL": os.environ.get("DATABASE_URL",
                                          f"sqlite:///{run / 'bench.sqlite3'}")}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,  # noqa: S603
                   capture_output=True)
    subprocess.run([*flask, "demo", "load", "--if-empty"], cwd=ROOT, env=env,  # noqa: S603
                   check=True, capture_output=True)
    processes = []
    try:
        processes.append(subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
             f"127.0.0.1:{GUNICORN_PORT}", "wsgi:app"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        conf = run / "nginx.conf"
        conf.write_text(NGINX_CONF.format(run=run, root=ROOT, port=NGINX_PORT,
                                          app=GUNICORN_PORT))
        processes.append(subprocess.Popen(  # noqa: S603
            [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf), "-p", str(run)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait(GUNICORN_PORT)
        _wait(NGINX_PORT)
        print(f"wrk -t2 -c16 -d{seconds}s, 2 gunicorn sync workers, nginx 2 workers; "
              f"database {env['DATABASE_URL'].split('@')[-1]}")
        print(f"{'path':24} {'via':9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'bytes':>8} {'gzip':>8}")
        for path in PATHS:
            for via, port in (("gunicorn", GUNICORN_PORT), ("nginx", NGINX_PORT)):
                url = f"http://127.0.0.1:{port}{path}"
                rps, p50, p99 = _wrk(url, seconds)
                print(f"{path:24} {via:9} {rps:8.0f} {p50:8.1f} {p99:8.1f} "
                      f"{_size(url, False):8d} {_size(url, True):8d}", flush=True)
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    main()
