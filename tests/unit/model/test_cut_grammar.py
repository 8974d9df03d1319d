"""Cut, drilldown, aggregate-list and order grammar (slicer-api.md §1.7, §1.12, §2).

Expected values are written out by hand from the spec's tables, or computed independently with
plain ``datetime``/``timedelta`` arithmetic for relative time; never by the code under test.
"""

from __future__ import annotations

import contextlib
import doctest
import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubus.model import cut_grammar
from kubus.model.cells import Cut, PathElement, PointCut, RangeCut, SetCut
from kubus.model.cut_grammar import (
    DrilldownSpec,
    calendar_path,
    cut_from_dict,
    cut_to_dict,
    parse_aggregate_names,
    parse_cell,
    parse_cut,
    parse_drilldown,
    parse_order,
    path_from_string,
    relative_time,
    resolve_relative_time,
    string_from_cell,
    string_from_cut,
    string_from_path,
)
from kubus.model.errors import ArgumentError

UNKNOWN_FORMAT = (
    "Unknown cut format (check that keys consist only of alphanumeric characters and underscore): "
)


def test_docstring_examples_hold():
    results = doctest.testmod(cut_grammar)
    assert results.attempted > 10
    assert results.failed == 0


# §2.2: every example of the table --------------------------------------------------------------

SPEC_EXAMPLES = [
    ("item:a", [PointCut("item", ("a",))]),
    ("item:a,da", [PointCut("item", ("a", "da"))]),
    ("item:a,da,Borrowings", [PointCut("item", ("a", "da", "Borrowings"))]),
    ("item:a;e", [SetCut("item", (("a",), ("e",)))]),
    ("item:a;e,cs;l", [SetCut("item", (("a",), ("e", "cs"), ("l",)))]),
    ("item:a-e", [RangeCut("item", ("a",), ("e",))]),
    ("item:a,da-e,cs", [RangeCut("item", ("a", "da"), ("e", "cs"))]),
    ("item:a-", [RangeCut("item", ("a",), None)]),
    ("item:-e", [RangeCut("item", None, ("e",))]),
    ("!item:a", [PointCut("item", ("a",), invert=True)]),
    ("!item:a;e", [SetCut("item", (("a",), ("e",)), invert=True)]),
    ("!item:a-e", [RangeCut("item", ("a",), ("e",), invert=True)]),
    ("item@default:a", [PointCut("item", ("a",), hierarchy="default")]),
    ("item:a|year:2009", [PointCut("item", ("a",)), PointCut("year", ("2009",))]),
    (r"item:10\-24", [PointCut("item", ("10-24",))]),
    (r"item:a\,b", [PointCut("item", ("a,b",))]),
    (r"item:x\;y", [PointCut("item", ("x;y",))]),
    ("item:__null__", [PointCut("item", (None,))]),
    ("item:", [PointCut("item", ("",))]),
    ("item:a;", [SetCut("item", (("a",), ()))]),
    ("year:2009,1", [PointCut("year", ("2009", "1"))]),
    ("year:today", [PointCut("year", ("today",))]),
    ("year:lastyear", [PointCut("year", ("lastyear",))]),
    ("year:3yearsago", [PointCut("year", ("3yearsago",))]),
    ("year:next2years", [PointCut("year", ("next2years",))]),
    ("year:17yearsago-today", [RangeCut("year", ("17yearsago",), ("today",))]),
    # Names are checked by the resolver, not the grammar (404 / 4xx there).
    ("nosuch:a", [PointCut("nosuch", ("a",))]),
    ("item@nosuch:a", [PointCut("item", ("a",), hierarchy="nosuch")]),
]


@pytest.mark.parametrize(("text", "expected"), SPEC_EXAMPLES)
def test_spec_examples_parse(text, expected):
    assert parse_cell(text) == tuple(expected)


