"""String and JSON grammar of cuts, drilldowns, aggregate lists and orderings (slicer-api.md §2).

Parsing is pure syntax: names are not checked against a cube here (the query resolver does that),
so a cut parsed from a URL has ``hierarchy=None`` unless the string names one.

Decisions where the spec leaves a choice:

* An **open side of a range** is ``None`` (``item:a-`` has ``to_path=None``); ``cut_to_dict``
  writes it as ``[]`` and ``cut_from_dict`` reads ``[]`` or ``null`` back as ``None``.
* **Drilldown** accepts ``,`` as well as ``|`` between items (a superset of 1.1, where
  ``drilldown=item,year`` silently meant ``item``) and rejects any other text after a valid
  ``dimension@hierarchy:level`` item (FIX of §9 item 2).
* **Order** directions match by prefix, case-insensitively (``asc…``/``desc…``); a missing or
  empty direction means ``asc`` (1.1 left the column unordered, which SQL sorts ascending);
  anything else is an ``ArgumentError`` (FIX of §9 item 5).
* **Relative time** units other than hour, day, week, month, quarter and year, in a token that
  otherwise looks relative (``3fortnightsago``, ``nextgen``), are an ``ArgumentError``.
* The dimension spec of a cut stays a prefix match (COMPAT): ``item-x:a`` means ``item:a``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from kubus.model.cells import (
    NULL_PATH_ELEMENT,
    Cut,
    Path,
    PathElement,
    PointCut,
    RangeCut,
    SetCut,
)
from kubus.model.errors import ArgumentError

__all__ = [
    "DrilldownSpec",
    "calendar_path",
    "cut_from_dict",
    "cut_to_dict",
    "parse_aggregate_names",
    "parse_cell",
    "parse_cut",
    "parse_drilldown",
    "parse_order",
    "path_from_string",
    "relative_time",
    "resolve_relative_time",
    "string_from_cell",
    "string_from_cut",
    "string_from_path",
]

# "Unescaped" means "not directly preceded by a backslash", exactly as 1.1's look-behinds: a
# backslash-escaped backslash right before a separator therefore cannot be expressed.
_CUT_SEPARATOR = re.compile(r"(?<!\\)\|")
_DIMENSION_SEPARATOR = re.compile(r"(?<!\\):")
_PATH_SEPARATOR = re.compile(r"(?<!\\),")
_RANGE_SEPARATOR = re.compile(r"(?<!\\)-")
_SET_SEPARATOR = re.compile(r"(?<!\\);")
_DIMENSION_SPEC = re.compile(r"(?P<invert>!)?(?P<dim>\w+)(@(?P<hier>\w+))?")
_ESCAPE = re.compile(r"([\\!|:;,-])")
_UNESCAPE = re.compile(r"\\([\\!|:;,-])")


# Cell strings -------------------------------------------------------------------------------


def parse_cell(text: str) -> tuple[Cut, ...]:
    """Parse a cell string (the ``cut`` URL parameter) into cuts; ``""`` is the whole cube.

    >>> parse_cell("item:a|!year:2009-")
    (PointCut(dimension='item', path=('a',), hierarchy=None, invert=False, hidden=False,\
 type='point'), RangeCut(dimension='year', from_path=('2009',), to_path=None, hierarchy=None,\
 invert=True, hidden=False, type='range'))
    """
    if not text:
        return ()
    return tuple(parse_cut(cut) for cut in _CUT_SEPARATOR.split(text))


def parse_cut(text: str) -> Cut:
    """Parse one ``[!]dimension[@hierarchy]:body`` cut.

    >>> parse_cut("item@default:a;e,cs").paths
    (('a',), ('e', 'cs'))
    """
    parts = _DIMENSION_SEPARATOR.split(text)
    if len(parts) != 2:
        raise ArgumentError(f"Wrong dimension cut string: '{text}'")
    spec, body = parts
    match = _DIMENSION_SPEC.match(spec)
    if match is None:
        raise ArgumentError(f"Dimension spec '{spec}' does not match pattern 'dimension@hierarchy'")
    return _cut_from_body(body, match["dim"], match["hier"], match["invert"] is not None)


def _cut_from_body(body: str, dimension: str, hierarchy: str | None, invert: bool) -> Cut:
    """Classify ``body`` as point, set or range, in 1.1's order."""
    if body == "":
        return PointCut(dimension, ("",), hierarchy, invert)
    set_parts = _SET_SEPARATOR.split(body)
    range_parts = _RANGE_SEPARATOR.split(body)
    if len(set_parts) == 1 and len(range_parts) == 1:
        return PointCut(dimension, path_from_string(body), hierarchy, invert)
    if len(range_parts) == 1:
        paths = tuple(path_from_string(part) for part in set_parts)
        return SetCut(dimension, paths, hierarchy, invert)
    if len(set_parts) == 1 and len(range_parts) == 2:
        from_path, to_path = (path_from_string(part) or None for part in range_parts)
        return RangeCut(dimension, from_path, to_path, hierarchy, invert)
    raise ArgumentError(
        "Unknown cut format (check that keys consist only of alphanumeric characters and "
        f"underscore): {body}"
    )


