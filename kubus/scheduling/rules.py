"""Rules-based ATP: substitute locations and products (domain.md §2.5, ATP-11).

Exclusive rules are evaluated first and together give one exclusion list; an exclusion may name
an *alternative* location to use instead of an excluded one. Inclusive rules are then evaluated
in order, each giving a substitution list: the requested location-product first, then the rule's
substitutes, without duplicates, exclusions replaced by their alternative or removed. The next
inclusive rule is only looked at while quantity is still open.

Each entry is checked on the requested date (one-time delivery), in list order, against its own
timeline; entries already checked keep what they confirmed. Optionally (``later=True``) what is
still open afterwards is offered as a delivery proposal on the later receipts of each entry, again
in list order. Quantities are compared in base units with no unit conversion between products.

>>> from kubus.scheduling.timeline import Timeline
>>> today = date(2024, 3, 4)
>>> l1p1, l2p1, l1p2 = LocationProduct("L1", "P1"), LocationProduct("L2", "P1"), \\
...     LocationProduct("L1", "P2")
>>> supply = {lp: Timeline.from_arrays([today], [q]) for lp, q in
...           [(l1p1, 60), (l2p1, 30), (l1p2, 50)]}
>>> result = rules_based_check(100, today, l1p1, [InclusiveRule((l2p1, l1p2))], supply,
...                            today=today)
>>> [(s.location_product.location, s.location_product.product, str(s.confirmation.confirmed))
...  for s in result.items]
[('L1', 'P1', '60'), ('L2', 'P1', '30'), ('L1', 'P2', '10')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from kubus.scheduling.atp import (
    AtpRequest,
    Confirmation,
    ConfirmationRule,
    ConfirmedLine,
    check,
    with_confirmation,
)
from kubus.scheduling.errors import InvalidParameterError, UnknownMaterialError
from kubus.scheduling.quantities import Quantity, from_milli, to_milli
from kubus.scheduling.timeline import Timeline


@dataclass(frozen=True, order=True)
class LocationProduct:
    location: str
    product: str


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Excludes every location-product matching both fields (``None`` matches anything)."""

    location: str | None = None
    product: str | None = None
    alternative_location: str | None = None  # an "alternative" rule: use this location instead

    def __post_init__(self) -> None:
        if self.location is None and self.product is None:
            raise InvalidParameterError("an exclusion must name a location, a product or both")
        if self.alternative_location is not None and self.location is None:
            raise InvalidParameterError("an alternative location replaces an excluded location")

    def matches(self, candidate: LocationProduct) -> bool:
        return (self.location is None or self.location == candidate.location) and (
            self.product is None or self.product == candidate.product
        )


@dataclass(frozen=True, slots=True)
class InclusiveRule:
    """An ordered list of substitutes (a product substitution procedure of type "chain")."""

    substitutes: tuple[LocationProduct, ...]


@dataclass(frozen=True, slots=True)
class ExclusiveRule:
    exclusions: tuple[Exclusion, ...]


class SubItemKind(StrEnum):
    MAIN = "main"
    LOCATION = "location"  # same product, another location
    PRODUCT = "product"  # same location, another product
    LOCATION_PRODUCT = "location_product"


@dataclass(frozen=True, slots=True)
class SubItem:
    """What one location-product confirmed (the main item or a sub-item)."""

    location_product: LocationProduct
    kind: SubItemKind
    confirmation: Confirmation


@dataclass(frozen=True, slots=True)
class RulesResult:
    """The main item (always) and every sub-item that confirmed something, in list order."""

    items: tuple[SubItem, ...]
    unconfirmed: Decimal
    timelines: Mapping[LocationProduct, Timeline] = field(repr=False, compare=False)

    @property
    def confirmed(self) -> Decimal:
        return sum((item.confirmation.confirmed for item in self.items), Decimal(0))