@pytest.mark.parametrize(
    ("text", "depth"),
    [("item:a,da", 2), ("item:a;e,cs;l", 2), ("item:a,da-e", 2), ("item:-e", 1), ("item:-", 0)],
)
def test_level_depth(text, depth):
    assert parse_cut(text).level_depth == depth


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("item:a-b-c", UNKNOWN_FORMAT + "a-b-c"),
        ("item:a-b;c", UNKNOWN_FORMAT + "a-b;c"),
        ("item:a;b-c", UNKNOWN_FORMAT + "a;b-c"),
        ("item:a:b", "Wrong dimension cut string: 'item:a:b'"),
        ("item", "Wrong dimension cut string: 'item'"),
        ("item:a|", "Wrong dimension cut string: ''"),
        ("!!item:a", "Dimension spec '!!item' does not match pattern 'dimension@hierarchy'"),
        (":a", "Dimension spec '' does not match pattern 'dimension@hierarchy'"),
        ("@h:a", "Dimension spec '@h' does not match pattern 'dimension@hierarchy'"),
    ],
)
def test_syntax_errors(text, message):
    with pytest.raises(ArgumentError) as caught:
        parse_cell(text)
    assert caught.value.message == message
    assert caught.value.to_dict() == {"error": "unknown_user_error", "message": message}


def test_empty_cell_string_is_the_whole_cube():
    assert parse_cell("") == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("item-x:a", PointCut("item", ("a",))),  # dimension spec is a prefix match (COMPAT)
        ("item@default-x:a", PointCut("item", ("a",), hierarchy="default")),
        ("item@:a", PointCut("item", ("a",))),
        ("čas:2020", PointCut("čas", ("2020",))),
    ],
)
def test_dimension_spec_prefix_match(text, expected):
    assert parse_cut(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # only \\ \! \| \: \; \, \- are unescaped; other backslashes stay (COMPAT, §9 item 30)
        (r"city:Nové\ Mesto", ("Nové\\ Mesto",)),
        (r"item:a\xb", ("a\\xb",)),
        (r"item:a\\b", ("a\\b",)),
        (r"item:\!a", ("!a",)),
        (r"item:a\:b", ("a:b",)),
        (r"item:a\|b", ("a|b",)),
        (r"item:\-5", ("-5",)),
        (r"item:a\\-b", ("a\\-b",)),  # the lookbehind sees a backslash: not a range
        (r"item:\__null__", ("\\__null__",)),
        ("item:__null__x", ("__null__x",)),
        ("item:a,__null__", ("a", None)),
        ("item:a,", ("a", "")),
        ("item:,", ("", "")),
        ("item:a b", ("a b",)),
    ],
)
def test_escaping_and_null(text, expected):
    cut = parse_cut(text)
    assert isinstance(cut, PointCut)
    assert cut.path == expected


def test_escaped_separators_do_not_split():
    assert parse_cell(r"item:a\|b|year:1") == (
        PointCut("item", ("a|b",)),
        PointCut("year", ("1",)),
    )
    assert parse_cut(r"item:a\-b-c") == RangeCut("item", ("a-b",), ("c",))
    assert parse_cut(r"item:a\;b;c") == SetCut("item", (("a;b",), ("c",)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("item:-", RangeCut("item", None, None)),
        ("item:__null__-a", RangeCut("item", (None,), ("a",))),
        ("item:;a", SetCut("item", ((), ("a",)))),
        ("item:;", SetCut("item", ((), ()))),
        ("!item@h:a,b;c", SetCut("item", (("a", "b"), ("c",)), hierarchy="h", invert=True)),
    ],
)
def test_edge_shapes(text, expected):
    assert parse_cut(text) == expected


def test_path_from_string():
    assert path_from_string("") == ()
    assert path_from_string(r"a\,b,c") == ("a,b", "c")


# §2.5: cut objects in JSON -------------------------------------------------------------------


