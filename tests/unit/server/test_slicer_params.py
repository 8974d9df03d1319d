"""Request parameter parsing of the Slicer API (slicer-api.md §1.1, §1.7-§1.10)."""

from __future__ import annotations

import base64

import pytest
from werkzeug.datastructures import MultiDict

from kubus.model.cells import PointCut, RangeCut, SetCut
from kubus.model.cut_grammar import DrilldownSpec
from kubus.model.errors import ArgumentError
from kubus.model.query import Page
from kubus.server.slicer import params
from kubus.server.slicer.errors import NotAuthenticatedError, RequestError


def args(*pairs: tuple[str, str]) -> MultiDict[str, str]:
    return MultiDict(list(pairs))


@pytest.mark.parametrize("word", ["true", "yes", "1", "on", "TRUE", " Yes "])
def test_prettyprint_true_words(word: str) -> None:
    assert params.prettyprint(args(("prettyprint", word)), False) is True


@pytest.mark.parametrize("word", ["false", "no", "0", "off", "bogus", ""])
def test_prettyprint_other_words_are_compact(word: str) -> None:
    # 1.1: an unknown value gives None, which means compact, whatever the server default.
    assert params.prettyprint(args(("prettyprint", word)), True) is False


def test_prettyprint_default_applies_only_when_absent() -> None:
    assert params.prettyprint(args(), True) is True
    assert params.prettyprint(args(), False) is False


def test_debug_flag() -> None:
    assert params.debug(args(("debug", "true"))) is True
    assert params.debug(args(("debug", "nope"))) is False
    assert params.debug(args()) is False


def test_repeated_cuts_are_concatenated() -> None:
    cuts = params.cuts(args(("cut", "item:a|year:2009"), ("cut", "!item:e-l"), ("cut", "")))
    assert cuts == (PointCut("item", ("a",)), PointCut("year", ("2009",)),
                    RangeCut("item", ("e",), ("l",), invert=True))


def test_split_is_read_like_a_cut() -> None:
    assert params.cuts(args(("split", "item:a;e")), "split") == (
        SetCut("item", (("a",), ("e",))),)
    assert params.cuts(args(), "split") == ()


def test_malformed_cut_is_an_argument_error() -> None:
    with pytest.raises(ArgumentError, match="Wrong dimension cut string"):
        params.cuts(args(("cut", "item:a:b")))


def test_drilldown_pipe_comma_and_repeats() -> None:
    got = params.drilldown(args(("drilldown", "item|year"), ("drilldown", "date@ymd:month,x")))
    assert got == (DrilldownSpec("item"), DrilldownSpec("year"),
                   DrilldownSpec("date", "ymd", "month"), DrilldownSpec("x"))
    assert params.drilldown(args()) == ()


def test_empty_drilldown_is_rejected() -> None:
    with pytest.raises(ArgumentError, match="should not be empty"):
        params.drilldown(args(("drilldown", "")))


def test_aggregates_absent_means_all_and_empty_is_rejected() -> None:
    assert params.aggregate_names(args()) is None
    assert params.aggregate_names(args(("aggregates", "a|b"), ("aggregates", "c"))) == (
        "a", "b", "c")
    with pytest.raises(ArgumentError, match="should not be empty"):
        params.aggregate_names(args(("aggregates", "")))


def test_measures() -> None:
    assert params.measure_names(args()) is None
    assert params.measure_names(args(("measures", "amount|qty"), ("measures", ""))) == (
        "amount", "qty")


def test_order_items_and_directions() -> None:
    got = params.order(args(("order", "amount_sum:desc,item.category"), ("order", "year:asc")))
    assert got == (("amount_sum", "desc"), ("item.category", "asc"), ("year", "asc"))
    assert params.order(args(("order", ""))) == ()
    with pytest.raises(ArgumentError, match="direction"):
        params.order(args(("order", "year:up")))


def test_fields_are_comma_separated_and_repeatable() -> None:
    assert params.fields(args(("fields", "item.category, amount"), ("fields", "year"))) == (
        "item.category", "amount", "year")
    assert params.fields(args(("fields", ""))) is None


def test_page_needs_both_parts() -> None:
    assert params.page(args(("page", "1"), ("pagesize", "3"))) == Page(1, 3)
    assert params.page(args(("pagesize", "3"))) is None
    assert params.page(args(("page", "2"))) is None


@pytest.mark.parametrize(("name", "value"), [("page", "x"), ("pagesize", "1.5"),
                                             ("page", "-1"), ("pagesize", "-3")])
def test_bad_page_numbers_are_request_errors(name: str, value: str) -> None:
    other = "pagesize" if name == "page" else "page"
    with pytest.raises(RequestError) as info:
        params.page(args((name, value), (other, "1")))
    assert info.value.status == 400
    assert info.value.to_dict()["error"]["type"] == "request"


def test_page_is_checked_even_alone() -> None:
    with pytest.raises(RequestError, match="page should be an integer"):
        params.page(args(("page", "x")))


def test_integer() -> None:
    assert params.integer(args(("depth", "2")), "depth") == 2
    assert params.integer(args(("depth", "")), "depth") is None
    with pytest.raises(RequestError, match="depth should be an integer"):
        params.integer(args(("depth", "x")), "depth")


def test_response_format() -> None:
    assert params.response_format(args(), params.AGGREGATE_FORMATS) == "json"
    assert params.response_format(args(("format", "CSV")), params.AGGREGATE_FORMATS) == "csv"
    assert params.response_format(args(("format", "json_lines")),
                                  params.RECORD_FORMATS) == "json_lines"
    with pytest.raises(RequestError, match="json_lines"):
        params.response_format(args(("format", "json_lines")), params.AGGREGATE_FORMATS)
    with pytest.raises(RequestError):
        params.response_format(args(("format", "xml")), params.RECORD_FORMATS)


def test_header_type() -> None:
    assert params.header_type(args()) == "labels"
    assert params.header_type(args(("header", "names"))) == "names"
    assert params.header_type(args(("header", "none"))) == "none"
    with pytest.raises(RequestError):
        params.header_type(args(("header", "bogus")))


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_identify_none_and_pass_parameter() -> None:
    assert params.identify(params.Authentication(), args(("api_key", "x")), None) is None
    auth = params.Authentication("pass_parameter", parameter="token")
    assert params.identify(auth, args(("token", "alice")), None) == "alice"
    assert params.identify(auth, args(), None) is None


def test_identify_basic_methods() -> None:
    proxy = params.Authentication("http_basic_proxy", realm="Kubus")
    assert params.identify(proxy, args(), _basic("bob", "whatever")) == "bob"
    with pytest.raises(NotAuthenticatedError) as info:  # 1.1 gave a 500 (defect 25)
        params.identify(proxy, args(), None)
    assert info.value.status == 401
    assert info.value.headers == {"WWW-Authenticate": 'Basic realm="Kubus"'}
    admin = params.Authentication("admin_admin")
    assert params.identify(admin, args(), _basic("admin", "admin")) == "admin"
    with pytest.raises(NotAuthenticatedError):
        params.identify(admin, args(), _basic("admin", "secret"))
    with pytest.raises(NotAuthenticatedError):
        params.identify(admin, args(), "Basic !!!not-base64")
