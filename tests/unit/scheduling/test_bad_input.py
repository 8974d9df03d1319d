"""Bad input gets a clear typed error with a machine code, never a bare exception."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pytest

from kubus.scheduling.atp import AtpRequest, check, replenishment_lead_time_end
from kubus.scheduling.errors import (
    DateInPastError,
    InvalidDateError,
    InvalidParameterError,
    InvalidQuantityError,
    SchedulingError,
)
from kubus.scheduling.quantities import milli_array, to_milli
from kubus.scheduling.timeline import Timeline

TODAY = date(2024, 3, 4)


@pytest.mark.parametrize(
    "quantity",
    [
        0,
        -5,
        Decimal("-0.001"),
        Decimal("NaN"),
        Decimal("Infinity"),
        float("nan"),
        float("inf"),
        Decimal("0.0001"),
        10**13,
        "5",
        None,
        True,
    ],
)
def test_bad_quantities(quantity):
    with pytest.raises(InvalidQuantityError) as err:
        AtpRequest(quantity, TODAY)
    assert err.value.code == "invalid_quantity"
    assert err.value.to_dict()["message"]


@pytest.mark.parametrize("requested", [datetime(2024, 3, 5, 10), "2024-03-05", 20240305, None])
def test_requested_date_must_be_a_date(requested):
    with pytest.raises(InvalidDateError):
        AtpRequest(1, requested)


def test_requested_date_in_the_past():
    with pytest.raises(DateInPastError) as err:
        check(AtpRequest(1, date(2024, 3, 1)), Timeline.empty(), today=TODAY)
    assert err.value.to_dict() == {
        "error": "date_in_past",
        "message": "requested date 2024-03-01 is before today 2024-03-04",
        "field": "date",
    }


def test_rlt_end_in_the_past():
    with pytest.raises(DateInPastError):
        check(AtpRequest(1, TODAY), Timeline.empty(), today=TODAY, rlt_end=date(2024, 3, 1))


def test_bad_rlt_components():
    with pytest.raises(InvalidParameterError):
        replenishment_lead_time_end(TODAY, planned_delivery_days=-1)


def test_bad_quantity_vectors():
    with pytest.raises(InvalidQuantityError):
        milli_array([1.0001])
    with pytest.raises(InvalidQuantityError):
        milli_array([float("nan")])
    with pytest.raises(InvalidQuantityError):
        milli_array(["a"])
    with pytest.raises(InvalidQuantityError):
        milli_array([10**13])
    assert milli_array([0.1, 0.2, -3]).tolist() == [100, 200, -3000]


def test_small_and_precise_quantities_are_fine():
    assert to_milli(Decimal("0.001")) == 1
    assert to_milli(np.int64(7)) == 7000
    assert to_milli(np.float64(0.25)) == 250
    assert to_milli(0.1) == 100
    assert to_milli(Decimal("5.000")) == 5000


def test_every_error_is_a_scheduling_error():
    for cls in SchedulingError.__subclasses__():
        assert cls.code != SchedulingError.code
        assert cls("x").to_dict() == {"error": cls.code, "message": "x"}
    assert len({cls.code for cls in SchedulingError.__subclasses__()}) == len(
        SchedulingError.__subclasses__()
    )