def test_cut_to_dict_matches_the_aggregate_example_byte_for_byte():
    cut = parse_cut("item:e")
    expected = (
        '{"type": "point", "dimension": "item", "hierarchy": "default", "level_depth": 1, '
        '"invert": false, "hidden": false, "path": ["e"]}'
    )
    assert json.dumps(cut_to_dict(cut, hierarchy_name="default")) == expected


@pytest.mark.parametrize(
    ("text", "tail"),
    [
        ("item:a,da", {"path": ["a", "da"]}),
        ("item:a-", {"from": ["a"], "to": []}),
        ("item:-e", {"from": [], "to": ["e"]}),
        ("item:a,da-e", {"from": ["a", "da"], "to": ["e"]}),
        ("item:a;e,cs", {"paths": [["a"], ["e", "cs"]]}),
        ("item:__null__", {"path": [None]}),
    ],
)
def test_cut_to_dict_shapes(text, tail):
    cut = parse_cut(text)
    depth = {"item:a,da": 2, "item:a,da-e": 2, "item:a;e,cs": 2}.get(text, 1)
    head = {
        "type": cut.type,
        "dimension": "item",
        "hierarchy": None,
        "level_depth": depth,
        "invert": False,
        "hidden": False,
    }
    result = cut_to_dict(cut)
    assert result == head | tail
    assert list(result) == list(head) + list(tail)


def test_cut_to_dict_keeps_ints_flags_and_own_hierarchy():
    cut = RangeCut("date", (2010, 1), None, hierarchy="ymd", invert=True, hidden=True)
    assert cut_to_dict(cut) == {
        "type": "range",
        "dimension": "date",
        "hierarchy": "ymd",
        "level_depth": 2,
        "invert": True,
        "hidden": True,
        "from": [2010, 1],
        "to": [],
    }
    assert cut_to_dict(cut, hierarchy_name="other")["hierarchy"] == "other"


@pytest.mark.parametrize(
    ("desc", "expected"),
    [
        (
            {"type": "range", "dimension": "year", "from": [2010], "to": [2010]},
            RangeCut("year", (2010,), (2010,)),
        ),
        ({"type": "POINT", "dimension": "item", "path": ["a"]}, PointCut("item", ("a",))),
        (
            {"type": "Set", "dimension": "item", "paths": [["a"], ["e", "cs"]], "invert": True},
            SetCut("item", (("a",), ("e", "cs")), invert=True),
        ),
        ({"type": "range", "dimension": "year", "to": [2010]}, RangeCut("year", None, (2010,))),
        ({"type": "range", "dimension": "y", "from": None, "to": []}, RangeCut("y", None, None)),
        (
            {
                "type": "point",
                "dimension": "d",
                "hierarchy": "ymd",
                "path": [None, 1],
                "hidden": True,
            },
            PointCut("d", (None, 1), hierarchy="ymd", hidden=True),
        ),
        ({"type": "point", "dimension": "d", "hierarchy": "", "path": []}, PointCut("d", ())),
        (
            {"type": "point", "dimension": "d", "path": ["x"], "level_depth": 7, "extra": 1},
            PointCut("d", ("x",)),
        ),
    ],
)
def test_cut_from_dict(desc, expected):
    assert cut_from_dict(desc) == expected


