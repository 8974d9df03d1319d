"""The expression language: parser, inspection, and compilation run on real databases.

Compiled expressions are executed on SQLite, DuckDB and PostgreSQL through the shared
``backend`` fixture (PostgreSQL needs KUBUS_TEST_POSTGRES_URL); expected values are computed
in plain Python over the same rows (statistics, math, datetime), never by the code under test.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from kubus.model.errors import ArgumentError
from kubus.model.expressions import (
    AGGREGATE_FUNCTIONS,
    BinaryOp,
    Expression,
    ExpressionError,
    FunctionCall,
    Literal,
    UnaryOp,
    UnsupportedFunctionError,
    Variable,
    compile_aggregate_function,
    compile_expression,
    compile_extract,
    is_aggregate,
    parse,
    validate_functions,
    variables,
)

# --- Parser ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "shown"), [
    ("1 + 2 * 3", "(1 + (2 * 3))"),
    ("(1 + 2) * 3", "((1 + 2) * 3)"),
    ("a - b - c", "((a - b) - c)"),
    ("a / b / c", "((a / b) / c)"),
    ("a % b * c", "((a % b) * c)"),
    ("a * b + c * d", "((a * b) + (c * d))"),
    ("-a * b", "((-a) * b)"),
    ("- - a", "(-(-a))"),
    ("+a", "(+a)"),
    ("a - -b", "(a - (-b))"),
    ("~a & b | c", "(((~a) & b) | c)"),
    ("a | b & c", "(a | (b & c))"),
    ("a + b & c", "((a + b) & c)"),
    ("a + b < c * d", "((a + b) < (c * d))"),
    ("a | b = c & d", "((a | b) = (c & d))"),
    ("a < b <= c", "((a < b) <= c)"),
    ("not a = b", "(not (a = b))"),
    ("not a and b or c", "(((not a) and b) or c)"),
    ("a or b and c", "(a or (b and c))"),
    ("a and b and c", "((a and b) and c)"),
    ("a and not b", "(a and (not b))"),
    ("not not a", "(not (not a))"),
    ("a >= 1 and b != 2", "((a >= 1) and (b != 2))"),
    ("a == b", "(a = b)"),
    ("a <> b", "(a != b)"),
    ("A AND NOT b Or c", "((A and (not b)) or c)"),
    ("sum(a) - sum(b) * 2", "(sum(a) - (sum(b) * 2))"),
    ("-(a + b)", "(-(a + b))"),
    ("f(g(a, 1), -b)", "f(g(a, 1), (-b))"),
    ("  a  # a comment\n + b", "(a + b)"),
])
def test_precedence_and_associativity(text: str, shown: str) -> None:
    assert str(parse(text)) == shown


def test_ast_of_calls_and_dotted_references() -> None:
    assert parse("sum(item.price * 2) / count()") == BinaryOp(
        "/",
        FunctionCall("sum", (BinaryOp("*", Variable("item.price"), Literal(2)),)),
        FunctionCall("count", ()),
    )
    assert parse("date.year") == Variable("date.year")
    assert parse("Ünïcode_näme") == Variable("Ünïcode_näme")
    assert parse("not x") == UnaryOp("not", Variable("x"))


@pytest.mark.parametrize(("text", "value"), [
    ("42", 42), ("0", 0), ("1.5", 1.5), (".5", 0.5), ("2.", 2.0), ("1e3", 1000.0),
    ("2.5E-1", 0.25), ("'it'", "it"), ('"it"', "it"), ("''", ""),
    ("'say \"hi\"'", 'say "hi"'), ('"it\'s"', "it's"), (r"'it\'s'", "it's"),
    (r"'a\nb\\c'", "a\nb\\c"), (r"'\q'", "\\q"),
])
def test_literals(text: str, value: int | float | str) -> None:
    node = parse(text)
    assert isinstance(node, Literal)
    assert node.value == value
    assert type(node.value) is type(value)


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "Empty expression"),
    ("   # only a comment", "Empty expression"),
    ("1 +", "Unexpected end of expression"),
    ("(a", "Unexpected end of expression"),
    ("a)", "Unexpected ')' at column 2"),
    ("f(a,)", "Unexpected ')' at column 5"),
    ("f(,)", "Unexpected ',' at column 3"),
    ("f(a b)", "Unexpected 'b'"),
    ("a b", "Unexpected 'b' at column 3"),
    ("'abc", "Unterminated string at column 1"),
    ("a $ b", "Unexpected character '$' at column 3"),
    ("a = not b", "Unexpected 'not'"),
    ("a * not b", "Unexpected 'not'"),
    ("a in b", "Operator 'in' is not supported"),
    ("a is null", "Operator 'is' is not supported"),
    ("a ^ b", "Unexpected character '^'"),
    ("2abc", "Malformed number at column 1"),
    ("1.2.3", "Malformed number"),
    ("a.", "Unexpected character '.'"),
    ("()", "Unexpected ')'"),
])
def test_syntax_errors(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert fragment in caught.value.message
    assert isinstance(caught.value, ArgumentError)
    assert caught.value.expression == text


_NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,5}(\.[a-z0-9_]{1,4})?", fullmatch=True).filter(
    lambda name: name not in ("and", "or", "not", "in", "is"))
_LEAVES = st.one_of(
    st.integers(min_value=0).map(Literal),
    st.floats(min_value=0, allow_nan=False, allow_infinity=False).map(Literal),
    st.text(max_size=8).map(Literal),
    _NAMES.map(Variable),
)
_TREES = st.recursive(_LEAVES, lambda inner: st.one_of(
    st.builds(UnaryOp, st.sampled_from(["-", "+", "~", "not"]), inner),
    st.builds(BinaryOp, st.sampled_from(["*", "/", "%", "+", "-", "&", "|", "<", "<=", ">",
                                         ">=", "=", "!=", "and", "or"]), inner, inner),
    st.builds(FunctionCall, _NAMES, st.lists(inner, max_size=3).map(tuple)),
), max_leaves=12)


@given(_TREES)
def test_printing_then_parsing_gives_the_same_tree(tree: Expression) -> None:
    assert parse(str(tree)) == tree


# --- Inspection ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "names"), [
    ("amount * 2", {"amount"}),
    ("sum(item.price * qty) - sum(vat)", {"item.price", "qty", "vat"}),
    ("round(a, 2) + coalesce(b, c, 0)", {"a", "b", "c"}),
    ("extract(year, sale_date)", {"sale_date"}),
    ("extract('month', sale_date)", {"sale_date"}),
    ("current_date - local_date + current_time + local_time + x", {"x"}),
    ("'literal' + 1", set()),
    ("count()", set()),
])
def test_variables(text: str, names: set[str]) -> None:
    assert variables(text) == frozenset(names)
    assert variables(parse(text)) == frozenset(names)


@pytest.mark.parametrize(("text", "expected"), [
    ("sum(amount)", True), ("amount * 2", False), ("max(a, b)", False), ("max(a)", True),
    ("min(a, 0)", False), ("MIN(a)", True), ("count()", True), ("sum(a) / count()", True),
    ("coalesce(sum(a), 0)", True), ("count_distinct(x)", True), ("count_nonempty(x)", True),
    ("stddev(x) + variance(x)", True), ("avg(x)", True), ("round(x)", False), ("x", False),
])
def test_is_aggregate(text: str, expected: bool) -> None:
    assert is_aggregate(text) is expected


@pytest.mark.parametrize(("text", "error", "fragment"), [
    ("frobnicate(a)", UnsupportedFunctionError, "Unknown function 'frobnicate'"),
    ("current_date()", UnsupportedFunctionError, "Unknown function 'current_date'"),
    ("lower(a, b)", ExpressionError, "takes 1 argument(s), got 2"),
    ("substr(a)", ExpressionError, "takes 2 to 3 argument(s), got 1"),
    ("case(a)", ExpressionError, "takes at least 2 argument(s), got 1"),
    ("min()", ExpressionError, "takes at least 1 argument(s), got 0"),
    ("count(a, b)", ExpressionError, "takes 0 to 1 argument(s), got 2"),
    ("sum(max(a))", ExpressionError, "cannot be nested"),
    ("avg(1 + count())", ExpressionError, "cannot be nested"),
    ("extract(fortnight, d)", UnsupportedFunctionError, "Unsupported extract field"),
    ("extract(1, d)", UnsupportedFunctionError, "Unsupported extract field"),
])
def test_validate_functions_rejects(text: str, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error, match=None) as caught:
        validate_functions(text)
    assert fragment in str(caught.value)
    with pytest.raises(error):  # compilation performs the same checks
        compile_expression(text, sa.column, dialect_name="sqlite")


def test_validate_functions_accepts_known_functions() -> None:
    validate_functions("sum(a) / count() + max(a, b) + UPPER(name) + extract(Year, d)")


# --- Compiled SQL without a database ---------------------------------------------------------

def _sql(expr: str, dialect: sa.Dialect, name: str) -> str:
    compiled = compile_expression(expr, lambda ref: sa.column(ref, sa.Integer),
                                  dialect_name=name)
    return str(compiled.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def test_literals_are_inlined_and_division_is_true() -> None:
    assert _sql("a / 2", postgresql.dialect(), "postgresql") == \
        "a / CAST(nullif(2, 0) AS NUMERIC)"
    assert _sql("a / 2", sqlite.dialect(), "sqlite") == "a / (nullif(2, 0) + 0.0)"
    # Not bound parameters: the same expression must compare equal in SELECT and GROUP BY.
    compiled = compile_expression("a + 1", sa.column, dialect_name="postgresql")
    assert "POSTCOMPILE" in str(compiled.compile(dialect=postgresql.dialect()))


def test_special_variables_do_not_reach_resolve() -> None:
    def resolve(name: str) -> sa.ColumnElement[Any]:
        raise AssertionError(f"resolve called with {name}")

    assert _sql_with(resolve, "current_date", "postgresql") == "CURRENT_DATE"
    assert _sql_with(resolve, "local_time", "postgresql") == "LOCALTIME"


def _sql_with(resolve: Callable[[str], sa.ColumnElement[Any]], expr: str, name: str) -> str:
    return str(compile_expression(expr, resolve, dialect_name=name).compile(
        dialect=postgresql.dialect()))


def test_aggregate_function_errors() -> None:
    with pytest.raises(ArgumentError, match="Unknown aggregate function 'median'"):
        compile_aggregate_function("median", sa.column("x"), dialect_name="sqlite",
                                   count_column=None)
    with pytest.raises(ArgumentError) as caught:
        compile_aggregate_function("sma", sa.column("x"), dialect_name="sqlite",
                                   count_column=None)
    assert "post-aggregation" in (caught.value.hint or "")
    with pytest.raises(ArgumentError, match="needs a measure"):
        compile_aggregate_function("sum", None, dialect_name="sqlite", count_column=None)
    with pytest.raises(UnsupportedFunctionError):
        compile_extract("century", sa.column("d"), dialect_name="duckdb")


# --- Real databases --------------------------------------------------------------------------

@dataclass(frozen=True)
class FactsDB:
    name: str
    engine: sa.Engine
    facts: sa.Table

    def scalar(self, expr: str) -> Any:
        compiled = compile_expression(expr, self.facts.c.__getitem__, dialect_name=self.name)
        with self.engine.connect() as conn:
            return conn.execute(sa.select(compiled)).scalar_one()

    def per_fact(self, expr: str, resolve: Callable[[str], Any] | None = None) -> list[Any]:
        compiled = compile_expression(expr, resolve or self.facts.c.__getitem__,
                                      dialect_name=self.name)
        query = sa.select(compiled).order_by(self.facts.c.id)
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def aggregate(self, *columns: sa.ColumnElement[Any],
                  where: sa.ColumnElement[bool] | None = None) -> Sequence[Any]:
        query = sa.select(*columns).select_from(self.facts)
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as conn:
            return conn.execute(query).one()


FACTS: list[dict[str, Any]] = [
    {"id": 1, "amount": 10, "qty": 1, "price": 2.5, "name": "Alpha", "category": "a",
     "day": dt.date(2021, 1, 1), "ts": dt.datetime(2024, 2, 29, 13, 45, 59, 700000)},
    {"id": 2, "amount": None, "qty": 2, "price": -2.5, "name": "beta", "category": "b",
     "day": dt.date(2020, 12, 31), "ts": dt.datetime(2020, 1, 1, 0, 0, 0)},
    {"id": 3, "amount": 5, "qty": None, "price": 1.25, "name": None, "category": "a",
     "day": dt.date(2019, 12, 30), "ts": dt.datetime(2023, 7, 4, 23, 59, 1)},
    {"id": 4, "amount": 7, "qty": 3, "price": 0.0, "name": "Gamma", "category": "b",
     "day": dt.date(2024, 2, 29), "ts": dt.datetime(2021, 12, 31, 12, 0, 30, 999999)},
    {"id": 5, "amount": 100, "qty": 1, "price": 3.75, "name": "delta", "category": None,
     "day": dt.date(2023, 1, 1), "ts": dt.datetime(1999, 12, 31, 6, 7, 8)},
]


@pytest.fixture(scope="module")
def db(backend: Any) -> Iterator[FactsDB]:
    """The shared ``backend`` (tests/conftest.py: DuckDB, SQLite, PostgreSQL) with FACTS."""
    engine: sa.Engine = backend.engine
    metadata = sa.MetaData()
    facts = sa.Table(
        f"kx_facts_{uuid.uuid4().hex[:8]}", metadata,
        sa.Column("id", sa.Integer, autoincrement=False, primary_key=True),
        sa.Column("amount", sa.Integer), sa.Column("qty", sa.Integer),
        sa.Column("price", sa.Double), sa.Column("name", sa.String(20)),
        sa.Column("category", sa.String(5)), sa.Column("day", sa.Date),
        sa.Column("ts", sa.DateTime),
    )
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(facts.insert(), FACTS)
    yield FactsDB(engine.dialect.name, engine, facts)
    with engine.begin() as conn:
        metadata.drop_all(conn)


def _same(actual: Any, expected: Any) -> bool:
    if expected is None or actual is None:
        return actual is None and expected is None
    if isinstance(actual, Decimal):
        actual = float(actual)
    if isinstance(expected, float) or isinstance(actual, float):
        return bool(actual == pytest.approx(expected, rel=1e-9, abs=1e-12))
    return bool(actual == expected)


def _assert_same(actual: Sequence[Any], expected: Sequence[Any]) -> None:
    assert len(actual) == len(expected)
    assert all(_same(a, e) for a, e in zip(actual, expected, strict=True)), (actual, expected)


def _half_up(value: float, places: int = 0) -> float:
    return float(Decimal(str(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


SCALARS: list[tuple[str, Any]] = [
    ("7 / 2", 3.5), ("1 / 4 / 2", 0.125), ("7 % 3", 1), ("1 / 0", None), ("5 % 0", None),
    ("2 + 3 * 4", 14), ("(2 + 3) * 4", 20), ("-3 + 10", 7), ("+3", 3), ("10 - 2 - 3", 5),
    ("6 & 3", 6 & 3), ("6 | 3", 6 | 3), ("~5", ~5),
    ("1 < 2", True), ("2 <= 1", False), ("1 = 1 and 2 != 2", False), ("not 1 = 2", True),
    ("1 = 2 or 2 = 2", True),
    ("lower('AbC')", "abc"), ("upper('abc')", "ABC"), ("left('abcdef', 2)", "ab"),
    ("right('abcdef', 2)", "ef"), ("right('ab', 5)", "ab"), ("right('ab', 0)", ""),
    ("substr('abcdef', 2, 3)", "bcd"), ("substr('abcdef', 3)", "cdef"),
    ("lpad('ab', 5)", "   ab"), ("lpad('ab', 5, 'xy')", "xyxab"),
    ("rpad('ab', 5, 'xy')", "abxyx"), ("lpad('abcdef', 3, 'x')", "abc"),
    ("rpad('abcdef', 3, 'x')", "abc"), ("replace('a-b-c', '-', '+')", "a+b+c"),
    ("concat('a', 1, 'b')", "a1b"), ("concat('a', nullif(1, 1), 'b')", "ab"),
    ("repeat('ab', 3)", "ababab"), ("repeat('ab', 0)", ""),
    ("position('c', 'abcd')", 3), ("position('z', 'abcd')", 0),
    ("round(2.5)", 3), ("round(-2.5)", -3), ("round(1.2345, 2)", 1.23),
    ("trunc(2.7)", 2), ("trunc(-2.7)", -2), ("trunc(1.789, 2)", 1.78),
    ("floor(2.7)", 2), ("ceil(2.1)", 3), ("mod(7, 3)", 1), ("sign(-3)", -1),
    ("remainder(7, 4)", math.remainder(7, 4)), ("remainder(5, 2)", math.remainder(5, 2)),
    ("remainder(7, 2)", math.remainder(7, 2)), ("remainder(-5, 2)", math.remainder(-5, 2)),
    ("remainder(10, 3)", math.remainder(10, 3)),
    ("min(3, 1, 2)", 1), ("max(3, 1, 2)", 3), ("min(3, nullif(1, 1))", 3),
    ("max(nullif(1, 1), nullif(2, 2))", None), ("pow(2, 10)", 1024.0), ("exp(0)", 1.0),
    ("log(100)", 2.0), ("log(2, 8)", 3.0), ("log10(1000)", 3.0), ("sqrt(16)", 4.0),
    ("cos(0)", 1.0), ("sin(0)", 0.0), ("tan(0)", 0.0),
    ("coalesce(nullif(1, 1), 5)", 5), ("nullif(2, 3)", 2),
    ("case(1 = 2, 'a', 2 = 2, 'b', 'c')", "b"), ("case(1 = 2, 'a', 'c')", "c"),
    ("case(1 = 2, 'a')", None),
]


@pytest.mark.parametrize(("expr", "expected"), SCALARS)
def test_scalar_expressions(db: FactsDB, expr: str, expected: Any) -> None:
    assert _same(db.scalar(expr), expected), db.scalar(expr)


def test_special_variables(db: FactsDB) -> None:
    for name in ("current_date", "current_time", "local_date", "local_time"):
        assert db.scalar(name) is not None


def _column(name: str) -> list[Any]:
    return [row[name] for row in FACTS]


def _per_fact(fn: Callable[..., Any], *names: str) -> list[Any]:
    """``fn`` over each fact's values, NULL if any of them is NULL."""
    rows = [[row[name] for name in names] for row in FACTS]
    return [None if None in values else fn(*values) for values in rows]


