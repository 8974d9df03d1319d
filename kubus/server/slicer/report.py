"""``/cube/<c>/report``: several queries in one call (slicer-api.md §1.12).

The body is JSON ``{"queries": {name: {"query": type, ...args}}, "cell"?: [cut dicts]}`` and is
read whatever the Content-Type (defect 14 FIX); a missing, empty or malformed body is a 400
``request``. Query arguments use the Python browser names (``page_size``, not ``pagesize``).

Choices where the spec left one:

* ``rollup`` is rejected with 400 (defect 15: broken in 1.1).
* ``measures`` is accepted in aggregate queries, as on ``/aggregate`` (1.1 answered 400).
* A ``fact`` query for a missing key gives ``null``; ``/fact/<id>`` gives a 404.
* Lists inside results honour ``json_record_limit`` like the plain endpoints.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kubus.model.cells import Cell, Cut
from kubus.model.cut_grammar import (
    DrilldownSpec,
    cut_from_dict,
    parse_aggregate_names,
    parse_cell,
    parse_drilldown,
    parse_order,
)
from kubus.model.errors import ArgumentError
from kubus.model.query import Page, prepare_aggregate, prepare_facts, prepare_members
from kubus.server.slicer.errors import RequestError

if TYPE_CHECKING:
    from kubus.server.browser import Browser

Limit = Callable[[Sequence[Any]], list[Any]]
Spec = Mapping[str, Any]


def parse_body(data: bytes) -> dict[str, Any]:
    if not data or not data.strip():
        raise RequestError("Report request has no body: expected a JSON object with "
                           "'queries'")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(f"Report request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise RequestError("Report request body should be a JSON object")
    if "queries" not in body:
        raise RequestError("Report request does not contain 'queries' key")
    if not isinstance(body["queries"], dict):
        raise RequestError("Report 'queries' should be an object of named queries")
    return body


# -- argument readers ------------------------------------------------------------------------

def _strings(value: Any, what: str, separator: str | None = None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split(separator) if separator else [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ArgumentError(f"Report argument '{what}' should be a list of strings")


def _int(spec: Spec, key: str) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ArgumentError(f"Report argument '{key}' should be a non-negative integer")
    return value


def _page(spec: Spec) -> Page | None:
    number, size = _int(spec, "page"), _int(spec, "page_size")
    return Page(number, size) if number is not None and size is not None else None


def _order(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return parse_order(value)
    if not isinstance(value, list):
        raise ArgumentError("Report argument 'order' should be a list")
    items: list[tuple[str, str]] = []
    for item in value:
        if isinstance(item, str):
            items.extend(parse_order(item))
        elif (isinstance(item, list) and 1 <= len(item) <= 2
              and all(isinstance(v, str) for v in item)):
            items.extend(parse_order(":".join(item)))
        else:
            raise ArgumentError(f"Report order item {item!r} should be a name or "
                                "[name, direction]")
    return tuple(items)


def _drilldown(value: Any) -> tuple[DrilldownSpec, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return parse_drilldown(value)
    if isinstance(value, dict):  # deprecated {dimension: level}
        return tuple(DrilldownSpec(str(dim), None, str(level) if level else None)
                     for dim, level in value.items())
    if not isinstance(value, list):
        raise ArgumentError("Report argument 'drilldown' should be a list")
    specs: list[DrilldownSpec] = []
    for item in value:
        if isinstance(item, str):
            specs.extend(parse_drilldown(item))
        elif (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
              and all(v is None or isinstance(v, str) for v in item)):
            specs.append(DrilldownSpec(item[0], item[1] or None, item[2] or None))
        else:
            raise ArgumentError(f"Report drilldown item {item!r} should be a string or "
                                "[dimension, hierarchy, level]")
    return tuple(specs)


# -- query types -----------------------------------------------------------------------------

class _Report:
    def __init__(self, browser: Browser, cell: Cell, limit: Limit, hide_hidden: bool) -> None:
        self.browser = browser
        self.cell = cell
        self.limit = limit
        self.hide_hidden = hide_hidden

    def aggregate(self, spec: Spec) -> Any:
        aggregates = spec.get("aggregates")
        names = (parse_aggregate_names(_strings(aggregates, "aggregates"))
                 if aggregates is not None else None)
        measures = _strings(spec.get("measures"), "measures") or None
        split_text = spec.get("split")
        if split_text is not None and not isinstance(split_text, str):
            raise ArgumentError("Report argument 'split' should be a cut string")
        split = self.browser.cell(parse_cell(split_text)) if split_text else None
        query = prepare_aggregate(self.browser.cube, self.cell, aggregates=names,
                                  measures=measures, drilldown=_drilldown(spec.get("drilldown")),
                                  split=split, order=_order(spec.get("order")),
                                  page=_page(spec))
        result = self.browser.aggregate(query)
        body = result.to_dict(hide_hidden=self.hide_hidden,
                              include_cell_count=result.total_cell_count is not None)
        body["cells"] = self.limit(body["cells"])
        return body

    def facts(self, spec: Spec) -> Any:
        fields = _strings(spec.get("fields"), "fields", ",")
        query = prepare_facts(self.browser.cube, self.cell,
                              fields=[f for f in fields if f] or None,
                              order=_order(spec.get("order")), page=_page(spec))
        return self.limit(list(self.browser.facts(query).rows))

    def fact(self, spec: Spec) -> Any:
        key = spec.get("key", spec.get("id"))
        if key is None or isinstance(key, (dict, list, bool)):
            raise ArgumentError("Report fact query needs a 'key' (or 'id')")
        return self.browser.fact(str(key))

    def members(self, spec: Spec) -> Any:
        dimension = spec.get("dimension")
        if not isinstance(dimension, str) or not dimension:
            raise ArgumentError("Report members query needs a 'dimension'")
        level = spec.get("level")
        hierarchy = spec.get("hierarchy")
        if not isinstance(level, (str, type(None))) or not isinstance(hierarchy,
                                                                      (str, type(None))):
            raise ArgumentError("Report arguments 'level' and 'hierarchy' should be names")
        query = prepare_members(self.browser.cube, self.cell, dimension,
                                hierarchy=hierarchy or None, depth=_int(spec, "depth"),
                                level=level or None, order=_order(spec.get("order")),
                                page=_page(spec))
        return self.limit(self.browser.members(query))

    def _details(self, spec: Spec) -> list[dict[str, Any]]:
        dimension = spec.get("dimension")
        details = self.browser.cell_details(self.cell)
        if dimension:
            details = [d for d in details if d.get("dimension") == dimension]
        return details

    def cell_query(self, spec: Spec) -> Any:
        return {"cube": self.browser.cube.public_name, "cuts": self._details(spec)}

    def details(self, spec: Spec) -> Any:
        return [d["details"] for d in self._details(spec)]

    def run(self, name: str, spec: Any) -> Any:
        if not isinstance(spec, dict):
            raise ArgumentError(f"Report query '{name}' should be an object")
        kind = spec.get("query")
        if not kind:
            raise ArgumentError(f"Report query '{name}' does not specify a query type "
                                "('query' key)")
        if spec.get("rollup") is not None:
            raise ArgumentError(f"Report query '{name}': 'rollup' is not supported")
        handlers: dict[str, Callable[[Spec], Any]] = {
            "aggregate": self.aggregate, "facts": self.facts, "fact": self.fact,
            "members": self.members, "values": self.members, "cell": self.cell_query,
            "details": self.details,
        }
        handler = handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            raise ArgumentError(f"Unknown report query '{kind}' for '{name}'")
        return handler(spec)


def run_report(browser: Browser, data: bytes, url_cuts: Sequence[Cut], *, limit: Limit,
               hide_hidden: bool = False) -> dict[str, Any]:
    """Run every query of a report body; the body ``cell`` replaces the URL ``cut``."""
    body = parse_body(data)
    if body.get("cell") is not None:
        if not isinstance(body["cell"], list):
            raise ArgumentError("Report 'cell' should be a list of cut objects")
        # Body cuts keep ``"hierarchy": null`` in results, as in 1.1 (COMPAT).
        cell = browser.cell([cut_from_dict(d) for d in body["cell"]], fill_hierarchy=False)
    else:
        cell = browser.cell(url_cuts)
    report = _Report(browser, cell, limit, hide_hidden)
    return {name: report.run(name, spec) for name, spec in body["queries"].items()}


__all__ = ["parse_body", "run_report"]