@pytest.mark.parametrize(
    ("desc", "fragment"),
    [
        (["point"], "should be a JSON object"),
        ({"dimension": "d", "path": ["a"]}, "no 'type'"),
        ({"type": 3, "dimension": "d"}, "no 'type'"),
        ({"type": "between", "dimension": "d"}, "Unknown cut type 'between'"),
        ({"type": "point", "path": ["a"]}, "no 'dimension'"),
        ({"type": "point", "dimension": "", "path": ["a"]}, "no 'dimension'"),
        ({"type": "point", "dimension": "d", "hierarchy": 5, "path": []}, "hierarchy"),
        ({"type": "point", "dimension": "d", "invert": "yes", "path": []}, "'invert'"),
        ({"type": "point", "dimension": "d", "hidden": 1, "path": []}, "'hidden'"),
        ({"type": "point", "dimension": "d"}, "'path'"),
        ({"type": "point", "dimension": "d", "path": "2010"}, "'path'"),
        ({"type": "point", "dimension": "d", "path": [1.5]}, "1.5"),
        ({"type": "point", "dimension": "d", "path": [True]}, "True"),
        ({"type": "point", "dimension": "d", "path": [{"a": 1}]}, "'path' element"),
        ({"type": "set", "dimension": "d"}, "'paths'"),
        ({"type": "set", "dimension": "d", "paths": []}, "'paths'"),
        ({"type": "set", "dimension": "d", "paths": ["a"]}, "'paths'"),
        ({"type": "range", "dimension": "d", "from": "a"}, "'from'"),
        ({"type": "range", "dimension": "d", "to": [[1]]}, "'to'"),
    ],
)
def test_cut_from_dict_errors(desc, fragment):
    with pytest.raises(ArgumentError) as caught:
        cut_from_dict(desc)
    assert fragment in caught.value.message


# Escaper -----------------------------------------------------------------------------------


def test_string_from_path_escapes_every_special_character():
    path = ["a,b", None, "10-24", 2010, "x\\y", "!|:;", "", "__null__x"]
    expected = r"a\,b,__null__,10\-24,2010,x\\y,\!\|\:\;,,__null__x"
    assert string_from_path(path) == expected
    assert string_from_path([]) == ""


@pytest.mark.parametrize(
    ("cut", "text"),
    [
        (PointCut("item", ("a", "da")), "item:a,da"),
        (PointCut("item", ("a",), hierarchy="default", invert=True), "!item@default:a"),
        (SetCut("item", (("a",), ())), "item:a;"),
        (RangeCut("item", None, ("e",)), "item:-e"),
        (RangeCut("item", ("a",), None), "item:a-"),
        (RangeCut("item", None, None), "item:-"),
        (PointCut("item", (None,), hidden=True), "item:__null__"),
    ],
)
def test_string_from_cut(cut, text):
    assert string_from_cut(cut) == text


def test_string_from_cell():
    cuts = [PointCut("item", ("a-b",)), RangeCut("year", ("2009",), ("2010",))]
    assert string_from_cell(cuts) == r"item:a\-b|year:2009-2010"
    assert string_from_cell([]) == ""


# Drilldown, aggregates, order ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], ()),
        ("item", (DrilldownSpec("item"),)),
        (["item@default:category"], (DrilldownSpec("item", "default", "category"),)),
        (["date:month"], (DrilldownSpec("date", None, "month"),)),
        (["date@ymd"], (DrilldownSpec("date", "ymd", None),)),
        (["item|year"], (DrilldownSpec("item"), DrilldownSpec("year"))),
        (["item", "year"], (DrilldownSpec("item"), DrilldownSpec("year"))),
        # documented superset of 1.1: a comma separates items too
        (["item,year"], (DrilldownSpec("item"), DrilldownSpec("year"))),
        (
            ["date:month,geo:city|x"],
            (
                DrilldownSpec("date", None, "month"),
                DrilldownSpec("geo", None, "city"),
                DrilldownSpec("x"),
            ),
        ),
    ],
)
def test_parse_drilldown(values, expected):
    assert parse_drilldown(values) == expected


@pytest.mark.parametrize("values", [[""], "", ["item", ""], ["item|"], ["item,,year"]])
def test_empty_drilldown_item(values):
    with pytest.raises(ArgumentError, match=r"^Drilldown string should not be empty$"):
        parse_drilldown(values)


def test_drilldown_not_matching_pattern():
    with pytest.raises(ArgumentError) as caught:
        parse_drilldown(["!item"])
    assert caught.value.message == (
        "String '!item' does not match drilldown level pattern 'dimension@hierarchy:level'"
    )


