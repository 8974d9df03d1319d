"""Model validation: every problem at once, each with its location."""

from __future__ import annotations

import copy
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from kubus.model.validation import Problem, format_report, has_errors, validate_model


@pytest.fixture(scope="module")
def hello_world(hello_world_dir: Path) -> dict[str, Any]:
    # Read with plain json: the oracle must not depend on kubus' own reader.
    data: dict[str, Any] = json.loads((hello_world_dir / "model.json").read_text("utf-8"))
    return data


@pytest.fixture(autouse=True)
def no_expression_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests control the optional expression parser; by default it is absent."""
    monkeypatch.setitem(sys.modules, "kubus.model.expressions", None)


def at(problems: list[Problem], path: str) -> list[Problem]:
    return [p for p in problems if p.path == path]


def one(problems: list[Problem], path: str, severity: str = "error") -> Problem:
    found = [p for p in at(problems, path) if p.severity == severity]
    assert len(found) == 1, (path, severity, problems)
    return found[0]


def cube(**keys: Any) -> dict[str, Any]:
    return {"name": "sales", "dimensions": ["date"], "measures": ["amount"],
            "aggregates": [{"name": "amount_sum", "function": "sum", "measure": "amount"}],
            **keys}


def model(*cubes: dict[str, Any], **keys: Any) -> dict[str, Any]:
    return {"dimensions": [{"name": "date", "default_hierarchy_name": "default",
                            "levels": ["year", "month"]}],
            "cubes": list(cubes) or [cube()], **keys}


def errors(raw: Any, **kw: Any) -> list[Problem]:
    return [p for p in validate_model(raw, **kw) if p.severity == "error"]


# --- the hello world ----------------------------------------------------------------------------


def test_hello_world_has_three_defaults_and_nothing_else(hello_world: dict[str, Any]) -> None:
    problems = validate_model(hello_world)
    assert problems == [
        Problem("default", "dimension", "item", None,
                "No default hierarchy name specified, using first one", "dimensions[0]"),
        Problem("default", "dimension", "year", None,
                "No default hierarchy name specified, using first one", "dimensions[1]"),
        Problem("default", "dimension", "year", None,
                "Neither levels nor attributes specified, creating flat dimension without "
                "details", "dimensions[1]"),
    ]
    assert not has_errors(problems)


def test_hello_world_report(hello_world: dict[str, Any]) -> None:
    problems = validate_model(hello_world)
    assert format_report(problems, show_defaults=True, show_warnings=True) == "\n".join([
        "DEFAULT in dimension 'item': No default hierarchy name specified, using first one",
        "    at dimensions[0]",
        "DEFAULT in dimension 'year': No default hierarchy name specified, using first one",
        "    at dimensions[1]",
        "DEFAULT in dimension 'year': Neither levels nor attributes specified, creating flat "
        "dimension without details",
        "    at dimensions[1]",
        "",
        "Defaults used  3",
        "Warning        0",
        "Errors         0",
        "Summary        model can be used, make sure that the defaults reflect reality",
    ])
    # Like `slicer model validate` without -d: defaults are counted but not listed.
    assert format_report(problems, show_defaults=False, show_warnings=True).startswith(
        "\nDefaults used  3")


def test_clean_model_is_clean() -> None:
    problems = validate_model(model())
    assert problems == []
    assert format_report(problems).splitlines()[-1] == "Summary        model can be used"


def test_validation_does_not_modify_the_model(hello_world: dict[str, Any]) -> None:
    before = copy.deepcopy(hello_world)
    validate_model(hello_world)
    assert hello_world == before


# --- every problem at once ----------------------------------------------------------------------


def test_every_problem_is_reported_at_once_with_its_path(hello_world: dict[str, Any]) -> None:
    broken = copy.deepcopy(hello_world)
    broken["cubez"] = []
    item, year = broken["dimensions"]
    item["attributes"] = ["x"]                                    # with levels
    item["levels"][0]["order"] = "upwards"
    item["levels"][1]["label_attribute"] = "nope"
    year["cardinality"] = "huge"
    balance = broken["cubes"][0]
    balance["dimensions"].append("missing")
    balance["measures"].append({"name": "amount"})                # duplicate
    balance["aggregates"][0]["function"] = "summ"
    balance["aggregates"][1]["measure"] = "amount"                # with expression
    balance["aggregates"].append({"name": "avg_nothing", "function": "avg", "measure": "nope"})
    balance["mappings"]["double_amount"] = "double_amount"        # has an expression
    balance["joins"] = [{"master": "item_id"}]

    problems = validate_model(broken)

    expected = {
        "cubez": ("model", None, "Unknown property 'cubez'; did you mean 'cubes'?"),
        "cubes[0].dimensions[2]": ("dimension", "missing",
                                   "Dimension 'missing' is not defined in the model"),
        "cubes[0].measures[2]": ("measure", "amount",
                                 "Duplicate measure 'amount' (first defined at "
                                 "cubes[0].measures[0])"),
        "cubes[0].aggregates[0].function": ("aggregate", "amount_sum",
                                            "Unknown aggregate function 'summ'"),
        "cubes[0].aggregates[1].expression": ("aggregate", "double_amount_sum",
                                              "An aggregate has either a measure or an "
                                              "expression, not both"),
        "cubes[0].aggregates[3].measure": ("aggregate", "avg_nothing", "Unknown measure 'nope'"),
        "cubes[0].mappings.double_amount": (
            "mapping", "double_amount",
            "Attribute 'double_amount' has an expression and must not be mapped"),
        "cubes[0].joins[0].detail": ("join", None, "The join has no detail"),
        "dimensions[0]": ("dimension", "item", "Both levels and attributes specified"),
        "dimensions[0].levels[0].order": ("level", "category", "Expected 'asc' or 'desc'"),
        "dimensions[0].levels[1].label_attribute": ("level", "subcategory",
                                                    "Label attribute 'nope' is not an attribute "
                                                    "of the level"),
        "dimensions[1].cardinality": ("dimension", "year",
                                      "Expected one of tiny, low, medium, high"),
    }
    for path, (scope, obj, message) in expected.items():
        problem = one(problems, path)
        assert (problem.scope, problem.object) == (scope, obj), problem
        assert problem.message.startswith(message), problem
    assert len([p for p in problems if p.severity == "error"]) == len(expected)
    report = format_report(problems, show_defaults=False, show_warnings=True)
    assert "ERROR in aggregate 'amount_sum' property 'function': Unknown aggregate function " \
           "'summ'" in report
    assert "    at cubes[0].aggregates[0].function" in report
    assert report.endswith(f"Errors         {len(expected)}\nSummary        model can not be used")


# --- model level --------------------------------------------------------------------------------


def test_model_must_be_an_object() -> None:
    assert validate_model([]) == [Problem(  # type: ignore[arg-type]
        "error", "model", None, None, "Expected the model to be a JSON object, got a list", "")]


@pytest.mark.parametrize(("key", "value", "message"), [
    ("name", 3, "Expected a string, got a number 3"),
    ("info", "x", "Expected an object, got a string 'x'"),
    ("cubes", {}, "Expected a list, got an object"),
    ("dimensions", "date", "Expected a list, got a string"),
    ("browser_options", [], "Expected an object, got a list"),
    ("mappings", [], "Expected an object, got a list"),
    ("joins", {}, "Expected a list, got an object"),
    ("datastore", "x", "Unknown property 'datastore'"),
])
def test_model_key_types(key: str, value: Any, message: str) -> None:
    problem = one(validate_model({key: value}), key)
    assert (problem.scope, problem.property) == ("model", key)
    assert problem.message.startswith(message)


def test_loader_only_model_keys_are_warnings() -> None:
    problems = validate_model({"locale": "en", "options": {}, "public_dimensions": []})
    assert [(p.severity, p.path) for p in problems] == [
        ("warning", "locale"), ("warning", "options"), ("warning", "public_dimensions")]
    assert problems[2].message.endswith("and ignored")


def test_unknown_provider_is_a_warning() -> None:
    assert one(validate_model({"provider": "mixpanel"}), "provider", "warning")
    assert validate_model({"provider": "slicer"}) == []


def test_model_level_string_dimension_is_a_flat_dimension() -> None:
    raw = model(cube(dimensions=["date", "flag"]))
    raw["dimensions"].append("flag")
    problems = validate_model(raw)
    assert problems == [Problem(
        "default", "model", None, "dimensions",
        "Dimension 'flag' is not described, creating flat single-attribute dimension",
        "dimensions[1]")]


def test_dimension_names_may_come_from_other_models() -> None:
    raw = model(cube(dimensions=["date", "customer"]))
    assert one(validate_model(raw), "cubes[0].dimensions[1]").message == (
        "Dimension 'customer' is not defined in the model")
    assert validate_model(raw, known_dimensions={"customer"}) == []


def test_duplicate_cubes_and_dimensions() -> None:
    raw = model(cube(), cube())
    raw["dimensions"].append({"name": "date", "default_hierarchy_name": "default"})
    problems = errors(raw)
    assert [(p.scope, p.object, p.path) for p in problems] == [
        ("cube", "sales", "cubes[1]"), ("dimension", "date", "dimensions[1]")]


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "severity"), [
    ("sub category", "error"), ("a.b", "error"), ("x-y", "error"), ("", "error"),
])
def test_dimension_names_must_be_cut_string_identifiers(name: str, severity: str) -> None:
    problem = one(validate_model({"dimensions": [{"name": name}]}), "dimensions[0].name",
                  severity)
    assert problem.scope == "dimension"


@pytest.mark.parametrize(("name", "severity"), [
    ("amount.x", "error"), ("a|b", "error"), ("a,b", "error"), ("net-amount", "warning"),
])
def test_measure_names(name: str, severity: str) -> None:
    problems = validate_model(model(cube(measures=[{"name": name}], aggregates=[])))
    assert one(problems, "cubes[0].measures[0].name", severity)


def test_missing_names() -> None:
    raw = model(cube(measures=[{"label": "x"}], aggregates=[{"function": "count"}]))
    raw["dimensions"].append({"levels": ["a"]})
    problems = errors(raw)
    assert [(p.scope, p.object, p.property, p.message, p.path) for p in problems] == [
        ("measure", None, "name", "Measure has no name", "cubes[0].measures[0].name"),
        ("aggregate", None, "name", "Aggregate has no name", "cubes[0].aggregates[0].name"),
        ("dimension", None, "name", "Dimension has no name", "dimensions[1].name"),
    ]
    assert "ERROR in unknown measure property 'name'" in format_report(problems)


# --- dimensions, levels, hierarchies ------------------------------------------------------------


def dimension_problems(**keys: Any) -> list[Problem]:
    dim = {"name": "d", "default_hierarchy_name": "default", **keys}
    return validate_model({"dimensions": [dim]})


def test_both_levels_and_attributes() -> None:
    problem = one(dimension_problems(levels=["a"], attributes=["a"]), "dimensions[0]")
    assert problem.message == "Both levels and attributes specified"


def test_both_hierarchy_and_hierarchies() -> None:
    problems = dimension_problems(levels=["a"], hierarchy=["a"],
                                  hierarchies=[{"name": "h", "levels": ["a"]}])
    assert one(problems, "dimensions[0]").message == (
        "Both 'hierarchy' and 'hierarchies' specified. Use only one")


def test_hierarchies_name_known_levels() -> None:
    problems = dimension_problems(
        levels=["year", "month", "day"],
        hierarchies=[{"name": "ym", "levels": ["year", "mnth"]},
                     {"name": "ym", "levels": ["year", "year"]},
                     {"name": "empty", "levels": []},
                     {"name": "none"},
                     {"levels": ["year"], "colour": "red"}],
        default_hierarchy_name="ymd")
    assert one(problems, "dimensions[0].hierarchies[0].levels[1]").message.startswith(
        "Level 'mnth' is not a level of the dimension (levels: year, month, day)")
    assert one(problems, "dimensions[0].hierarchies[1]").message.startswith(
        "Duplicate hierarchy 'ym'")
    assert one(problems, "dimensions[0].hierarchies[1].levels[1]").message == (
        "Level 'year' is repeated")
    assert one(problems, "dimensions[0].hierarchies[2].levels").message == (
        "Hierarchy has no levels")
    assert one(problems, "dimensions[0].hierarchies[3].levels").message == (
        "Hierarchy has no levels")
    assert one(problems, "dimensions[0].hierarchies[4].name").message == (
        "Hierarchy has no name")
    assert one(problems, "dimensions[0].hierarchies[4].colour").scope == "hierarchy"
    assert one(problems, "dimensions[0].default_hierarchy_name").message.startswith(
        "Default hierarchy 'ymd' is not a hierarchy of the dimension")
    # 'month' is only in the hierarchy through the misspelt 'mnth'.
    assert one(problems, "dimensions[0].levels[1]", "warning").message == (
        "Level 'month' is in no hierarchy and is dropped")
    assert one(problems, "dimensions[0].levels[2]", "warning").message == (
        "Level 'day' is in no hierarchy and is dropped")


def test_hierarchy_shorthand() -> None:
    problems = dimension_problems(levels=["year", "month"], hierarchy=["year", "week"])
    assert one(problems, "dimensions[0].hierarchy[1]").object == "default"
    assert one(problems, "dimensions[0].levels[1]", "warning").message.startswith("Level 'month'")


def test_level_attribute_references() -> None:
    problems = dimension_problems(levels=[
        {"name": "month", "attributes": ["month", {"name": "month_name"}], "key": "month",
         "label_attribute": "name", "order_attribute": "month_number"},
        {"name": "day", "key": "day"},                # default attribute is the level name
    ])
    assert one(problems, "dimensions[0].levels[0].label_attribute").property == "label_attribute"
    assert one(problems, "dimensions[0].levels[0].order_attribute").object == "month"
    assert len(problems) == 2


def test_dimension_level_keys_with_attributes() -> None:
    problems = dimension_problems(attributes=["code", "name"], key="code", label_attribute="nm")
    assert one(problems, "dimensions[0].label_attribute").message.startswith(
        "Label attribute 'nm' is not an attribute of the level (attributes: code, name)")


def test_dimension_level_keys_are_ignored_with_levels() -> None:
    problems = dimension_problems(levels=["a"], key="a", order="desc")
    assert one(problems, "dimensions[0].key", "warning")
    assert one(problems, "dimensions[0].order", "warning")


def test_duplicate_attributes_and_levels() -> None:
    problems = dimension_problems(levels=[{"name": "a", "attributes": ["x", "y"]},
                                          {"name": "b", "attributes": ["y"]}, "a"])
    assert one(problems, "dimensions[0].levels[1].attributes[0]").message.startswith(
        "Duplicate attribute 'y' (first defined at dimensions[0].levels[0].attributes[1])")
    assert one(problems, "dimensions[0].levels[2]").message.startswith("Duplicate level 'a'")


@pytest.mark.parametrize(("keys", "path", "message"), [
    ({"order": "sideways", "levels": ["a"]}, "dimensions[0].order", "Expected 'asc' or 'desc'"),
    ({"levels": [{"name": "a", "order": "up"}]}, "dimensions[0].levels[0].order",
     "Expected 'asc' or 'desc'"),
    ({"levels": [{"name": "a", "attributes": [{"name": "a", "order": "?"}]}]},
     "dimensions[0].levels[0].attributes[0].order", "Expected 'asc' or 'desc'"),
    ({"cardinality": "many"}, "dimensions[0].cardinality", "Expected one of tiny, low"),
    ({"levels": [{"name": "a", "cardinality": "lots"}]}, "dimensions[0].levels[0].cardinality",
     "Expected one of tiny"),
    ({"nonadditive": "sometimes"}, "dimensions[0].nonadditive", "Expected null or one of none"),
    ({"levels": [{"name": "a", "attributes": [{"name": "a", "locales": "en"}]}]},
     "dimensions[0].levels[0].attributes[0].locales", "Expected a list of strings"),
    ({"levels": [{"name": "a", "attributes": [{"name": "a", "missing_value": []}]}]},
     "dimensions[0].levels[0].attributes[0].missing_value", "Expected a string, number"),
    ({"levels": [{"name": "a", "attributes": [{"name": "a", "colour": 1}]}]},
     "dimensions[0].levels[0].attributes[0].colour", "Unknown property 'colour'"),
    ({"levels": [{"name": "a", "attrs": []}]}, "dimensions[0].levels[0].attrs",
     "Unknown property 'attrs'; did you mean 'attributes'?"),
    ({"levels": "a"}, "dimensions[0].levels", "Expected a list, got a string"),
    ({"levels": [3]}, "dimensions[0].levels[0]", "Expected a level object or name"),
    ({"template": "d"}, "dimensions[0].template", "A dimension can not be its own template"),
    ({"template": "nowhere"}, "dimensions[0].template", "Template dimension 'nowhere'"),
])
def test_dimension_values(keys: dict[str, Any], path: str, message: str) -> None:
    assert one(dimension_problems(**keys), path).message.startswith(message)


@pytest.mark.parametrize(("order", "ok"), [("asc", True), ("DESC", True), ("ascending", True),
                                           ("descending", True), ("a", False)])
def test_order_matches_by_prefix(order: str, ok: bool) -> None:
    problems = dimension_problems(levels=[{"name": "a", "order": order}])
    assert (problems == []) is ok


def test_roles() -> None:
    problems = dimension_problems(role="geo", levels=[{"name": "year", "role": "year"},
                                                      {"name": "q", "role": "quarterly"}])
    assert one(problems, "dimensions[0].role", "warning").message.startswith("Role 'geo'")
    assert one(problems, "dimensions[0].levels[1].role", "warning")
    assert dimension_problems(role="time", levels=[{"name": "y", "role": "year"}]) == []


def test_templated_dimension_gets_no_default_notes() -> None:
    raw = {"dimensions": [{"name": "date", "levels": ["year"], "default_hierarchy_name": "x",
                           "hierarchies": [{"name": "x", "levels": ["year"]}]},
                          {"name": "ship_date", "template": "date"}]}
    assert validate_model(raw) == []


# --- cubes: links, measures, aggregates ---------------------------------------------------------


def cube_problems(**keys: Any) -> list[Problem]:
    return validate_model(model(cube(**keys)))


def test_dimension_links() -> None:
    raw = model(cube(dimensions=[
        "date",
        {"name": "date", "alias": "ship_date", "hierarchies": ["default", "fiscal"],
         "default_hierarchy_name": "fiscal"},
        {"name": "date", "alias": "ship_date"},
        {"name": "date", "alias": "bad alias", "exclude_hierarchies": ["default"],
         "default_hierarchy_name": "default"},
        {"name": "date", "colour": "red"},
        {"template": "date"},
        3,
    ]))
    problems = errors(raw)
    assert one(problems, "cubes[0].dimensions[1].hierarchies[1]").message.startswith(
        "Dimension 'date' has no hierarchy 'fiscal'")
    assert one(problems, "cubes[0].dimensions[1].default_hierarchy_name")
    assert one(problems, "cubes[0].dimensions[2]").message == (
        "Duplicate dimension link 'ship_date' (first defined at cubes[0].dimensions[1])")
    assert one(problems, "cubes[0].dimensions[4]").message.startswith(
        "Duplicate dimension link 'date'")
    assert one(problems, "cubes[0].dimensions[3].alias").message.startswith(
        "Invalid dimension alias name 'bad alias'")
    assert one(problems, "cubes[0].dimensions[3].default_hierarchy_name").message == (
        "Default hierarchy 'default' is not among the linked hierarchies ()")
    assert one(problems, "cubes[0].dimensions[4].colour").message.startswith(
        "Unknown property 'colour'")
    assert one(problems, "cubes[0].dimensions[5].name").message == "Dimension has no name"
    assert one(problems, "cubes[0].dimensions[6]").scope == "cube"
    assert len(problems) == 9


def test_deprecated_cube_hierarchies() -> None:
    problems = cube_problems(hierarchies={"date": ["default", "nope"], "item": ["x"]})
    assert one(problems, "cubes[0].hierarchies", "warning").message.startswith("Deprecated")
    assert one(problems, "cubes[0].hierarchies.date").message == (
        "Dimension 'date' has no hierarchy 'nope'")
    assert one(problems, "cubes[0].hierarchies.item").message.startswith(
        "Hierarchies given for dimension 'item', which the cube does not link")


def test_measure_checks() -> None:
    problems = cube_problems(measures=[
        {"name": "amount", "aggregates": ["sum", "median", "identity", "SMA"]},
        {"name": "qty", "window_size": 0, "nonadditive": "time", "format": 3},
        {"name": "m", "formula": "x", "missing_value": 0, "order": "desc", "info": {}},
        5,
    ])
    assert one(problems, "cubes[0].measures[0].aggregates[1]").message.startswith(
        "Unknown aggregate function 'median'")
    assert one(problems, "cubes[0].measures[1].window_size").message.startswith(
        "Expected a positive integer")
    assert one(problems, "cubes[0].measures[1].format")
    assert one(problems, "cubes[0].measures[3]").message.startswith(
        "Expected a name or an object, got a number")
    (problem,) = errors(model(cube(measures=[{"name": "amount", "aggregates": "sum"}])))
    assert problem.message == "Expected a list of strings, got a string 'sum'"


@pytest.mark.parametrize(("aggregate", "path", "message"), [
    ({"name": "x", "function": "median", "measure": "amount"}, "function",
     "Unknown aggregate function 'median' (expected one of sum, count_nonempty, count, "
     "count_distinct, min, max, avg, stddev, variance, wma, sma, sms, smstd, smrsd, smvar)"),
    ({"name": "x", "function": "sum", "measure": "amount", "expression": "sum(amount)"},
     "expression", "An aggregate has either a measure or an expression, not both"),
    ({"name": "x", "function": "sum", "measure": "amont"}, "measure",
     "Unknown measure 'amont'; did you mean 'amount'?"),
    ({"name": "x", "function": "max"}, "measure", "Aggregate function 'max' needs a measure"),
    ({"name": "x", "function": "sum", "measure": "amount_sum"}, "measure",
     "'amount_sum' is an aggregate; only post-aggregate functions"),
    ({"name": "x", "function": "sma"}, "measure", "Post-aggregate function 'sma' needs a measure"),
    ({"name": "x", "function": "wma", "measure": "nothing"}, "measure",
     "Unknown measure or aggregate 'nothing'"),
    ({"name": "x", "function": "smstd", "measure": "x"}, "measure",
     "Unknown measure or aggregate 'x'"),
    ({"name": "x", "function": 3}, "function", "Expected a string, got a number 3"),
    ({"name": "x", "function": "count", "window": 3}, "window",
     "Unknown property 'window'; did you mean 'window_size'?"),
])
def test_aggregate_errors(aggregate: dict[str, Any], path: str, message: str) -> None:
    problems = cube_problems(aggregates=[
        {"name": "amount_sum", "function": "sum", "measure": "amount"}, aggregate])
    problem = one(problems, f"cubes[0].aggregates[1].{path}")
    assert (problem.scope, problem.object, problem.property) == ("aggregate", "x", path)
    assert problem.message.startswith(message)


@pytest.mark.parametrize("aggregate", [
    {"name": "c", "function": "count"},
    {"name": "c", "function": "COUNT"},                     # case-insensitive
    {"name": "c", "function": "count", "measure": "amount"},
    {"name": "d", "function": "count_distinct", "measure": "amount"},
    {"name": "e", "expression": "sum(amount) - sum(amount)"},
    {"name": "m", "function": "sma", "measure": "amount_sum", "window_size": 3},
    {"name": "m", "function": "sms", "measure": "amount"},
])
def test_valid_aggregates(aggregate: dict[str, Any]) -> None:
    assert cube_problems(aggregates=[
        {"name": "amount_sum", "function": "sum", "measure": "amount"}, aggregate]) == []


def test_aggregate_warnings() -> None:
    problems = cube_problems(aggregates=[
        {"name": "amount_sum", "function": "sum", "measure": "amount"},
        {"name": "amount", "measure": "amount"},
        "plain",
        {"name": "e", "function": "sum", "expression": "sum(amount)"},
    ])
    assert one(problems, "cubes[0].aggregates[1]", "warning").message.startswith(
        "The aggregate has neither a function nor an expression")
    assert one(problems, "cubes[0].aggregates[2]", "warning")
    assert one(problems, "cubes[0].aggregates[3].function", "warning").message == (
        "Function 'sum' is ignored: the aggregate has an expression")
    assert not has_errors(problems)


def test_duplicate_aggregates_and_details() -> None:
    problems = cube_problems(
        aggregates=[{"name": "n", "function": "count"}, {"name": "n", "function": "count"}],
        details=["note", {"name": "note"}, {"name": "amount"}])
    assert one(problems, "cubes[0].aggregates[1]").message.startswith("Duplicate aggregate 'n'")
    assert one(problems, "cubes[0].details[1]").message.startswith("Duplicate detail 'note'")
    assert one(problems, "cubes[0].details[2]").message == (
        "Detail 'amount' has the name of a measure; both appear in facts")


def test_implicit_aggregates_mismatch() -> None:
    problems = cube_problems(
        implicit_aggregates=True,
        measures=[{"name": "amount", "aggregates": ["sum", "max"]}, "qty"],
        aggregates=[{"name": "amount_sum", "function": "avg", "measure": "amount"},
                    {"name": "amount_max", "function": "max", "measure": "amount"},
                    {"name": "qty_sum", "function": "sum", "measure": "amount"}])
    assert one(problems, "cubes[0].aggregates[0].function").message == (
        "Aggregate 'amount_sum' function mismatch: the implicit aggregate of measure 'amount' "
        "uses sum")
    assert one(problems, "cubes[0].aggregates[2].function")
    assert len(errors(model(cube(implicit_aggregates="yes")))) == 1


def test_aggregate_defaults() -> None:
    problems = cube_problems(measures=[], aggregates=[])
    assert one(problems, "cubes[0]", "default").message.startswith(
        "Neither measures nor aggregates specified")
    problems = cube_problems(aggregates=[])
    assert one(problems, "cubes[0].aggregates", "warning").message.startswith(
        "The cube has measures but no aggregates")
    assert cube_problems(aggregates=[], implicit_aggregates=True) == []


# --- mappings and joins -------------------------------------------------------------------------


def test_mappings() -> None:
    raw = model(cube(
        measures=["amount", {"name": "twice", "expression": "amount * 2"}],
        details=[{"name": "note", "expression": "'x'"}, {"name": "title", "locales": ["en"]}],
        mappings={
            "amount": "fact.amount_usd",
            "date.year": {"table": "dim_date", "column": "y", "extract": "year"},
            "date.month": "dw.dim_date.month",
            "title.en": "title_en",
            "twice": "twice",
            "date.day": "day",
            "bad": "a.b.c.d",
            "worse": {"table": "t"},
            "worst": 3,
            "odd": {"column": "c", "colour": "red"},
        }))
    raw["mappings"] = {"note": "x", "twice": "y"}
    problems = validate_model(raw)
    assert one(problems, "cubes[0].mappings.twice").message == (
        "Attribute 'twice' has an expression and must not be mapped")
    assert one(problems, 'cubes[0].mappings["date.day"]', "warning").message == (
        "The cube has no attribute 'date.day'; the mapping is not used")
    assert one(problems, "cubes[0].mappings.bad").message.startswith(
        "Expected 'column', 'table.column' or 'schema.table.column'")
    assert one(problems, "cubes[0].mappings.worse.column").message == (
        "A mapping object needs a column")
    assert one(problems, "cubes[0].mappings.worst").message.startswith(
        "Expected a column string or an object")
    assert one(problems, "cubes[0].mappings.odd.colour")
    assert one(problems, "cubes[0].mappings.bad", "warning")  # also not an attribute
    # A model-level mapping applies to every cube that does not map the attribute itself.
    inherited = one(problems, "mappings.note")
    assert (inherited.scope, inherited.object) == ("mapping", "note")
    assert inherited.message == (
        "Attribute 'note' of cube 'sales' has an expression and must not be mapped")
    assert at(problems, "mappings.twice") == []
    assert len([p for p in problems if p.severity == "error"]) == 6


def test_mappings_of_flat_and_detailed_dimension_refs() -> None:
    raw = {"dimensions": [{"name": "flag", "default_hierarchy_name": "default"},
                          {"name": "item", "default_hierarchy_name": "default",
                           "attributes": ["code", "label"]}],
           "cubes": [{"name": "c", "dimensions": ["flag", "item"], "aggregates": [
               {"name": "n", "function": "count"}],
               "mappings": {"flag": "f", "item.code": "c", "flag.flag": "x", "item": "i"}}]}
    problems = [p for p in validate_model(raw) if p.severity != "default"]
    assert [p.path for p in problems] == ['cubes[0].mappings["flag.flag"]',
                                          "cubes[0].mappings.item"]
    assert all(p.severity == "warning" for p in problems)


def test_join_checks() -> None:
    problems = cube_problems(joins=[
        {"master": "date_id", "detail": "dim_date.id"},
        {"master": "date_id", "detail": "dim_date.id"},
        {"master": "ship_date_id", "detail": "dim_date.id", "alias": "ship"},
        {"master": "x", "detail": "id"},
        {"master": {"table": "f", "column": ["a", "b"]}, "detail": {"table": "t", "column": "a"}},
        {"master": "a.b.c.d", "detail": {"schema": "s", "table": "t2", "colum": "c"}},
        {"detail": "t3.id", "method": "outer"},
        ["fact.k", "dim_k.id", "k2", "master"],
        ["just_one"],
        "date_id",
    ])
    assert one(problems, "cubes[0].joins[1].alias").message.startswith(
        "Table 'dim_date' is joined twice (first at cubes[0].joins[0]); give one of the joins "
        "an alias")
    assert one(problems, "cubes[0].joins[3].detail").message == (
        "A join detail must name its table ('table.column')")
    assert one(problems, "cubes[0].joins[4]").message == (
        "Master has 2 key column(s) but detail has 1")
    assert one(problems, "cubes[0].joins[5].master").message.startswith("Expected 'column'")
    assert one(problems, "cubes[0].joins[5].detail.colum").message.startswith(
        "Unknown property 'colum'; did you mean 'column'?")
    assert one(problems, "cubes[0].joins[5].detail.column").message.startswith(
        "A join end needs a column")
    assert one(problems, "cubes[0].joins[6].method").message == (
        "Expected one of match, master, detail, got a string 'outer'")
    assert one(problems, "cubes[0].joins[6].master").message == "The join has no master"
    assert one(problems, "cubes[0].joins[8]").message == (
        "A join list must be [master, detail, alias?, method?]")
    assert one(problems, "cubes[0].joins[9]").message == "Expected a join object, got a string"
    assert len(errors(model(cube(joins=[{"master": "a", "detail": "t.b"}])))) == 0
    assert all(p.scope == "join" for p in problems)
    assert len(problems) == 10


def test_model_joins_are_templates() -> None:
    raw = model(cube(joins=[{"name": "date", "master": "date_id"},
                            {"name": "other", "master": "x"}]),
                joins=[{"name": "date", "detail": "dim_date.id"}, {"detail": "t.id"},
                       {"name": "date", "master": "a", "detail": "b.c"}])
    problems = validate_model(raw)
    assert one(problems, "joins[1].name").message.startswith(
        "Model joins need a unique name when cubes have joins")
    assert one(problems, "joins[2].name").message == "Duplicate model join name 'date'"
    # The 'date' cube join takes its detail from the template; 'other' has no template.
    assert at(problems, "cubes[0].joins[0].detail") == []
    assert one(problems, "cubes[0].joins[1].detail").message == "The join has no detail"
    assert len(problems) == 3


def test_model_joins_are_not_inherited_by_cubes_without_joins() -> None:
    raw = model(joins=[{"master": "date_id", "detail": "dim_date.id"}])
    assert one(validate_model(raw), "cubes[0].joins", "warning").message.startswith(
        "The model's joins are not used")


# --- expressions --------------------------------------------------------------------------------


class ExpressionError(Exception):
    pass


def fake_parse(text: str) -> object:
    if text.count("(") != text.count(")"):
        raise ExpressionError("unbalanced parentheses")
    return text


def test_expressions_are_parsed_when_the_parser_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("kubus.model.expressions")
    module.parse = fake_parse  # type: ignore[attr-defined]
    module.ExpressionError = ExpressionError  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kubus.model.expressions", module)
    raw = model(cube(measures=["amount", {"name": "bad", "expression": "(amount * 2"}],
                     aggregates=[{"name": "s", "expression": "sum(amount"},
                                 {"name": "t", "expression": "sum(amount)"}],
                     details=[{"name": "d", "expression": "lower(x"}]))
    problems = validate_model(raw)
    assert [(p.path, p.message) for p in problems] == [
        ("cubes[0].measures[1].expression",
         "Invalid expression: unbalanced parentheses (in '(amount * 2')"),
        ("cubes[0].aggregates[0].expression",
         "Invalid expression: unbalanced parentheses (in 'sum(amount')"),
        ("cubes[0].details[0].expression",
         "Invalid expression: unbalanced parentheses (in 'lower(x')"),
    ]


def test_expressions_with_the_real_parser(monkeypatch: pytest.MonkeyPatch,
                                          hello_world: dict[str, Any]) -> None:
    monkeypatch.delitem(sys.modules, "kubus.model.expressions")
    pytest.importorskip("kubus.model.expressions")
    assert not has_errors(validate_model(hello_world))
    broken = copy.deepcopy(hello_world)
    broken["cubes"][0]["measures"][1]["expression"] = "amount * (2"
    problem = one(validate_model(broken), "cubes[0].measures[1].expression")
    assert problem.message.startswith("Invalid expression: ")
    assert "amount * (2" in problem.message


def test_expressions_are_skipped_without_the_parser() -> None:
    raw = model(cube(measures=["amount", {"name": "bad", "expression": "(("}]))
    assert validate_model(raw) == []


# --- the report ---------------------------------------------------------------------------------


def test_report_verdicts() -> None:
    default = Problem("default", "dimension", "d", None, "a default", "dimensions[0]")
    warning = Problem("warning", "cube", "c", "joins", "a warning", "cubes[0].joins")
    error = Problem("error", "model", None, "x", "an error", "x")
    assert format_report([]).splitlines()[-1] == "Summary        model can be used"
    assert format_report([default, warning]).splitlines()[-1] == (
        "Summary        not recommended to use the model, some issues might emerge")
    assert format_report([warning, error], show_warnings=False) == "\n".join([
        "ERROR in model property 'x': an error",
        "    at x",
        "",
        "Defaults used  0",
        "Warning        1",
        "Errors         1",
        "Summary        model can not be used",
    ])
    assert format_report([warning], show_warnings=True).startswith(
        "WARNING in cube 'c' property 'joins': a warning\n    at cubes[0].joins\n")
    assert has_errors([default, error]) and not has_errors([default, warning])


def test_problems_are_frozen_and_hashable() -> None:
    problem = Problem("error", "model", None, None, "m", "")
    assert {problem, Problem("error", "model", None, None, "m", "")} == {problem}
    with pytest.raises(AttributeError):
        problem.message = "x"  # type: ignore[misc]
