"""CRM-2 (break-even response rate), §5.4 campaign ratios, CRM-4 and DSO reference KPIs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kubus.etl.crm import campaign, kpi

COST, PROFIT = Decimal("1.20"), Decimal(50)


def test_crm2_break_even_and_expected_profit() -> None:
    assert campaign.break_even_response_rate(COST, PROFIT) == Decimal("0.024")
    assert campaign.expected_profit_per_contact(Decimal("0.05"), PROFIT, COST) == Decimal("1.30")
    assert campaign.expected_profit_per_contact(Decimal("0.02"), PROFIT, COST) == Decimal("-0.20")
    # At exactly break-even the expected profit is zero, so the segment is not contacted.
    assert campaign.expected_profit_per_contact(Decimal("0.024"), PROFIT, COST) == 0
    rates = {"555": Decimal("0.05"), "544": Decimal("0.031"), "111": Decimal("0.02"),
             "333": Decimal("0.024")}
    assert campaign.segments_to_contact(rates, COST, PROFIT) == ["555", "544"]


def test_response_analysis_ratios() -> None:
    assert campaign.response_rate(30, 1000) == 0.03
    assert campaign.conversion_rate(12, 1000) == 0.012
    assert campaign.conversion_rate(12, 30) == 0.4
    assert campaign.lift(0.03, 0.02) == pytest.approx(1.5)
    assert campaign.incremental_response(0.03, 0.02) == pytest.approx(0.01)
    assert campaign.cost_per_response(Decimal(1200), 30) == Decimal(40)
    assert campaign.roi(Decimal(1500), Decimal(1200)) == Decimal("0.25")


@pytest.mark.parametrize(("call", "message"), [
    (lambda: campaign.response_rate(5, 0), "contacted"),
    (lambda: campaign.response_rate(5, 4), "exceed"),
    (lambda: campaign.break_even_response_rate(COST, Decimal(0)), "profit_per_response"),
    (lambda: campaign.break_even_response_rate(Decimal(-1), PROFIT), "cost_per_contact"),
    (lambda: campaign.expected_profit_per_contact(Decimal(2), PROFIT, COST), "rate"),
    (lambda: campaign.lift(0.1, 0.0), "reference_rate"),
    (lambda: campaign.cost_per_response(Decimal(1), 0), "responders"),
    (lambda: campaign.roi(Decimal(1), Decimal(0)), "campaign_cost"),
])
def test_bad_arguments_are_named(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_crm4_fill_rates() -> None:
    ordered, shipped = [10, 5, 8, 2], [10, 3, 8, 2]
    assert kpi.line_fill_rate(ordered, shipped) == 0.75
    assert round(kpi.unit_fill_rate(ordered, shipped), 2) == 0.92       # 23 / 25
    assert kpi.order_fill_rate([(ordered, shipped)]) == 0.0


def test_dso_and_countback() -> None:
    assert kpi.dso(50_000, 200_000, 365) == 91.25
    assert kpi.dso_countback(300, [(150, 31), (120, 29), (100, 31)]) == pytest.approx(69.3)
    with pytest.raises(ValueError, match="cover"):
        kpi.dso_countback(500, [(150, 31), (120, 29)])