@pytest.mark.parametrize(
    ("text", "junk"),
    [
        ("item.category", ".category"),
        ("item:sub category", " category"),
        ("item@", "@"),
        ("item:", ":"),
        ("item:a:b", ":b"),
        ("item-x", "-x"),
    ],
)
def test_drilldown_rejects_trailing_text(text, junk):
    with pytest.raises(ArgumentError) as caught:
        parse_drilldown([text])
    assert f"unexpected text '{junk}'" in caught.value.message


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], ()),
        ("a|b", ("a", "b")),
        (["a", "b|c"], ("a", "b", "c")),
        (["a,b"], ("a,b",)),  # not a separator: the resolver reports the unknown aggregate
    ],
)
def test_parse_aggregate_names(values, expected):
    assert parse_aggregate_names(values) == expected


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([""], "List of aggregates should not be empty"),
        ("", "List of aggregates should not be empty"),
        (["", ""], "List of aggregates should not be empty"),
        (["a||b"], "Aggregate list 'a||b' contains an empty aggregate name"),
        (["a|"], "Aggregate list 'a|' contains an empty aggregate name"),
        (["a", ""], "Aggregate list '' contains an empty aggregate name"),
    ],
)
def test_parse_aggregate_names_errors(values, message):
    with pytest.raises(ArgumentError) as caught:
        parse_aggregate_names(values)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], ()),
        ("amount_sum:desc", (("amount_sum", "desc"),)),
        (
            ["item.category_label:desc,record_count"],
            (("item.category_label", "desc"), ("record_count", "asc")),
        ),
        (
            ["a:ASC", "b:ascending", "c:Desc", "d:descending"],
            (("a", "asc"), ("b", "asc"), ("c", "desc"), ("d", "desc")),
        ),
        (["a:", "b", "c:asc:junk"], (("a", "asc"), ("b", "asc"), ("c", "asc"))),
    ],
)
def test_parse_order(values, expected):
    assert parse_order(values) == expected


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        (["year:up"], "Unknown order direction 'up' for 'year'"),
        (["year:dsc"], "'dsc'"),
        ([""], "Order item '' has no attribute name"),
        (["a,,b"], "Order item '' has no attribute name"),
        ([":desc"], "Order item ':desc' has no attribute name"),
    ],
)
def test_parse_order_errors(values, fragment):
    with pytest.raises(ArgumentError) as caught:
        parse_order(values)
    assert fragment in caught.value.message


# §2.4: relative time ---------------------------------------------------------------------------

NOW = datetime(2024, 3, 31, 15, 45, 30)  # a Sunday, the last day of a 31-day month, leap year
TODAY = date(2024, 3, 31)
YMD = ["year", "month", "day"]


def ymd(day: date) -> tuple[int, int, int]:
    return (day.year, day.month, day.day)


def resolve_point(token: str, levels: list[str], now: datetime = NOW, first_weekday: int = 0):
    cut = resolve_relative_time(PointCut("date", (token,)), levels, now, first_weekday)
    assert isinstance(cut, PointCut)
    return cut.path


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("today", ymd(TODAY)),
        ("yesterday", ymd(TODAY - timedelta(days=1))),
        ("tomorrow", ymd(TODAY + timedelta(days=1))),
        ("dayago", ymd(TODAY - timedelta(days=1))),
        ("1dayago", ymd(TODAY - timedelta(days=1))),
        ("2daysago", ymd(TODAY - timedelta(days=2))),
        ("90daysago", ymd(TODAY - timedelta(days=90))),
        ("10daysforward", ymd(TODAY + timedelta(days=10))),
        ("3weeksago", ymd(TODAY - timedelta(weeks=3))),
        ("weekforward", ymd(TODAY + timedelta(weeks=1))),
        ("0daysago", ymd(TODAY)),
        # month arithmetic clamps the day to the end of the target month
        ("monthago", (2024, 2, 29)),
        ("13monthsago", (2023, 2, 28)),
        ("monthforward", (2024, 4, 30)),
        ("2monthsforward", (2024, 5, 31)),
        ("quarterago", (2023, 12, 31)),
        ("quarterforward", (2024, 6, 30)),
        ("yearago", (2023, 3, 31)),
        ("2yearsforward", (2026, 3, 31)),
        # last/next truncate to the start of the unit first
        ("lastday", (2024, 3, 30)),
        ("nextday", (2024, 4, 1)),
        ("lastmonth", (2024, 2, 1)),
        ("next2months", (2024, 5, 1)),
        ("lastquarter", (2023, 10, 1)),
        ("nextquarter", (2024, 4, 1)),
        ("lastyear", (2023, 1, 1)),
        ("next3years", (2027, 1, 1)),
        # weeks start on Monday by default: this week began on Monday 25 March
        ("lastweek", ymd(date(2024, 3, 25) - timedelta(weeks=1))),
        ("nextweek", ymd(date(2024, 3, 25) + timedelta(weeks=1))),
        ("last2weeks", ymd(date(2024, 3, 25) - timedelta(weeks=2))),
    ],
)
def test_relative_day_paths(token, expected):
    assert resolve_point(token, YMD) == expected


