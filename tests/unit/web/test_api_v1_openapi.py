"""The OpenAPI document: it lists exactly the app's /api/v1 routes, and the served API keeps to it.

The schemathesis run generates requests from the served document against the real app on 127.0.0.1 (in
a worker thread: schemathesis' client is synchronous, the app runs on the test's event loop) and checks
that no answer is a 5xx and that every status, content type, header and body is the documented one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any

import hypothesis
import pytest
import schemathesis
from aiohttp import web as aioweb
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.unit.web.api_v1_support import new_token
from tests.unit.web.conftest import Web

DOCUMENT = "/api/v1/openapi.json"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
EXAMPLES_PER_OPERATION = 30
URGENCIES = ["U3", "U4", "U5"]
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def api_routes(app: aioweb.Application) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves under /api/v1."""
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or ""
        if path.startswith("/api/v1/"):
            found.add((route.method, path))
    return found


async def served_document(web: Web) -> dict[str, Any]:
    response = await web.client.get(DOCUMENT)
    assert response.status == 200
    document: dict[str, Any] = await response.json()
    return document


async def test_the_documents_paths_and_methods_are_exactly_the_apps_api_routes(web: Web) -> None:
    """Nothing served is undocumented, nothing documented is missing (HEAD included: there is none)."""
    document = await served_document(web)
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }
    assert documented == api_routes(web.client.server.app)
    assert len(documented) == 4


async def test_every_refusal_is_documented_with_the_error_body(web: Web) -> None:
    """Each operation's 4xx/5xx answers use the ApiError schema; token operations list 401, 403 and 429."""
    document = await served_document(web)
    error = "#/components/schemas/ApiError"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            refusals = {code: r for code, r in operation["responses"].items() if not code.startswith("2")}
            for code, response in refusals.items():
                schema = response["content"]["application/json"]["schema"]
                refs = [schema.get("$ref")] + [s.get("$ref") for s in schema.get("anyOf", [])]
                assert error in refs, (method, path, code)
            if path != DOCUMENT:
                assert {"401", "403", "429", "503"} <= set(refusals), (method, path)
                assert operation.get("security") is None  # the document's global bearer scheme applies
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    assert document["paths"][DOCUMENT]["get"]["security"] == []


async def test_the_request_schema_is_the_one_the_handler_validates_with(web: Web) -> None:
    """The body schema forbids extra fields and names the same required fields the model does."""
    schema = (await served_document(web))["components"]["schemas"]["CallbackRequestIn"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"phone", "name", "urgency", "summary"}
    assert re.fullmatch(r"\^\[\^.*\]\*\$", schema["properties"]["name"]["pattern"])


def bookable(case: schemathesis.Case, request_id: int, digits: int, urgency: str) -> schemathesis.Case:
    """The case with a callable number and a U3-U5 urgency, and an id that may exist: so some book and read.

    Random text is almost never a Dutch number, so without this the fuzzing would hardly reach a booking.
    """
    if case.path_parameters and "request_id" in case.path_parameters:
        case.path_parameters["request_id"] = request_id
    if isinstance(case.body, dict):
        case.body.update(phone=f"0612{digits:06d}", urgency=urgency)
    return case


def fuzz(
    document: dict[str, Any], base_url: str, token: str, mode: GenerationMode, checks: list[Any]
) -> list[str]:
    """Run schemathesis on every operation of the served document; return the failures found."""
    schema = schemathesis.openapi.from_dict(document)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        cases = operation.as_strategy(generation_mode=mode)
        if mode.is_positive:
            steered = st.tuples(
                cases, st.integers(1, 40), st.integers(0, 10**6 - 1), st.sampled_from(URGENCIES)
            )
            cases = st.one_of(cases, steered.map(lambda drawn: bookable(*drawn)))

        @hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(case=cases)
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
            case.validate_response(response, checks=checks)

        try:
            check()
        except Unsatisfiable:
            # Negative mode on an operation without inputs (the document): nothing can be made invalid.
            if mode.is_positive:
                raise
        except Exception as exc:  # one line per failing operation, all operations still run
            failures.append(f"{operation.label}: {exc}")
    return failures


@pytest.mark.parametrize(
    ("mode", "checks"),
    [
        (GenerationMode.POSITIVE, CONFORMANCE),
        # Data outside the schema: always a documented 4xx, never a 5xx.
        (GenerationMode.NEGATIVE, [*CONFORMANCE, negative_data_rejection]),
    ],
)
async def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(
    web: Web, mode: GenerationMode, checks: list[Any]
) -> None:
    """Generated requests (valid, and invalid) never get a 5xx, and every answer matches the document."""
    web.ctx.settings = dataclasses.replace(web.ctx.settings, api_requests_per_minute=10_000, api_burst=10_000)
    token = await new_token(web)
    base_url = str(web.client.make_url("")).rstrip("/")
    assert base_url.startswith("http://127.0.0.1:")
    document = await served_document(web)
    failures = await asyncio.to_thread(fuzz, document, base_url, token, mode, checks)
    assert failures == []
