"""Fixtures of the JSON API suite (a pytest plugin: ``pytest_plugins = ["api_support"]``).

``api`` is a real Kubus server (waitress in a thread, on a free port) over a fresh, migrated
OLTP database of its own, on SQLite and then PostgreSQL (the ``oltp`` fixture of the OLTP
suite). ``o2c_api`` has the master data of the worked examples O2C-1/P2P-1, created *through
the API* (configuration batch, customers, vendor, materials, initial stock); only the number
ranges (4711, 80017, ...) are set directly, as the API has no endpoint for them.

Every response the client sees is validated against the OpenAPI document's schema for its
operation and status, so the document cannot drift from what is served.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
import sqlalchemy as sa

_OLTP_TESTS = str(Path(__file__).resolve().parents[1] / "oltp")
if _OLTP_TESTS not in sys.path:  # the OLTP suite's fixtures and data
    sys.path.insert(0, _OLTP_TESTS)

import oltp_data  # noqa: E402
from jsonschema import Draft202012Validator  # noqa: E402
from referencing import Registry, Resource  # noqa: E402
from referencing.jsonschema import DRAFT202012  # noqa: E402

from kubus.config.settings import load_settings  # noqa: E402
from kubus.model.catalog import Catalog  # noqa: E402
from kubus.oltp.numbering import set_number_range  # noqa: E402
from kubus.oltp.store import transaction  # noqa: E402
from kubus.server.api.registry import PREFIX, document  # noqa: E402
from kubus.server.app import create_app  # noqa: E402
from kubus.server.workspace import Workspace  # noqa: E402

if TYPE_CHECKING:
    from oltp_support import Oltp

pytest_plugins = ["oltp_support"]

#: The business date writes default to in these tests (domain.md: a Monday).
TODAY = date(2024, 3, 4)

AREA = {"sales_org": "1000", "distribution_channel": "10", "division": "00"}
CONFIGURATION: list[dict[str, Any]] = [
    {"type": "currency", "currency": "EUR", "name": "Euro"},
    {"type": "currency", "currency": "USD", "name": "US Dollar"},
    {"type": "exchange_rate", "from_currency": "USD", "to_currency": "EUR",
     "valid_from": "2024-01-01", "rate": "0.92"},
    {"type": "payment_terms", "terms": "ZB10", "description": "2% within 10 days, net 30",
     "discount_days": 10, "discount_percent": "2", "net_days": 30},
    {"type": "payment_terms", "terms": "NT30", "description": "net 30", "discount_days": 0,
     "discount_percent": 0, "net_days": 30},
    {"type": "tax_rate", "country": "DE", "customer_tax_class": "1", "material_tax_class": "1",
     "tax_code": "A1", "rate": "19"},
    {"type": "sales_area", **AREA, "name": "Germany domestic"},
    {"type": "factory_calendar", "calendar_id": "DE", "name": "Germany, Monday to Friday"},
    {"type": "calendar_holiday", "calendar_id": "DE", "holiday": "2024-03-29",
     "name": "Good Friday"},
    {"type": "plant", "plant": "1000", "name": "Hamburg", "country": "DE", "calendar_id": "DE"},
    {"type": "storage_location", "plant": "1000", "storage_location": "0001",
     "name": "Main store"},
    {"type": "storage_location", "plant": "1000", "storage_location": "0002",
     "name": "Overflow"},
    {"type": "shipping_point", "shipping_point": "1000", "plant": "1000",
     "name": "Hamburg dock", "calendar_id": "DE", "departure_zone": "DE-N",
     "loading_days": "1", "pick_pack_days": "2"},
    {"type": "route", "route": "R1", "description": "Hamburg - Berlin", "transit_days": "2",
     "calendar_id": "DE", "transport_lead_days": "1"},
    {"type": "route_determination", "departure_zone": "DE-N", "destination_country": "DE",
     "destination_zone": "Z-BER", "shipping_conditions": "01", "transportation_group": "0001",
     "route": "R1"},
]


def customer(customer_id: str, name: str) -> dict[str, Any]:
    return {"customer_id": customer_id, "name": name, "country": "DE", "city": "Berlin",
            "transport_zone": "Z-BER", "sales_areas": [
                {**AREA, "currency": "EUR", "payment_terms": "ZB10",
                 "delivering_plant": "1000"}]}


def material(material_id: str, description: str, standard: str, price: str) -> dict[str, Any]:
    return {"material_id": material_id, "description": description, "base_unit": "PC",
            "plants": [{"plant": "1000", "standard_price": standard}],
            "prices": [{"sales_org": "1000", "distribution_channel": "10", "currency": "EUR",
                        "valid_from": "2024-01-01", "price": price}]}


# --- the OpenAPI document as a response checker -------------------------------------------


def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in document()["paths"]:
        regex = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
        patterns.append((re.compile(f"^{regex}$"), template))
    return patterns


_PATTERNS = _path_patterns()
_REGISTRY = Registry().with_resource(
    "urn:kubus-api", Resource.from_contents(document(), default_specification=DRAFT202012))


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def documented_schema(method: str, path: str, status: int) -> dict[str, Any]:
    """A JSON Schema (a ``$ref`` into the document) for this response; fails if undocumented."""
    relative = path[len(PREFIX):] if path.startswith(PREFIX) else path
    templates = [t for pattern, t in _PATTERNS if pattern.match(relative)]
    operation = None
    for template in templates:
        operation = document()["paths"][template].get(method.lower())
        if operation is not None:
            break
    if operation is None:
        assert status in (404, 405), f"{method} {path} is not documented (got {status})"
        return {"$ref": "urn:kubus-api#/components/schemas/Error"}
    assert str(status) in operation["responses"], (
        f"{method} {template} answered {status}, which is not documented")
    response = operation["responses"][str(status)]
    if "$ref" in response:
        return {"$ref": "urn:kubus-api#/components/schemas/Error"}
    pointer = "/".join(["", "paths", _escape(template), method.lower(), "responses",
                        str(status), "content", "application~1json", "schema"])
    return {"$ref": f"urn:kubus-api#{pointer}"}


def check_response(method: str, path: str, response: requests.Response) -> None:
    """The response is JSON of the documented shape (never HTML, never a traceback)."""
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    assert "Traceback" not in response.text
    schema = documented_schema(method, path, response.status_code)
    Draft202012Validator(schema, registry=_REGISTRY).validate(response.json())


# --- a real server --------------------------------------------------------------------------


class ApiServer:
    """waitress serving ``create_app(workspace, oltp=engine)`` on a free port until stopped."""

    def __init__(self, oltp: Oltp, *, today: date = TODAY, threads: int = 4,
                 checker: Any = None) -> None:
        from waitress.server import create_server

        self.oltp = oltp
        self.engine = oltp.engine
        self.workspace = Workspace(load_settings(None, environ={}), Catalog.from_models([]))
        app = create_app(self.workspace, oltp=oltp.engine, today=lambda: today,
                         checker=checker)
        self.server: Any = create_server(app, host="127.0.0.1", port=0, threads=threads)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.session = requests.Session()

    def request(self, method: str, path: str, *, body: Any = None, key: str | None = None,
                params: Any = None, data: bytes | str | None = None,
                headers: dict[str, str] | None = None,
                session: requests.Session | None = None) -> requests.Response:
        """Any request; the response is checked against the OpenAPI document."""
        sent = dict(headers or {})
        if key is not None:
            sent["Idempotency-Key"] = key
        full = PREFIX + path
        response = (session or self.session).request(
            method, self.url + full, json=body if data is None else None, data=data,
            params=params, headers=sent, timeout=60)
        check_response(method, full, response)
        return response

    def call(self, method: str, path: str, status: int, body: Any = None,
             **kwargs: Any) -> Any:
        response = self.request(method, path, body=body, **kwargs)
        assert response.status_code == status, response.text
        return response.json()

    def get(self, path: str, params: Any = None, status: int = 200) -> Any:
        return self.call("GET", path, status, params=params)

    def post(self, path: str, body: Any = None, status: int = 201, **kwargs: Any) -> Any:
        return self.call("POST", path, status, body if body is not None else {}, **kwargs)

    def snapshot(self) -> dict[str, object]:
        """Every table's row count, stock, open quantities and the whole change log."""
        return oltp_data.snapshot(self.engine)

    def stop(self) -> None:
        from waitress import wasyncore

        socket_map = self.server._map
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(socket_map))
        self.thread.join(10)
        assert not self.thread.is_alive(), "the test server did not stop"
        self.server.task_dispatcher.shutdown()
        self.session.close()
        self.workspace.close()