@pytest.mark.parametrize(
    ("first_weekday", "this_week_start"),
    [(0, date(2024, 3, 25)), (6, date(2024, 3, 31)), (2, date(2024, 3, 27))],
)
def test_week_start_honours_first_weekday(first_weekday, this_week_start):
    last = resolve_point("lastweek", YMD, first_weekday=first_weekday)
    following = resolve_point("nextweek", YMD, first_weekday=first_weekday)
    assert last == ymd(this_week_start - timedelta(weeks=1))
    assert following == ymd(this_week_start + timedelta(weeks=1))


def test_week_truncation_on_a_wednesday():
    wednesday = datetime(2024, 5, 15, 10, 30)
    assert resolve_point("lastweek", YMD, wednesday, 0) == (2024, 5, 6)
    assert resolve_point("lastweek", YMD, wednesday, 6) == (2024, 5, 5)
    assert resolve_point("nextweek", YMD, wednesday, 3) == (2024, 5, 16)


@pytest.mark.parametrize(
    ("first_weekday", "weekday"),
    [(0, 6), (6, 0), (2, 4)],  # NOW is a Sunday
)
def test_weekday_level(first_weekday, weekday):
    levels = ["year", "month", "day", "weekday"]
    assert resolve_point("today", levels, first_weekday=first_weekday) == (2024, 3, 31, weekday)


@pytest.mark.parametrize(
    ("token", "now", "expected"),
    [
        ("today", NOW, (2024, 3, 31, 15, 45)),
        ("3hoursago", NOW, (2024, 3, 31, 12, 45)),
        ("16hoursforward", NOW, (2024, 4, 1, 7, 45)),
        ("lasthour", NOW, (2024, 3, 31, 14, 0)),
        ("next2hours", NOW, (2024, 3, 31, 17, 0)),
        ("lastday", NOW, (2024, 3, 30, 0, 0)),
        ("3hoursago", datetime(2024, 3, 1, 1, 30), (2024, 2, 29, 22, 30)),
        ("lasthour", datetime(2024, 1, 1, 0, 10), (2023, 12, 31, 23, 0)),
    ],
)
def test_hour_and_minute_levels(token, now, expected):
    levels = ["year", "month", "day", "hour", "minute"]
    assert resolve_point(token, levels, now) == expected


@pytest.mark.parametrize(
    ("token", "now", "expected"),
    [
        ("today", NOW, (2024, 1)),
        ("lastquarter", NOW, (2023, 4)),
        ("nextquarter", datetime(2024, 11, 30), (2025, 1)),
        ("2quartersforward", datetime(2024, 8, 31), (2025, 1)),  # 2025-02-28
        ("quarterago", datetime(2024, 5, 31), (2024, 1)),  # 2024-02-29
        ("lastmonth", datetime(2024, 4, 15), (2024, 1)),
        ("last4quarters", datetime(2024, 7, 1), (2023, 3)),
    ],
)
def test_year_quarter_hierarchy(token, now, expected):
    assert resolve_point(token, ["year", "quarter"], now) == expected


