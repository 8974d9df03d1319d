"""Money, quantities and tax: Decimal, rounded half up (independent values by hand)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from kubus.oltp.amounts import check_date, check_money, check_quantity, money, percent_of, tax
from kubus.oltp.errors import BadRequest, Conflict, Invalid, NotFound, OltpError


@pytest.mark.parametrize(("value", "expected"), [
    (D("0.005"), D("0.01")), (D("0.004"), D("0.00")), (D("2.675"), D("2.68")),
    (D("-0.005"), D("-0.01")), (D("892.50") * D("0.02"), D("17.85"))])
def test_money_rounds_half_up(value: D, expected: D) -> None:
    assert money(value) == expected


def test_tax_of_the_worked_example() -> None:
    assert tax(D("750.00"), D(19)) == D("142.50")
    assert tax(D("500.00"), D(19)) == D("95.00")
    assert percent_of(D("892.50"), D(2)) == D("17.85")
    # Per item, then summed: 0.05 + 0.05 at 10% is 0.01 + 0.01, not round(0.01) = 0.01.
    assert tax(D("0.05"), D(10)) + tax(D("0.05"), D(10)) == D("0.02")


@pytest.mark.parametrize("bad", [D(0), D(-1), D("0.0001"), D("NaN"), D("Infinity"),
                                 D("1e10"), "abc", 1.5, True, None])
def test_check_quantity_refuses(bad: object) -> None:
    with pytest.raises(BadRequest) as excinfo:
        check_quantity(bad, "items[1].quantity")
    assert excinfo.value.details["field"] == "items[1].quantity"


def test_check_quantity_accepts() -> None:
    assert check_quantity(D("1.5")) == D("1.500")
    assert check_quantity(7) == D(7)
    assert check_quantity("2.125") == D("2.125")


def test_check_money_and_date() -> None:
    assert check_money(D("874.65"), "amount") == D("874.65")
    for bad in (D("-1"), D("0.001")):
        with pytest.raises(BadRequest):
            check_money(bad, "amount")
    with pytest.raises(BadRequest):
        check_money(D(0), "amount", allow_zero=False)
    assert check_date(date(2024, 3, 4), "today") == date(2024, 3, 4)
    with pytest.raises(BadRequest):
        check_date(datetime(2024, 3, 4, 12), "today")
    with pytest.raises(BadRequest):
        check_date("2024-03-04", "today")


def test_error_classes_carry_status_code_and_body() -> None:
    statuses = {BadRequest: 400, NotFound: 404, Conflict: 409, Invalid: 422}
    for cls, status in statuses.items():
        error = cls("some_code", "what went wrong", order_id=4711)
        assert isinstance(error, OltpError)
        assert error.http_status == status
        assert error.to_dict() == {"error": "some_code", "message": "what went wrong",
                                   "order_id": 4711}