def path_from_string(text: str) -> Path:
    """Split a path on unescaped commas and unescape each element; ``""`` is the empty path.

    >>> path_from_string(r"a\\,b,__null__,10\\-24,x\\y")
    ('a,b', None, '10-24', 'x\\\\y')
    """
    if not text:
        return ()
    return tuple(_unescape_element(element) for element in _PATH_SEPARATOR.split(text))


def _unescape_element(element: str) -> PathElement:
    if element == NULL_PATH_ELEMENT:
        return None
    # Only the grammar's special characters lose their backslash (COMPAT, §9 item 30).
    return _UNESCAPE.sub(r"\1", element)


def string_from_path(path: Iterable[PathElement]) -> str:
    """Write a path in cut syntax, escaping ``\\ ! | : ; , -``; ``None`` becomes ``__null__``.

    Not every path survives a round trip: the string ``"__null__"`` reads back as ``None``, an
    element ending in a backslash swallows the separator after it, and the empty path, ``("",)``
    and (in a set or range) an empty side all write as ``""``.

    >>> string_from_path(["a,b", None, "10-24", 2010])
    'a\\\\,b,__null__,10\\\\-24,2010'
    """
    return ",".join(_escape_element(element) for element in path)


def _escape_element(element: PathElement) -> str:
    if element is None:
        return NULL_PATH_ELEMENT
    return _ESCAPE.sub(r"\\\1", str(element))


def string_from_cut(cut: Cut) -> str:
    """Write one cut in cut syntax (``hidden`` is not representable and is dropped).

    >>> string_from_cut(RangeCut("date", ("2010", "1"), None, "ymd", invert=True))
    '!date@ymd:2010,1-'
    """
    spec = ("!" if cut.invert else "") + _escape_element(cut.dimension)
    if cut.hierarchy:
        spec += "@" + _escape_element(cut.hierarchy)
    if isinstance(cut, PointCut):
        body = string_from_path(cut.path)
    elif isinstance(cut, RangeCut):
        body = string_from_path(cut.from_path or ()) + "-" + string_from_path(cut.to_path or ())
    else:
        body = ";".join(string_from_path(path) for path in cut.paths)
    return f"{spec}:{body}"


def string_from_cell(cuts: Iterable[Cut]) -> str:
    """Write cuts as a cell string: ``parse_cell(string_from_cell(c)) == c`` for string paths.

    >>> string_from_cell([PointCut("item", ("a",)), SetCut("year", (("2009",), ("2010",)))])
    'item:a|year:2009;2010'
    """
    return "|".join(string_from_cut(cut) for cut in cuts)


# Cut objects in JSON (§2.5, report bodies §1.12) ---------------------------------------------


def cut_to_dict(cut: Cut, hierarchy_name: str | None = None) -> dict[str, Any]:
    """The §2.5 JSON object of a cut; ``hierarchy_name``, when given, replaces ``cut.hierarchy``.

    >>> cut_to_dict(parse_cut("item:-e"), hierarchy_name="default")
    {'type': 'range', 'dimension': 'item', 'hierarchy': 'default', 'level_depth': 1,\
 'invert': False, 'hidden': False, 'from': [], 'to': ['e']}
    """
    body: dict[str, Any] = {
        "type": cut.type,
        "dimension": cut.dimension,
        "hierarchy": hierarchy_name if hierarchy_name is not None else cut.hierarchy,
        "level_depth": cut.level_depth,
        "invert": cut.invert,
        "hidden": cut.hidden,
    }
    if isinstance(cut, PointCut):
        body["path"] = list(cut.path)
    elif isinstance(cut, RangeCut):
        body["from"] = list(cut.from_path or ())
        body["to"] = list(cut.to_path or ())
    else:
        body["paths"] = [list(path) for path in cut.paths]
    return body