SPEC_CLOCK = datetime(2026, 6, 15, 9, 0)  # "with the clock in 2026"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("year:today", PointCut("year", (2026,))),
        ("year:lastyear", PointCut("year", (2025,))),
        ("year:3yearsago", PointCut("year", (2023,))),
        ("year:next2years", PointCut("year", (2028,))),
        ("year:17yearsago-today", RangeCut("year", (2009,), (2026,))),
    ],
)
def test_spec_relative_examples(text, expected):
    assert resolve_relative_time(parse_cut(text), ["year"], SPEC_CLOCK) == expected


def test_documented_range_examples():
    days = resolve_relative_time(parse_cut("date:90daysago-today"), YMD, NOW)
    assert days == RangeCut("date", ymd(TODAY - timedelta(days=90)), (2024, 3, 31))
    assert ymd(TODAY - timedelta(days=90)) == (2024, 1, 1)
    months = resolve_relative_time(
        parse_cut("expiration_date:lastmonth-next2months"), ["year", "month"], NOW
    )
    assert months == RangeCut("expiration_date", (2024, 2), (2024, 5))
    yesterday = resolve_relative_time(parse_cut("date:yesterday"), YMD, datetime(2024, 3, 1))
    assert yesterday == PointCut("date", (2024, 2, 29))


def test_set_range_and_flags_are_converted_path_by_path():
    cut = resolve_relative_time(parse_cut("!year@fy:today;2001;lastyear"), ["year"], SPEC_CLOCK)
    assert cut == SetCut("year", ((2026,), ("2001",), (2025,)), hierarchy="fy", invert=True)
    open_range = resolve_relative_time(parse_cut("year:lastyear-"), ["year"], SPEC_CLOCK)
    assert open_range == RangeCut("year", (2025,), None)


@pytest.mark.parametrize(
    "text",
    [
        "date:2024,today",  # only one-element paths are candidates
        "date:2009",
        "date:Today",
        "date:today2",
        "date:last",
        "date:next",
        "date:ago",
        "date:forward",
        "date:__null__",
        "date:",
        "date:-",
        "date:;",
    ],
)
def test_non_relative_values_stay_literal(text):
    cut = parse_cut(text)
    assert resolve_relative_time(cut, YMD, NOW) == cut


def test_ints_are_not_candidates():
    cut = PointCut("year", (2009,))
    assert resolve_relative_time(cut, ["year"], NOW) == cut


@pytest.mark.parametrize(
    "token", ["3fortnightsago", "lastdecade", "nextgen", "2minutesago", "dayssago"]
)
def test_unknown_relative_unit(token):
    with pytest.raises(ArgumentError, match="Unknown relative time unit"):
        resolve_point(token, YMD)


def test_unknown_calendar_unit_only_when_a_relative_member_is_used():
    with pytest.raises(ArgumentError) as caught:
        resolve_point("today", ["year", "week"])
    assert caught.value.message == "Unknown calendar unit 'week'"
    assert resolve_point("2024", ["year", "week"]) == ("2024",)


@pytest.mark.parametrize(
    ("token", "now"),
    [
        ("9999yearsforward", NOW),
        ("99999999999999999999daysago", NOW),
        ("yesterday", datetime(1, 1, 1)),
        ("nextyear", datetime(9999, 6, 1)),
        ("1" * 5000 + "daysago", NOW),
    ],
)
def test_out_of_range_relative_time(token, now):
    with pytest.raises(ArgumentError, match="is out of range"):
        resolve_point(token, YMD, now)