def _and3(left: bool | None, right: bool | None) -> bool | None:
    """SQL's three-valued AND."""
    if left is False or right is False:
        return False
    return None if left is None or right is None else True


def test_row_level_expressions(db: FactsDB) -> None:
    cases: list[tuple[str, list[Any]]] = [
        ("amount * 2", _per_fact(lambda a: a * 2, "amount")),
        ("amount / qty", _per_fact(lambda a, q: a / q, "amount", "qty")),
        ("(amount + 1) / 2", _per_fact(lambda a: (a + 1) / 2, "amount")),
        ("amount % 3", _per_fact(lambda a: a % 3, "amount")),
        ("price * qty", _per_fact(lambda p, q: p * q, "price", "qty")),
        ("round(price)", _per_fact(_half_up, "price")),
        ("round(price, 1)", _per_fact(lambda p: _half_up(p, 1), "price")),
        ("upper(name)", _per_fact(str.upper, "name")),
        ("left(name, 2)", _per_fact(lambda n: n[:2], "name")),
        ("right(name, 3)", _per_fact(lambda n: n[-3:], "name")),
        ("lpad(name, 6, '*')", _per_fact(lambda n: n.rjust(6, "*")[:6], "name")),
        ("rpad(name, 6, '*')", _per_fact(lambda n: n.ljust(6, "*")[:6], "name")),
        ("position('a', name)", _per_fact(lambda n: n.find("a") + 1, "name")),
        ("concat(name, '/', category)",
         [f"{r['name'] or ''}/{r['category'] or ''}" for r in FACTS]),
        ("coalesce(name, 'n/a')", [r["name"] or "n/a" for r in FACTS]),
        ("case(amount > 50, 'big', amount > 6, 'mid', 'small')",
         ["small" if a is None else "big" if a > 50 else "mid" if a > 6 else "small"
          for a in _column("amount")]),
        # Scalar min/max ignore NULLs like least/greatest (SQLite's own would give NULL).
        ("max(amount, qty)", [max((v for v in (r["amount"], r["qty"]) if v is not None),
                                  default=None) for r in FACTS]),
        ("min(amount, qty, nullif(1, 1))",
         [min((v for v in (r["amount"], r["qty"]) if v is not None), default=None)
          for r in FACTS]),
        ("amount > 6 and not qty = 1",
         [_and3(None if a is None else a > 6, None if q is None else q != 1)
          for a, q in zip(_column("amount"), _column("qty"), strict=True)]),
    ]
    for expr, expected in cases:
        _assert_same(db.per_fact(expr), expected)