def cut_from_dict(desc: Mapping[str, Any]) -> Cut:
    """Read a cut object of a report body; ``type`` is case-insensitive, unknown keys ignored.

    >>> cut_from_dict({"type": "Range", "dimension": "year", "from": [2010], "to": []})
    RangeCut(dimension='year', from_path=(2010,), to_path=None, hierarchy=None, invert=False,\
 hidden=False, type='range')
    """
    if not isinstance(desc, Mapping):
        raise ArgumentError(f"A cut should be a JSON object, not {type(desc).__name__}")
    cut_type = desc.get("type")
    if not isinstance(cut_type, str):
        raise ArgumentError(f"Cut {dict(desc)!r} has no 'type' (point, range or set)")
    dimension = desc.get("dimension")
    if not isinstance(dimension, str) or not dimension:
        raise ArgumentError(f"Cut {dict(desc)!r} has no 'dimension' name")
    hierarchy = desc.get("hierarchy")
    if hierarchy is not None and not isinstance(hierarchy, str):
        raise ArgumentError(f"Cut hierarchy should be a string or null, not {hierarchy!r}")
    flags = {key: _flag(desc, key) for key in ("invert", "hidden")}
    common: dict[str, Any] = {"hierarchy": hierarchy or None, **flags}
    kind = cut_type.lower()
    if kind == "point":
        return PointCut(dimension, _json_path(desc.get("path"), "path"), **common)
    if kind == "set":
        return SetCut(dimension, _json_paths(desc.get("paths")), **common)
    if kind == "range":
        from_path = _json_path(desc.get("from"), "from", optional=True) or None
        to_path = _json_path(desc.get("to"), "to", optional=True) or None
        return RangeCut(dimension, from_path, to_path, **common)
    raise ArgumentError(f"Unknown cut type '{cut_type}' (expected point, range or set)")


def _flag(desc: Mapping[str, Any], key: str) -> bool:
    value = desc.get(key, False)
    if not isinstance(value, bool):
        raise ArgumentError(f"Cut '{key}' should be true or false, not {value!r}")
    return value


def _json_path(value: Any, key: str, *, optional: bool = False) -> Path:
    if value is None and optional:
        return ()
    if not isinstance(value, list | tuple):
        raise ArgumentError(f"Cut '{key}' should be a list of path elements, not {value!r}")
    for element in value:
        if element is not None and (
            isinstance(element, bool) or not isinstance(element, str | int)
        ):
            raise ArgumentError(
                f"Cut '{key}' element {element!r} should be a string, an integer or null"
            )
    return tuple(value)


