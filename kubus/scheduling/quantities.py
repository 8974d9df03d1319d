"""Quantities: ``Decimal`` (or ``int``) in the base unit at the API, int64 thousandths inside.

SAP quantity fields carry three decimals; counting in thousandths of the base unit keeps every
sum, difference and comparison exact (a float ``0.1 + 0.2`` would let a property test find a
confirmation that exceeds supply by 5e-17). ``int64`` thousandths hold up to 9.2e15 units; inputs
are capped at :data:`MAX_QUANTITY` so that sums over a million elements cannot overflow.

>>> to_milli(Decimal("2.5")), from_milli(2500)
(2500, Decimal('2.5'))
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from kubus.scheduling.errors import InvalidQuantityError

Quantity: TypeAlias = Decimal | int
Milli: TypeAlias = npt.NDArray[np.int64]

QUANTITY_SCALE = 1000
"""Internal quantities are integers in 1/QUANTITY_SCALE of the base unit of measure."""

MAX_QUANTITY = Decimal(10) ** 12
"""Largest accepted single quantity (base unit)."""

_MAX_MILLI = int(MAX_QUANTITY) * QUANTITY_SCALE


def to_milli(value: Quantity | float, *, field: str = "quantity", allow_zero: bool = False) -> int:
    """``value`` in thousandths, or :class:`InvalidQuantityError` (never negative).

    >>> to_milli(30), to_milli(Decimal("0.125"))
    (30000, 125)
    """
    if isinstance(value, np.integer | np.floating):  # numpy scalars, e.g. from a data frame
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise InvalidQuantityError(
            f"{field} must be a number, got {type(value).__name__}", field=field
        )
    if isinstance(value, int):
        milli = int(value) * QUANTITY_SCALE
    else:
        scaled = (Decimal(repr(value)) if isinstance(value, float) else value).scaleb(3)
        try:
            milli = int(scaled)
            exact = milli == scaled
        except (ValueError, OverflowError):  # NaN, infinity
            milli, exact = 0, False
        if not exact:
            raise InvalidQuantityError(
                f"{field} must be a finite number with at most 3 decimals, got {value!r}",
                field=field,
            )
    if milli <= 0 and not (milli == 0 and allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidQuantityError(f"{field} must be {bound}, got {value}", field=field)
    if milli > _MAX_MILLI:
        raise InvalidQuantityError(
            f"{field} must be at most {MAX_QUANTITY}, got {value}", field=field
        )
    return milli


def from_milli(milli: int | np.integer) -> Decimal:
    """Thousandths back to a ``Decimal`` in the base unit, without trailing zeros."""
    whole, part = divmod(int(milli), QUANTITY_SCALE)
    return Decimal(whole) if not part else Decimal(int(milli)) / QUANTITY_SCALE


def milli_array(values: npt.ArrayLike, *, field: str = "quantities") -> Milli:
    """A vector of base-unit quantities (signed) as int64 thousandths, validated at once.

    Floats are rounded to the nearest thousandth; values that are more than a rounding error
    away from a thousandth, not finite or too large are refused.
    """
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        scaled_int = array.astype(np.int64) * QUANTITY_SCALE
        if array.size and int(np.abs(array).max()) > int(MAX_QUANTITY):
            raise InvalidQuantityError(f"{field}: absolute values must be <= {MAX_QUANTITY}")
        return scaled_int
    if array.dtype.kind != "f":
        raise InvalidQuantityError(f"{field} must be numeric, got dtype {array.dtype}")
    if not np.isfinite(array).all():
        raise InvalidQuantityError(f"{field} must be finite")
    if array.size and float(np.abs(array).max()) > float(MAX_QUANTITY):
        raise InvalidQuantityError(f"{field}: absolute values must be <= {MAX_QUANTITY}")
    scaled = array * QUANTITY_SCALE
    rounded = np.rint(scaled)
    # A thousandth survives float64 up to ~1e12 units; allow for the representation error.
    if array.size and not (np.abs(scaled - rounded) <= 1e-3 + np.abs(scaled) * 1e-15).all():
        raise InvalidQuantityError(f"{field} must have at most 3 decimals")
    result: Milli = rounded.astype(np.int64)
    return result