def test_dotted_references_are_resolved(db: FactsDB) -> None:
    refs = {"item.amount": db.facts.c.amount, "item.qty": db.facts.c.qty}
    actual = db.per_fact("item.amount - item.qty", refs.__getitem__)
    _assert_same(actual, _per_fact(lambda a, q: a - q, "amount", "qty"))


def _iso_week(day: dt.date) -> int:
    return day.isocalendar()[1]


@pytest.mark.parametrize(("field", "column", "oracle"), [
    ("year", "day", lambda d: d.year),
    ("quarter", "day", lambda d: (d.month - 1) // 3 + 1),
    ("month", "day", lambda d: d.month),
    ("week", "day", _iso_week),
    ("day", "day", lambda d: d.day),
    ("dow", "day", lambda d: d.isoweekday() % 7),
    ("doy", "day", lambda d: d.timetuple().tm_yday),
    ("hour", "ts", lambda t: t.hour),
    ("minute", "ts", lambda t: t.minute),
    ("second", "ts", lambda t: t.second),
])
def test_extract(db: FactsDB, field: str, column: str,
                 oracle: Callable[[Any], int]) -> None:
    expected = [oracle(value) for value in _column(column)]
    _assert_same(db.per_fact(f"extract({field}, {column})"), expected)
    _assert_same(db.per_fact(f"extract('{field.upper()}', {column})"), expected)
    compiled = compile_extract(field, db.facts.c[column], dialect_name=db.name)
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(compiled).order_by(db.facts.c.id)).scalars()
        _assert_same(list(rows), expected)