def _json_paths(value: Any) -> tuple[Path, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise ArgumentError(f"Set cut 'paths' should be a non-empty list of paths, not {value!r}")
    return tuple(_json_path(path, "paths") for path in value)


# Drilldown, aggregates, order (§1.7, §2.6) ----------------------------------------------------


@dataclass(frozen=True)
class DrilldownSpec:
    """One drilldown item as written: ``dimension[@hierarchy][:level]``, names not yet resolved."""

    dimension: str
    hierarchy: str | None = None
    level: str | None = None


_DRILLDOWN_SEPARATOR = re.compile(r"[|,]")
_DRILLDOWN_ITEM = re.compile(r"(?P<dim>\w+)(@(?P<hier>\w+))?(:(?P<level>\w+))?")


def _as_values(values: str | Iterable[str]) -> tuple[str, ...]:
    # A bare string is one parameter value, not an iterable of one-character values.
    return (values,) if isinstance(values, str) else tuple(values)


def parse_drilldown(values: str | Iterable[str]) -> tuple[DrilldownSpec, ...]:
    """Parse ``drilldown`` parameter values; items are separated by ``|`` (or ``,``).

    >>> parse_drilldown(["date@ymd:month|item", "year"])
    (DrilldownSpec(dimension='date', hierarchy='ymd', level='month'),\
 DrilldownSpec(dimension='item', hierarchy=None, level=None),\
 DrilldownSpec(dimension='year', hierarchy=None, level=None))
    """
    return tuple(
        _drilldown_item(item)
        for value in _as_values(values)
        for item in _DRILLDOWN_SEPARATOR.split(value)
    )


def _drilldown_item(text: str) -> DrilldownSpec:
    if not text:
        raise ArgumentError("Drilldown string should not be empty")
    match = _DRILLDOWN_ITEM.match(text)
    if match is None:
        raise ArgumentError(
            f"String '{text}' does not match drilldown level pattern 'dimension@hierarchy:level'"
        )
    if match.end() != len(text):
        raise ArgumentError(
            f"Drilldown '{text}' has unexpected text '{text[match.end() :]}' after "
            f"'{match[0]}' (pattern 'dimension@hierarchy:level', items separated by '|')"
        )
    return DrilldownSpec(match["dim"], match["hier"], match["level"])


def parse_aggregate_names(values: str | Iterable[str]) -> tuple[str, ...]:
    """Parse ``aggregates`` parameter values split on ``|``; no values means "all aggregates".

    >>> parse_aggregate_names(["amount_sum|record_count", "double_amount_sum"])
    ('amount_sum', 'record_count', 'double_amount_sum')
    """
    texts = _as_values(values)
    if texts and not any(texts):
        raise ArgumentError("List of aggregates should not be empty")
    names: list[str] = []
    for text in texts:
        parts = text.split("|")
        if "" in parts:
            raise ArgumentError(f"Aggregate list '{text}' contains an empty aggregate name")
        names.extend(parts)
    return tuple(names)


def parse_order(values: str | Iterable[str]) -> tuple[tuple[str, str], ...]:
    """Parse ``order`` parameter values: ``attribute[:direction]`` items separated by ``,``.

    >>> parse_order(["amount_sum:DESCENDING,item.category", "year:asc"])
    (('amount_sum', 'desc'), ('item.category', 'asc'), ('year', 'asc'))
    """
    return tuple(_order_item(item) for value in _as_values(values) for item in value.split(","))


def _order_item(text: str) -> tuple[str, str]:
    # As 1.1: the direction is the text between the first and a second colon, if any.
    parts = text.split(":")
    if not parts[0]:
        raise ArgumentError(f"Order item '{text}' has no attribute name")
    direction = parts[1] if len(parts) > 1 else ""
    lowered = direction.lower()
    if not direction or lowered.startswith("asc"):
        return parts[0], "asc"
    if lowered.startswith("desc"):
        return parts[0], "desc"
    raise ArgumentError(
        f"Unknown order direction '{direction}' for '{parts[0]}' (expected 'asc' or 'desc')"
    )


# Relative time members (§2.4) ----------------------------------------------------------------

_NAMED_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}
_FINE_RELATIVE = re.compile(r"(?P<offset>[0-9]+)?(?P<unit>[A-Za-z]+)(?P<direction>ago|forward)")
_TRUNCATED_RELATIVE = re.compile(r"(?P<direction>last|next)(?P<offset>[0-9]+)?(?P<unit>[A-Za-z]+)")
_RELATIVE_UNITS = ("hour", "day", "week", "month", "quarter", "year")
_MONTHS_PER_UNIT = {"month": 1, "quarter": 3, "year": 12}


def resolve_relative_time(
    cut: Cut, level_names: Sequence[str], now: datetime, first_weekday: int = 0
) -> Cut:
    """Replace relative time members of ``cut`` with calendar paths over ``level_names``.

    Only one-element string paths are candidates; anything not relative stays literal. Apply it
    only to cuts on dimensions with ``role: "time"``.

    >>> resolve_relative_time(parse_cut("date:lastmonth-today"), ["year", "month"],
    ...                       datetime(2024, 1, 15))
    RangeCut(dimension='date', from_path=(2023, 12), to_path=(2024, 1), hierarchy=None,\
 invert=False, hidden=False, type='range')
    """
    _check_weekday(first_weekday)

    def convert(path: Path) -> Path:
        if len(path) != 1 or not isinstance(path[0], str):
            return path
        moment = relative_time(path[0], now, first_weekday)
        return path if moment is None else calendar_path(moment, level_names, first_weekday)

    if isinstance(cut, PointCut):
        return replace(cut, path=convert(cut.path))
    if isinstance(cut, SetCut):
        return replace(cut, paths=tuple(convert(path) for path in cut.paths))
    from_path = None if cut.from_path is None else convert(cut.from_path)
    to_path = None if cut.to_path is None else convert(cut.to_path)
    return replace(cut, from_path=from_path, to_path=to_path)