def set_example_number_ranges(engine: sa.Engine) -> None:
    with transaction(engine) as conn:
        for object_type, first in oltp_data.EXAMPLE_NUMBERS.items():
            set_number_range(conn, object_type, first)


def load_example_master_data(api: ApiServer) -> None:
    """O2C-1/P2P-1 master data and 100 PC of M1 in 1000/0001, all through the API."""
    created = api.post("/master-data", {"records": CONFIGURATION})
    assert created["created"] == len(CONFIGURATION)
    for customer_id, name in (("C1", "Acme GmbH"), ("C2", "Beta AG")):
        api.post("/customers", customer(customer_id, name))
    api.post("/vendors", {"vendor_id": "V100", "name": "Vendor One", "country": "DE",
                          "currency": "EUR", "payment_terms": "NT30"})
    for args in (("M1", "Widget", "8.00", "12.50"), ("M2", "Gadget", "4.00", "6.00"),
                 ("M3", "Scarce part", "2.00", "3.00")):
        api.post("/materials", material(*args))
    api.post("/stock/initial-entries", {"entries": [
        {"material_id": "M1", "plant": "1000", "storage_location": "0001", "quantity": "100"}],
        "posting_date": "2024-03-01"})


@pytest.fixture
def api(oltp: Oltp) -> Iterator[ApiServer]:
    """A server over an empty, migrated OLTP database (SQLite, then PostgreSQL)."""
    server = ApiServer(oltp)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def o2c_api(api: ApiServer) -> ApiServer:
    """``api`` with the worked examples' master data, stock and number ranges."""
    set_example_number_ranges(api.engine)
    load_example_master_data(api)
    return api


