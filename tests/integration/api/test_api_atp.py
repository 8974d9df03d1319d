"""``POST /atp/check`` and ``POST /backorder-runs`` over HTTP, on SQLite and PostgreSQL.

The database holds the worked example of domain.md §2.3 (built with the services by the
scheduling suite's ``atp_db_support``): ATP-1 and ATP-2 through the endpoint, nothing saved; a
dry backorder run over ATP-10 (§2.4) reports the book's changes and saves nothing; bad input is
the documented 4xx.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scheduling"))

from atp_db_support import ZERO_TIMES, build_example, order

if TYPE_CHECKING:
    from api_support import ApiServer

pytest_plugins = ["api_support"]

CHECK = {"material_id": "M1", "plant": "1000", "quantity": "30",
         "requested_delivery_date": "2024-03-07", "today": "2024-03-04"}


@pytest.fixture
def atp_api(api: ApiServer) -> ApiServer:
    """A server over the §2.3 example database."""
    build_example(api.oltp, ZERO_TIMES)
    return api


def lines(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(line["delivery_date"], line["confirmed_quantity"])
            for line in result["schedule_lines"] if line["confirmed_quantity"] != "0.000"]


def test_atp_1_fully_confirmed_and_nothing_saved(atp_api: ApiServer) -> None:
    before = atp_api.snapshot()
    result = atp_api.post("/atp/check", CHECK, status=200)
    assert lines(result) == [("2024-03-07", "30.000")]
    assert result["confirmed_quantity"] == "30.000"
    assert result["unconfirmed_quantity"] == "0.000"
    assert (result["confirmed_date"], result["delay_days"], result["outcome"]) == (
        "2024-03-07", 0, "full")
    line = result["schedule_lines"][0]
    assert line["material_availability_date"] == "2024-03-07"
    assert line["goods_issue_date"] == "2024-03-07"
    assert result["rule"]
    assert atp_api.snapshot() == before


def test_atp_2_delivery_proposal(atp_api: ApiServer) -> None:
    result = atp_api.post("/atp/check", {**CHECK, "quantity": 60, "customer_id": "C1"},
                          status=200)
    assert lines(result) == [("2024-03-07", "40.000"), ("2024-03-18", "20.000")]
    assert (result["confirmed_quantity"], result["confirmed_date"], result["delay_days"],
            result["outcome"]) == ("60.000", "2024-03-18", 11, "full")


def test_today_defaults_to_the_business_date(atp_api: ApiServer) -> None:
    body = {k: v for k, v in CHECK.items() if k != "today"}
    assert atp_api.post("/atp/check", body, status=200)["today"] == "2024-03-04"


def test_dry_backorder_run_reports_and_saves_nothing(atp_api: ApiServer) -> None:
    order(atp_api.engine, "C1", 30, date(2024, 3, 7))  # R1, priority 02
    r2 = order(atp_api.engine, "C2", 60, date(2024, 3, 7)).order_id  # R2, priority 01
    before = atp_api.snapshot()
    report = atp_api.post("/backorder-runs", {"today": "2024-03-04"}, status=200)
    assert report["dry_run"] is True
    assert len(report["changes"]) == 4
    first = report["changes"][0]
    assert first["order_id"] == r2
    assert (first["confirmed_before"], first["confirmed_after"]) == ("50.000", "60.000")
    assert [(x["delivery_date"], x["confirmed_qty"]) for x in first["lines_after"]
            if x["confirmed_qty"] != "0.000"] == [("2024-03-07", "60.000")]
    assert atp_api.snapshot() == before
    none = atp_api.post("/backorder-runs", {"materials": ["M2"], "today": "2024-03-04"},
                        status=200)
    assert none["changes"] == []


@pytest.mark.parametrize(("body", "status", "code"), [
    ({**CHECK, "material_id": "NOPE"}, 422, "unknown_material"),
    ({**CHECK, "plant": "9999"}, 422, "unknown_plant"),
    ({**CHECK, "quantity": "0"}, 400, "invalid_quantity"),
    ({**CHECK, "quantity": -5}, 400, "invalid_quantity"),
    ({**CHECK, "requested_delivery_date": "2024-03-01"}, 400, "date_in_past"),
    ({**CHECK, "color": "red"}, 400, "invalid_body"),
    ({"material_id": "M1"}, 400, "invalid_body"),
])
def test_bad_check_input(atp_api: ApiServer, body: dict[str, Any], status: int,
                         code: str) -> None:
    before = atp_api.snapshot()
    error = atp_api.post("/atp/check", body, status=status)
    assert error["error"]["code"] == code, error
    assert atp_api.snapshot() == before


def test_bad_backorder_input(atp_api: ApiServer) -> None:
    before = atp_api.snapshot()
    atp_api.post("/backorder-runs", {"dry_run": "yes"}, status=400)
    atp_api.post("/backorder-runs", {"plants": []}, status=400)
    atp_api.post("/backorder-runs", {"materials": [], "dry_run": False}, status=400)
    atp_api.post("/backorder-runs", {"materials": ["NOPE"], "dry_run": False}, status=422)
    assert atp_api.snapshot() == before