def _aggregate(db: FactsDB, function: str, column: str | None = "amount",
               where: sa.ColumnElement[bool] | None = None) -> Any:
    arg = db.facts.c[column] if column else None
    compiled = compile_aggregate_function(function, arg, dialect_name=db.name,
                                          count_column=db.facts.c.id)
    return db.aggregate(compiled, where=where)[0]


AMOUNTS = [a for a in _column("amount") if a is not None]


@pytest.mark.parametrize(("function", "column", "expected"), [
    ("sum", "amount", sum(AMOUNTS)),  # 122
    ("count", None, len(FACTS)),  # 5: counts facts
    ("count_nonempty", "amount", len(AMOUNTS)),  # 4
    ("count_distinct", "qty", len({q for q in _column("qty") if q is not None})),  # 3
    ("min", "amount", min(AMOUNTS)),  # 5: NULL ignored, not 0 as in 1.1
    ("max", "amount", max(AMOUNTS)),
    ("avg", "amount", statistics.fmean(AMOUNTS)),  # 30.5, not 1.1's 24.4
    ("stddev", "amount", statistics.stdev(AMOUNTS)),
    ("variance", "amount", statistics.variance(AMOUNTS)),
    ("AVG", "price", statistics.fmean(_column("price"))),
    ("stddev", "price", statistics.stdev(_column("price"))),
])
def test_aggregate_functions(db: FactsDB, function: str, column: str | None,
                             expected: Any) -> None:
    assert _same(_aggregate(db, function, column), expected)


