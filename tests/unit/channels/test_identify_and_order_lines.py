"""Normalisation of phone numbers and e-mail addresses, customer numbers in text, and the
documented order-line format."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kubus.channels.base import OrderLine, ParseError
from kubus.channels.identify import CUSTOMER_NUMBER, normalise_email, normalise_phone
from kubus.channels.order_lines import parse_order_lines


@pytest.mark.parametrize(("raw", "region", "e164"), [
    ("030 1234567", "DE", "+49301234567"),
    ("+49 (0)30 1234567", "DE", "+49301234567"),
    ("0049-30-1234567", "DE", "+49301234567"),
    ("+49 30 1234567", "US", "+49301234567"),      # a country code wins over the region
    ("(415) 555-2671", "US", "+14155552671"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("12", "DE", None), ("anonymous", "DE", None), ("", "DE", None), (None, "DE", None),
])
def test_phone_numbers_in_e164(raw: str | None, region: str, e164: str | None) -> None:
    assert normalise_phone(raw, region) == e164


def test_email_addresses_are_trimmed_and_case_insensitive() -> None:
    assert normalise_email("  Orders@ACME.example ") == "orders@acme.example"
    assert normalise_email("no-at-sign") is None
    assert normalise_email(None) is None


@pytest.mark.parametrize(("text", "numbers"), [
    ("Unsere Kundennummer: C2 - bitte", ["C2"]),
    ("customer no. 1000123 and account #C7", ["1000123", "C7"]),
    ("Kd-Nr 55 / cust-id: AB-12", ["AB-12"]),
    ("please call customer service", []),
])
def test_customer_numbers_after_a_keyword(text: str, numbers: list[str]) -> None:
    assert [m.group("number") for m in CUSTOMER_NUMBER.finditer(text)] == numbers


def test_order_lines() -> None:
    text = ("Sehr geehrte Damen und Herren,\n"
            "  order m1 10\n"
            "ORDER M-2/X 12,5 PC by 2024-03-12\n"
            "REF PO 4711-A\n"
            "Ordering more next week.\n")
    request = parse_order_lines(text)
    assert request is not None
    assert request.lines == (OrderLine("M1", Decimal(10)),
                             OrderLine("M-2/X", Decimal("12.5"), date(2024, 3, 12)))
    assert (request.reference, request.requested_delivery_date) == ("PO 4711-A",
                                                                    date(2024, 3, 12))
    assert parse_order_lines("no order here") is None


@pytest.mark.parametrize("line", ["ORDER M1", "ORDER M1 ten", "ORDER M1 0",
                                  "ORDER M1 5 by 2024-02-30", "ORDER M1 5 by tomorrow"])
def test_malformed_order_lines_are_errors_not_silently_skipped(line: str) -> None:
    with pytest.raises(ParseError, match="order line"):
        parse_order_lines(f"Hello\n{line}\n")