def test_timezone_aware_now_keeps_wall_clock():
    now = datetime(2024, 3, 31, 23, 30, tzinfo=timezone(timedelta(hours=2)))
    assert resolve_point("today", ["year", "month", "day", "hour"], now) == (2024, 3, 31, 23)
    moment = relative_time("lastday", now)
    assert moment == datetime(2024, 3, 30, tzinfo=timezone(timedelta(hours=2)))


def test_invalid_first_weekday_is_a_programming_error():
    with pytest.raises(ValueError, match="first_weekday"):
        resolve_point("today", YMD, first_weekday=7)


def test_calendar_path():
    moment = datetime(2024, 12, 31, 23, 59)
    levels = ["year", "quarter", "month", "day", "hour", "minute", "weekday"]
    assert calendar_path(moment, levels) == (2024, 4, 12, 31, 23, 59, 1)  # a Tuesday
    assert calendar_path(moment, []) == ()


# Properties ------------------------------------------------------------------------------------

GRAMMAR_TEXT = st.text(alphabet="ab_1!@:|;,-\\ .é") | st.text()


@given(GRAMMAR_TEXT)
def test_parse_cell_raises_only_argument_errors(text):
    try:
        cuts = parse_cell(text)
    except ArgumentError:
        return
    assert all(isinstance(cut, PointCut | RangeCut | SetCut) for cut in cuts)


@given(st.lists(GRAMMAR_TEXT, max_size=3))
def test_list_parsers_raise_only_argument_errors(values):
    for parser in (parse_drilldown, parse_order, parse_aggregate_names):
        with contextlib.suppress(ArgumentError):
            parser(values)


RELATIVE_TEXT = st.from_regex(
    r"(today|yesterday|tomorrow|[0-9]{0,4}[a-z]{1,8}(ago|forward)|(last|next)[0-9]{0,4}[a-z]{1,8})",
    fullmatch=True,
)


@given(
    RELATIVE_TEXT | GRAMMAR_TEXT,
    st.datetimes(),
    st.integers(min_value=0, max_value=6),
    st.lists(st.sampled_from(["year", "quarter", "month", "day", "hour", "minute", "weekday"])),
)
def test_relative_time_raises_only_argument_errors(token, now, first_weekday, levels):
    try:
        cut = resolve_relative_time(PointCut("date", (token,)), levels, now, first_weekday)
    except ArgumentError:
        return
    assert isinstance(cut, PointCut)


NAMES = st.from_regex(r"[A-Za-z0-9_]{1,8}", fullmatch=True)
# Not representable (documented): the literal string "__null__" and a trailing backslash.
ELEMENTS = st.none() | st.text(max_size=6).filter(
    lambda s: s != "__null__" and not s.endswith("\\")
)


@st.composite
def cuts(draw: st.DrawFn, elements: st.SearchStrategy[PathElement] = ELEMENTS) -> Cut:
    paths = st.lists(elements, min_size=1, max_size=3).map(tuple)
    sides = st.none() | paths.filter(lambda p: p != ("",))
    common = {
        "dimension": draw(NAMES),
        "hierarchy": draw(st.none() | NAMES),
        "invert": draw(st.booleans()),
    }
    kind = draw(st.sampled_from(["point", "set", "range"]))
    if kind == "point":
        return PointCut(path=draw(paths), **common)
    if kind == "set":
        set_paths = st.just(()) | paths.filter(lambda p: p != ("",))
        return SetCut(paths=tuple(draw(st.lists(set_paths, min_size=2, max_size=3))), **common)
    return RangeCut(from_path=draw(sides), to_path=draw(sides), **common)


@given(st.lists(cuts(), max_size=4))
def test_escaper_round_trip(cell):
    assert parse_cell(string_from_cell(cell)) == tuple(cell)


@given(cuts(ELEMENTS | st.integers()), st.booleans())
def test_dict_round_trip(cut, hidden):
    cut = replace(cut, hidden=hidden)
    assert cut_from_dict(json.loads(json.dumps(cut_to_dict(cut)))) == cut