def test_aggregate_functions_agree_with_the_spec_fixture(db: FactsDB) -> None:
    # slicer-api.md §7.5 with the NULL semantics we chose (defect 13).
    got = {f: _aggregate(db, f, "qty" if f == "count_distinct" else "amount")
           for f in ("sum", "min", "avg", "count_nonempty", "count_distinct", "count")}
    _assert_same(list(got.values()), [122, 5, 30.5, 4, 3, 5])


@pytest.mark.parametrize(("function", "expected"), [
    ("sum", 0), ("count", 0), ("count_nonempty", 0), ("count_distinct", 0), ("min", None),
    ("max", None), ("avg", None), ("stddev", None), ("variance", None),
])
def test_aggregate_functions_on_an_empty_cell(db: FactsDB, function: str,
                                              expected: Any) -> None:
    assert _same(_aggregate(db, function, where=db.facts.c.id < 0), expected)


@pytest.mark.parametrize("function", ["stddev", "variance"])
def test_sample_statistics_of_one_value_are_null(db: FactsDB, function: str) -> None:
    assert _aggregate(db, function, where=db.facts.c.id == 1) is None


def test_sample_statistics_of_equal_values_are_zero(db: FactsDB) -> None:
    where = db.facts.c.id.in_([1, 5]) & db.facts.c.qty.is_not(None)
    assert _same(_aggregate(db, "stddev", "qty", where=where), 0.0)


