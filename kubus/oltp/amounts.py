"""Money and quantity arithmetic: :class:`~decimal.Decimal`, rounded half up.

Money has 2 decimals, quantities 3, percentages 3 (the column scales of :mod:`schema`). Input
checks raise :class:`~kubus.oltp.errors.BadRequest` naming the field, so a service can check
everything before it writes. Example::

    money(Decimal("892.50") * Decimal("0.02"))   # Decimal("17.85")
    tax(Decimal("750.00"), Decimal("19"))         # Decimal("142.50")
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from kubus.oltp.errors import BadRequest

__all__ = ["CENT", "ZERO", "check_date", "check_money", "check_quantity", "money", "percent_of",
           "quantity", "tax"]

ZERO = Decimal(0)
CENT = Decimal("0.01")
MILLI = Decimal("0.001")
HUNDRED = Decimal(100)
#: Numeric(13, 3) holds at most 10 digits before the point; Numeric(15, 2) 13.
MAX_QUANTITY = Decimal("9999999999.999")
MAX_MONEY = Decimal("9999999999999.99")


def money(value: Decimal | int | str) -> Decimal:
    """``value`` rounded half up to cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def quantity(value: Decimal | int | str) -> Decimal:
    """``value`` rounded half up to three decimals."""
    return Decimal(value).quantize(MILLI, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """``percent`` % of ``amount``, rounded half up to cents."""
    return money(amount * percent / HUNDRED)


def tax(net: Decimal, rate: Decimal) -> Decimal:
    """Tax on ``net`` at ``rate`` percent (per billing item; the document sums the items)."""
    return percent_of(net, rate)


def _as_decimal(value: object, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise BadRequest("invalid_number", f"{field}: expected a decimal number, got {value!r}",
                         field=field)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise BadRequest("invalid_number", f"{field}: {value!r} is not a number",
                         field=field) from None
    if not number.is_finite():
        raise BadRequest("invalid_number", f"{field}: {value!r} is not finite", field=field)
    return number


def check_quantity(value: object, field: str = "quantity") -> Decimal:
    """A positive quantity with at most 3 decimals, else :class:`BadRequest`."""
    number = _as_decimal(value, field)
    if number <= 0:
        raise BadRequest("invalid_quantity", f"{field} must be positive, got {number}",
                         field=field)
    if number != quantity(number) or number > MAX_QUANTITY:
        raise BadRequest("invalid_quantity",
                         f"{field} must have at most 3 decimals and be below 10^10, got {number}",
                         field=field)
    return quantity(number)


def check_money(value: object, field: str, *, allow_zero: bool = True) -> Decimal:
    """A non-negative (or positive) amount with at most 2 decimals, else :class:`BadRequest`."""
    number = _as_decimal(value, field)
    if number < 0 or (number == 0 and not allow_zero):
        rule = "must not be negative" if allow_zero else "must be positive"
        raise BadRequest("invalid_amount", f"{field} {rule}, got {number}", field=field)
    if number != money(number) or number > MAX_MONEY:
        raise BadRequest("invalid_amount", f"{field} must have at most 2 decimals, got {number}",
                         field=field)
    return money(number)


def check_date(value: object, field: str) -> date:
    """``value`` if it is a :class:`~datetime.date` (not a datetime), else :class:`BadRequest`."""
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise BadRequest("invalid_date", f"{field}: expected a date, got {value!r}", field=field)
    return value
