"""A bounded, deterministic schemathesis run over the whole API schema: no server error.

Every operation of /api/schema/ gets requests generated from its schema, valid
ones and invalid ones, sent to the WSGI application inside the test's
transaction. Bounded (EXAMPLES per operation and mode, derandomised, no example
database) so `make test` stays quick and repeatable; a 5xx anywhere fails the
operation's test, named after it. Successful answers of the read endpoints are
also checked against their documented response schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api.conftest import inside
from tests.factories import make_camera, point

EXAMPLES = 25
# Read endpoints whose 200 bodies must match the documented schema.
CONFORMING = {"/api/cameras/", "/api/cameras/{id}/", "/api/density/"}


def _operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )


@pytest.fixture
def api_schema(db, box):
    """The schema served by the app, with requests answered inside this test's transaction.

    Django closes "old" connections when a request starts and finishes; inside a test
    that would close the connection holding the test's transaction, so those signal
    handlers are off for the duration (Django's own test client does the same).
    """
    for i in range(4):
        make_camera(location=point(*inside(box, 0.2 * (i + 1), 0.5)))
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), _operations())
def test_no_request_makes_a_server_error(api_schema, method, path, mode):
    operation = api_schema[path][method]
    checks = [not_a_server_error]
    if method == "GET" and path in CONFORMING and mode is GenerationMode.POSITIVE:
        checks.append(response_schema_conformance)

    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def exercise(case):
        response = case.call()
        case.validate_response(response, checks=checks)

    exercise()
