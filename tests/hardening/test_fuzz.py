"""Schemathesis against the project's own OpenAPI document, every operation, signed in:
hostile and valid input alike never gives a 5xx, and every answer matches what the document
says (status, content type, body schema, headers).

Bounded: a few examples per operation with a fixed seed (the same cases on every run), so
the whole file takes about a minute per database.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from app.services import accounts

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
EXAMPLES = 25


@pytest.fixture(scope="session")
def api_schema(app: Any) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture(scope="module")
def tokens(app: Any) -> dict[str, str]:
    """A citizen and an official (of the agency handling the demo procedures), signed in."""
    from app.extensions import db

    with app.app_context():
        citizen = accounts.register(db.session, password="Khong-doan-duoc-42",
                                    full_name="Người Thử", phone="0966000001", language="vi")
        official = accounts.create_official(db.session, email="fuzz@office.test",
                                            password="Can-bo-mot-cua-2026", full_name="Cán bộ",
                                            agency_code="UBP-HOANKIEM", role="leader")
        result = {"citizen": accounts.issue_tokens(db.session, citizen)["access_token"],
                  "official": accounts.issue_tokens(db.session, official)["access_token"]}
        db.session.commit()
    yield result
    from tests.conftest import wipe

    wipe(app)


MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


def fuzz(op: Any, mode: GenerationMode, auth: dict[str, str]) -> None:
    @given(case=op.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    def run(case: Any) -> None:
        case.call_and_validate(headers=auth, checks=CHECKS)

    run()


def test_every_operation_survives_fuzzing(api_schema: Any, tokens: dict[str, str]) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 30, "the OpenAPI document lost its operations"
    failures: list[str] = []
    for op in operations:
        who = "official" if op.path.startswith("/api/v1/office") else "citizen"
        for mode in MODES:
            try:
                fuzz(op, mode, {"Authorization": f"Bearer {tokens[who]}"})
            except Unsatisfiable:
                continue  # nothing invalid can be said to it (e.g. no parameters): nothing to try
            except (Exception, BaseExceptionGroup) as exc:  # report every operation's failure
                failures.append(f"{op.method.upper()} {op.path} [{mode.value}]: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
