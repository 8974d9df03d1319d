"""Campaign maths (domain.md §5.1 response-rate model, §5.4 response analysis).

Plain functions over counts and money; they raise :class:`ValueError` naming the bad argument
instead of dividing by zero. Money is :class:`~decimal.Decimal` so break-even rates and profits
come out exact (CRM-2: 1.20 / 50 = 2.4 %).

Example::

    break_even_response_rate(Decimal("1.20"), Decimal("50"))           # Decimal('0.024')
    expected_profit_per_contact(Decimal("0.05"), Decimal("50"), Decimal("1.20"))  # 1.30
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

__all__ = [
    "break_even_response_rate",
    "conversion_rate",
    "cost_per_response",
    "expected_profit_per_contact",
    "incremental_response",
    "lift",
    "response_rate",
    "roi",
    "segments_to_contact",
]


def _positive(name: str, value: Decimal | int) -> None:
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")


def _count(name: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def break_even_response_rate(cost_per_contact: Decimal, profit_per_response: Decimal) -> Decimal:
    """The response rate at which a contact pays for itself: cost / profit per response."""
    if cost_per_contact < 0:
        raise ValueError(f"cost_per_contact must be >= 0, got {cost_per_contact}")
    _positive("profit_per_response", profit_per_response)
    return cost_per_contact / profit_per_response


def expected_profit_per_contact(
    rate: Decimal, profit_per_response: Decimal, cost_per_contact: Decimal
) -> Decimal:
    """``rate x profit per response - cost per contact`` (CRM-2: 5 % → +1.30, 2 % → -0.20)."""
    if not Decimal(0) <= rate <= Decimal(1):
        raise ValueError(f"rate must lie in [0, 1], got {rate}")
    return rate * profit_per_response - cost_per_contact


def segments_to_contact(
    rates: Mapping[str, Decimal], cost_per_contact: Decimal, profit_per_response: Decimal
) -> list[str]:
    """Segments whose response rate is strictly above break-even, best rate first.

    Example::

        segments_to_contact({"555": Decimal("0.05"), "111": Decimal("0.02")},
                            Decimal("1.20"), Decimal(50))  # ['555']
    """
    threshold = break_even_response_rate(cost_per_contact, profit_per_response)
    chosen = [(rate, code) for code, rate in rates.items() if rate > threshold]
    return [code for _, code in sorted(chosen, key=lambda pair: (-pair[0], pair[1]))]


def response_rate(responders: int, contacted: int) -> float:
    """responders / contacted."""
    _count("responders", responders)
    _positive("contacted", contacted)
    if responders > contacted:
        raise ValueError(f"responders ({responders}) exceed contacted ({contacted})")
    return responders / contacted


def conversion_rate(buyers: int, base: int) -> float:
    """buyers / contacted (or / responders: pass that count as ``base``)."""
    _count("buyers", buyers)
    _positive("base", base)
    return buyers / base


def lift(segment_rate: float, reference_rate: float) -> float:
    """Segment response rate / overall (or control-group) response rate."""
    if reference_rate <= 0:
        raise ValueError(f"reference_rate must be > 0, got {reference_rate}")
    return segment_rate / reference_rate


def incremental_response(target_rate: float, control_rate: float) -> float:
    """Target-group response rate - control-group response rate."""
    return target_rate - control_rate


def cost_per_response(campaign_cost: Decimal, responders: int) -> Decimal:
    """Campaign cost / responders."""
    _positive("responders", responders)
    return campaign_cost / responders


def roi(attributed_gross_profit: Decimal, campaign_cost: Decimal) -> Decimal:
    """(attributed gross profit - campaign cost) / campaign cost."""
    _positive("campaign_cost", campaign_cost)
    return (attributed_gross_profit - campaign_cost) / campaign_cost
