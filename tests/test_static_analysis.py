"""Static analysis: bandit finds no medium or high issue in participation/, and every
finding silenced with ``# nosec`` names its test and says why (``make audit`` runs this)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "participation"
# "# nosec B704 — the HTML went through bleach's allow-list just above"
NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")
EXPLAINED = re.compile(r"\s+B\d{3}(\s*,\s*B\d{3})*\s+(—|--?)\s+\S.{9,}")


def unexplained_nosec(lines) -> list[tuple[int, str]]:
    """The ``# nosec`` comments among ``lines`` without a test id and a written reason."""
    wrong = []
    for number, line in enumerate(lines, 1):
        found = NOSEC.search(line)
        if found and not EXPLAINED.match(found.group("rest")):
            wrong.append((number, line.strip()))
    return wrong


def test_bandit_finds_no_medium_or_high_issue():
    pytest.importorskip("bandit", reason="bandit is in the test extras: make test installs it")
    run = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "bandit", "-r", str(PACKAGE), "-f", "json", "-q",
         "--severity-level", "medium"],
        capture_output=True, text=True, check=False)
    report = json.loads(run.stdout)
    assert report["errors"] == [], report["errors"]
    found = [f"{r['filename']}:{r['line_number']} {r['test_id']} ({r['issue_severity']}) "
             f"{r['issue_text']}" for r in report["results"]]
    assert found == [], "fix these, or annotate them '# nosec <ID> — reason':\n" + \
        "\n".join(found)
    assert run.returncode == 0, run.stderr


def test_every_nosec_names_its_test_and_gives_a_reason():
    wrong = [f"{path.relative_to(PACKAGE.parent)}:{number}: {line}"
             for path in sorted(PACKAGE.rglob("*.py"))
             for number, line in unexplained_nosec(path.read_text().splitlines())]
    assert wrong == [], "write '# nosec <ID> — reason':\n" + "\n".join(wrong)


@pytest.mark.parametrize(("line", "accepted"), [
    ("x = 1  # nosec B105 — public demo password", True),
    ("x = 1  # noqa: S105  # nosec B105, B106 - tests only, never deployed", True),
    ("x = 1  # nosec", False),
    ("x = 1  # nosec B105", False),
    ("x = 1  # nosec — because", False),
    ("x = 1  # nosec B105 — ok", False),
])
def test_the_nosec_check_tells_reasons_from_bare_silencing(line, accepted):
    assert (unexplained_nosec([line]) == []) is accepted
