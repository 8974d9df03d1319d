"""The normal forms of customers' contact keys: e-mail addresses and phone numbers (E.164).

One definition for every layer that compares them: the channel ingest identifies senders by
them (:mod:`kubus.channels.identify`) and the warehouse cleanses customer master data with them
(:mod:`kubus.etl.transform`), so a number the interaction center matches is the number the
customer dimension shows. Example::

    normalise_phone("030 1234567", "DE")        # "+49301234567"
    normalise_email(" Anna@Example.COM ")       # "anna@example.com"
"""

from __future__ import annotations

import phonenumbers

__all__ = ["MIN_NATIONAL_DIGITS", "normalise_email", "normalise_phone"]

#: Digits a national number needs to identify anyone (shorter: an extension or service code).
MIN_NATIONAL_DIGITS = 6


def normalise_email(value: str | None) -> str | None:
    """``" Anna@Example.COM "`` -> ``"anna@example.com"``; ``None`` unless it has an ``@``."""
    if not value:
        return None
    text = value.strip().lower()
    return text if "@" in text and len(text) <= 120 else None


def normalise_phone(value: str | None, region: str) -> str | None:
    """A phone number in E.164 (``"030 1234567"``, region DE -> ``"+49301234567"``), or
    ``None`` when it is not a possible number."""
    if not value or not any(c.isdigit() for c in value):
        return None
    try:
        number = phonenumbers.parse(value, region or None)
    except phonenumbers.NumberParseException:
        return None
    # Short numbers (internal extensions, service codes) must not match a customer by chance.
    if (not phonenumbers.is_possible_number(number)
            or len(str(number.national_number)) < MIN_NATIONAL_DIGITS):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
