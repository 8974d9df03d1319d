"""Schemathesis against the OpenAPI document: generated requests (valid and invalid) never get
a 500, and every answer has a documented status, content type and shape.

Bounded (a few examples per operation, no deadline) to stay fast; one SQLite database with the
worked examples' master data serves the whole module, so generated writes that succeed pile up
in it like real traffic would.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from kubus.oltp.store import open_store
from kubus.server.api.operations import Operation
from kubus.server.api.registry import OPERATIONS

if TYPE_CHECKING:
    from api_support import ApiServer

pytest_plugins = ["api_support"]

EXAMPLES = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]


@pytest.fixture(scope="module")
def fuzz_api(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[ApiServer]:
    from api_support import ApiServer, load_example_master_data, set_example_number_ranges
    from oltp_support import Oltp

    path = tmp_path_factory.mktemp("fuzz") / "oltp.sqlite"
    shutil.copyfile(_sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = open_store(url)
    server = ApiServer(Oltp("sqlite", url, engine))
    set_example_number_ranges(engine)
    load_example_master_data(server)
    server.post("/sales-orders", {"sold_to": "C1", "requested_delivery_date": "2024-03-12",
                                  "items": [{"material_id": "M1", "quantity": "10"}]})
    try:
        yield server
    finally:
        server.stop()
        engine.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzz_api: ApiServer) -> Any:
    return schemathesis.openapi.from_url(fuzz_api.url + "/api/v1/openapi.json")


def _can_be_invalid(op: Operation) -> bool:
    """Whether a request can violate the schema (a body, or a parameter that is not free
    text); schemathesis cannot make up invalid requests for the others."""
    return op.body is not None or any(p.kind is not str or p.enum for p in op.params)


# schemathesis' own pytest integration does not run on pytest 9 yet: one test per operation
# and generation mode, each a Hypothesis test over the operation's strategy.
CASES = [pytest.param(f"{op.method} {op.path}", mode, id=f"{op.method} {op.path} {mode.value}")
         for op in OPERATIONS
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode is GenerationMode.POSITIVE or _can_be_invalid(op)]


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_generated_requests_get_documented_answers(label: str, mode: GenerationMode,
                                                   fuzz_api: ApiServer,
                                                   api_schema: Any) -> None:
    operation = next(result.ok() for result in api_schema.get_all_operations()
                     if result.ok().label == label)
    base_url = fuzz_api.url + "/api/v1"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(base_url=base_url, checks=CHECKS)

    run()