AGGREGATE_EXPRESSIONS: list[tuple[str, Any]] = [
    ("sum(amount) / count()", sum(AMOUNTS) / len(FACTS)),
    ("sum(amount) / count_nonempty(amount)", statistics.fmean(AMOUNTS)),
    ("max(amount) - min(amount)", max(AMOUNTS) - min(AMOUNTS)),
    ("count(amount)", len(AMOUNTS)),
    ("count_distinct(qty)", 3),
    ("sum(amount * qty)", sum(_v for _v in _per_fact(lambda a, q: a * q, "amount", "qty")
                              if _v is not None)),
    ("stddev(amount)", statistics.stdev(AMOUNTS)),
    ("variance(price)", statistics.variance(_column("price"))),
    ("round(avg(price), 2)", _half_up(statistics.fmean(_column("price")), 2)),
    ("coalesce(sum(amount), 0) + 1", sum(AMOUNTS) + 1),
]


@pytest.mark.parametrize(("expr", "expected"), AGGREGATE_EXPRESSIONS)
def test_aggregate_expressions(db: FactsDB, expr: str, expected: Any) -> None:
    compiled = compile_expression(expr, db.facts.c.__getitem__, dialect_name=db.name)
    assert _same(db.aggregate(compiled)[0], expected)


def test_expression_aggregates_are_not_coalesced(db: FactsDB) -> None:
    # §3.6: ``sum(double_amount)`` gives NULL on an empty cell, unlike the ``sum`` function.
    compiled = compile_expression("sum(amount)", db.facts.c.__getitem__,
                                  dialect_name=db.name)
    assert db.aggregate(compiled, where=db.facts.c.id < 0)[0] is None