def substitution_lists(
    requested: LocationProduct,
    inclusive: Sequence[InclusiveRule],
    exclusive: Sequence[ExclusiveRule] = (),
) -> list[tuple[LocationProduct, ...]]:
    """One substitution list per inclusive rule (the requested entry first), exclusions applied.

    Without inclusive rules the list is just the requested location-product.
    """
    exclusions = [e for rule in exclusive for e in rule.exclusions]
    lists = []
    for rule in inclusive or [InclusiveRule(())]:
        entries: list[LocationProduct] = []
        for candidate in (requested, *rule.substitutes):
            resolved = _apply_exclusions(candidate, exclusions)
            if resolved is not None and resolved not in entries:
                entries.append(resolved)
        lists.append(tuple(entries))
    return lists


def _apply_exclusions(
    candidate: LocationProduct, exclusions: Sequence[Exclusion]
) -> LocationProduct | None:
    for exclusion in exclusions:
        if exclusion.matches(candidate):
            if exclusion.alternative_location is None:
                return None
            alternative = LocationProduct(exclusion.alternative_location, candidate.product)
            excluded_too = any(e.matches(alternative) for e in exclusions)
            return None if excluded_too else alternative
    return candidate


def rules_based_check(
    quantity: Quantity,
    requested_date: date,
    requested: LocationProduct,
    inclusive: Sequence[InclusiveRule],
    timelines: Mapping[LocationProduct, Timeline],
    *,
    today: date,
    exclusive: Sequence[ExclusiveRule] = (),
    later: bool = False,
) -> RulesResult:
    """Confirm ``quantity`` from the substitution lists; the result also carries the timelines
    with every confirmation saved (first come, first served for the next check)."""
    total = to_milli(quantity)
    state = _State(dict(timelines), requested_date, today, total)
    tried: list[LocationProduct] = []
    for entries in substitution_lists(requested, inclusive, exclusive):
        for entry in entries:
            if state.open and entry not in tried:
                tried.append(entry)
                state.confirm(entry, ConfirmationRule.ONE_TIME)
        if not state.open:
            break
    for entry in tried if later else ():
        if state.open:
            state.confirm(entry, ConfirmationRule.PROPOSAL)
    order = [entry for entry in tried if entry in state.confirmed]
    if requested not in order:
        order.insert(0, requested)
    items = tuple(
        SubItem(
            entry,
            _kind(requested, entry),
            _merge(
                state.confirmed.get(entry, []),
                requested=total if entry == requested else None,
                unconfirmed=state.open if entry == requested else 0,
            ),
        )
        for entry in order
    )
    return RulesResult(items, from_milli(state.open), state.timelines)


@dataclass
class _State:
    timelines: dict[LocationProduct, Timeline]
    requested_date: date
    today: date
    open: int
    confirmed: dict[LocationProduct, list[Confirmation]] = field(default_factory=dict)

    def confirm(self, entry: LocationProduct, rule: ConfirmationRule) -> None:
        if entry not in self.timelines:
            raise UnknownMaterialError(
                f"no timeline for location {entry.location!r}, product {entry.product!r}"
            )
        result = check(
            AtpRequest(from_milli(self.open), self.requested_date),
            self.timelines[entry],
            today=self.today,
            rule=rule,
        )
        if result.lines:
            self.timelines[entry] = with_confirmation(self.timelines[entry], result)
            self.open -= to_milli(result.confirmed)
            self.confirmed.setdefault(entry, []).append(result)


def _kind(requested: LocationProduct, entry: LocationProduct) -> SubItemKind:
    if entry == requested:
        return SubItemKind.MAIN
    if entry.product == requested.product:
        return SubItemKind.LOCATION
    if entry.location == requested.location:
        return SubItemKind.PRODUCT
    return SubItemKind.LOCATION_PRODUCT


def _merge(results: list[Confirmation], *, requested: int | None, unconfirmed: int) -> Confirmation:
    """The passes of one entry as one confirmation (lines merged by date). A sub-item has no
    requirement of its own: its requested quantity is what it confirmed."""
    by_date: dict[date, Decimal] = {}
    for result in results:
        for line in result.lines:
            by_date[line.date] = by_date.get(line.date, Decimal(0)) + line.quantity
    lines = tuple(ConfirmedLine(d, q) for d, q in sorted(by_date.items()))
    confirmed = sum(by_date.values(), Decimal(0))
    wanted = confirmed if requested is None else from_milli(requested)
    return Confirmation(wanted, lines, from_milli(unconfirmed), ConfirmationRule.PROPOSAL)