def relative_time(token: str, now: datetime, first_weekday: int = 0) -> datetime | None:
    """The moment a relative time member names, or ``None`` when ``token`` is not relative.

    ``[N]<unit>ago``/``[N]<unit>forward`` shift ``now`` itself; ``last[N]<unit>``/
    ``next[N]<unit>`` first truncate it to the start of the unit (weeks start on
    ``first_weekday``, 0 = Monday). Month arithmetic clamps the day to the month's end.

    >>> relative_time("3monthsago", datetime(2024, 5, 31, 10, 30))
    datetime.datetime(2024, 2, 29, 10, 30)
    >>> relative_time("lastweek", datetime(2024, 5, 15, 10, 30), first_weekday=6)
    datetime.datetime(2024, 5, 5, 0, 0)
    >>> relative_time("2009", datetime(2024, 5, 15)) is None
    True
    """
    _check_weekday(first_weekday)
    try:
        return _relative_time(token, now, first_weekday)
    except (ValueError, OverflowError) as error:
        raise ArgumentError(f"Relative time '{token}' is out of range") from error


def _relative_time(token: str, now: datetime, first_weekday: int) -> datetime | None:
    if token in _NAMED_DAYS:
        return now + timedelta(days=_NAMED_DAYS[token])
    fine = _FINE_RELATIVE.fullmatch(token)
    truncated = None if fine else _TRUNCATED_RELATIVE.fullmatch(token)
    match = fine or truncated
    if match is None:
        return None
    unit = _relative_unit(match["unit"], token)
    offset = int(match["offset"] or "1")
    if match["direction"] in ("ago", "last"):
        offset = -offset
    if truncated:
        now = _truncate(now, unit, first_weekday)
    return _shift(now, unit, offset)


def _relative_unit(name: str, token: str) -> str:
    unit = name[:-1] if name.endswith("s") else name
    if unit not in _RELATIVE_UNITS:
        raise ArgumentError(
            f"Unknown relative time unit '{name}' in '{token}' "
            "(expected hour, day, week, month, quarter or year)"
        )
    return unit


def _truncate(moment: datetime, unit: str, first_weekday: int) -> datetime:
    """The start of the ``unit`` containing ``moment``."""
    moment = moment.replace(minute=0, second=0, microsecond=0)
    if unit == "hour":
        return moment
    moment = moment.replace(hour=0)
    if unit == "day":
        return moment
    if unit == "week":
        return moment - timedelta(days=(moment.weekday() - first_weekday) % 7)
    if unit == "month":
        return moment.replace(day=1)
    if unit == "quarter":
        return moment.replace(month=moment.month - (moment.month - 1) % 3, day=1)
    return moment.replace(month=1, day=1)


def _shift(moment: datetime, unit: str, amount: int) -> datetime:
    if unit in _MONTHS_PER_UNIT:
        return _add_months(moment, amount * _MONTHS_PER_UNIT[unit])
    hours = {"hour": 1, "day": 24, "week": 7 * 24}[unit]
    return moment + timedelta(hours=amount * hours)


def _add_months(moment: datetime, months: int) -> datetime:
    """Shift by calendar months, clamping the day (31 January + 1 month = 28/29 February)."""
    year, month_index = divmod(moment.year * 12 + moment.month - 1 + months, 12)
    month = month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def calendar_path(moment: datetime, level_names: Sequence[str], first_weekday: int = 0) -> Path:
    """One int per level, using level names as calendar units.

    >>> calendar_path(datetime(2024, 5, 15, 10, 30), ["year", "quarter", "weekday"], 6)
    (2024, 2, 3)
    """
    return tuple(_calendar_value(moment, name, first_weekday) for name in level_names)


def _calendar_value(moment: datetime, unit: str, first_weekday: int) -> int:
    if unit in ("year", "month", "day", "hour", "minute"):
        value: int = getattr(moment, unit)
        return value
    if unit == "quarter":
        return (moment.month - 1) // 3 + 1
    if unit == "weekday":
        return (moment.weekday() - first_weekday) % 7
    raise ArgumentError(f"Unknown calendar unit '{unit}'")


def _check_weekday(first_weekday: int) -> None:
    if not 0 <= first_weekday <= 6:
        raise ValueError(f"first_weekday should be 0 (Monday) to 6 (Sunday), not {first_weekday}")
