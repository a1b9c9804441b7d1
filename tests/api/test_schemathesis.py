"""The open data API against its own OpenAPI document, with schemathesis (issue 8).

Schemathesis reads /api/openapi.json from the Flask app (WSGI, no network) and, for
every operation, sends requests generated from the document: valid and invalid
parameters, known and unknown ids. Every response must be no server error and match
the document (status code, content type, headers, body schema).

Its pytest loader (``from_fixture``) does not run under pytest 9 yet, so the test walks
the operations through the Python API, with Hypothesis driving each one.
"""

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.test_views import world  # noqa: F401  (public and non-public data)

EXAMPLES = 30


def test_the_api_answers_as_its_openapi_document_says(app, session, world):  # noqa: F811
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures, checked = {}, []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate()

        try:
            check()
        except Exception as error:  # noqa: BLE001  (gathered, then reported together)
            failures[operation.label] = error
        checked.append(operation.label)
    assert len(checked) >= 10, checked
    assert not failures, "\n\n".join(f"{label}:\n{error}" for label, error in failures.items())


def test_what_schemathesis_found_huge_ids_and_pages_are_404_and_400(client):
    # Both reached the database driver and gave a 500 (integer out of range).
    response = client.get(f"/api/action-sheets/{2**70}")
    assert response.status_code == 404 and response.json["error"]
    response = client.get(f"/api/decisions?page={2**70}")
    assert response.status_code == 400 and "100000" in response.json["message"]
    assert client.get(f"/propositions/{2**40}").status_code == 404