def test_expressions_with_literals_can_be_grouped(db: FactsDB) -> None:
    # Compiled twice, as a query builder does for SELECT and GROUP BY.
    def key() -> sa.ColumnElement[Any]:
        return compile_expression("concat(coalesce(category, '?'), '-', qty * 10)",
                                  db.facts.c.__getitem__, dialect_name=db.name)

    query = sa.select(key().label("k"), sa.func.count().label("n")).group_by(key())
    with db.engine.connect() as conn:
        got = {row.k: row.n for row in conn.execute(query)}
    expected: dict[str, int] = {}
    for row in FACTS:
        qty = "" if row["qty"] is None else str(row["qty"] * 10)
        name = f"{row['category'] or '?'}-{qty}"
        expected[name] = expected.get(name, 0) + 1
    assert got == expected


def test_every_aggregate_function_compiles(db: FactsDB) -> None:
    columns = [compile_aggregate_function(f, db.facts.c.amount, dialect_name=db.name,
                                          count_column=db.facts.c.id)
               for f in sorted(AGGREGATE_FUNCTIONS)]
    assert len(db.aggregate(*columns)) == len(AGGREGATE_FUNCTIONS)


def test_a_ratio_of_decimal_sums_keeps_its_precision(backend: Any) -> None:
    # NUMERIC(18, 3) operands: SQLAlchemy types a quotient like its left operand, and that
    # type's result processor rounded SQLite's 130 / 170 to 0.765 (found by the fill rates).
    engine: sa.Engine = backend.engine
    metadata = sa.MetaData()
    table = sa.Table(f"kx_ratio_{uuid.uuid4().hex[:8]}", metadata,
                     sa.Column("shipped", sa.Numeric(18, 3)),
                     sa.Column("ordered", sa.Numeric(18, 3)))
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(table.insert(), [{"shipped": 100, "ordered": 120},
                                      {"shipped": 30, "ordered": 50}])
    try:
        compiled = compile_expression("sum(shipped) / sum(ordered)", table.c.__getitem__,
                                      dialect_name=engine.dialect.name)
        with engine.connect() as conn:
            ratio = conn.execute(sa.select(compiled)).scalar_one()
        assert float(ratio) == pytest.approx(130 / 170, rel=1e-12)
    finally:
        with engine.begin() as conn:
            metadata.drop_all(conn)
