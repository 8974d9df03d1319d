"""The Cubes expression language: parser, inspection and compilation to SQLAlchemy Core.

Measure, detail and aggregate ``expression`` strings (slicer-api.md §3.6) use the grammar of the
``expressions`` package that Cubes 1.1 depends on. From loosest to tightest binding::

    or  <  and  <  not x  <  = != < <= > >=  <  |  <  &  <  + -  <  * / %  <  unary + - ~

All binary operators are left-associative. Atoms are numbers, ``'…'``/``"…"`` strings,
(dotted) attribute references, ``function(arg, …)`` calls and parenthesised expressions.
``#`` starts a comment that runs to the end of the line. For the reader's convenience ``==``
is accepted for ``=`` and ``<>`` for ``!=``; the 1.1 grammar's ``<< >> // ^ in is`` are
rejected, because 1.1's SQL compiler could not compile them either.

>>> str(parse("sum(amount) - sum(vat) * 2"))
'(sum(amount) - (sum(vat) * 2))'
>>> sorted(variables("item.price * (1 - discount)"))
['discount', 'item.price']

Compilation (:func:`compile_expression`) is dialect-aware. Everything shared is written once;
:data:`_DIALECTS` lists only what SQLite, PostgreSQL and DuckDB do differently, so that one
expression gives the same number on each of them.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from kubus.model.errors import ArgumentError
from kubus.model.postaggregate import POST_AGGREGATE_FUNCTIONS

__all__ = [
    "AGGREGATE_FUNCTIONS",
    "EXTRACT_FIELDS",
    "FUNCTIONS",
    "SPECIAL_VARIABLES",
    "BinaryOp",
    "Expression",
    "ExpressionError",
    "FunctionCall",
    "Literal",
    "UnaryOp",
    "UnsupportedFunctionError",
    "Variable",
    "compile_aggregate_function",
    "compile_expression",
    "compile_extract",
    "is_aggregate",
    "parse",
    "validate_functions",
    "variables",
]


from kubus.model.expression_parser import (
    AGGREGATE_FUNCTIONS,
    EXTRACT_FIELDS,
    FUNCTIONS,
    SPECIAL_VARIABLES,
    BinaryOp,
    Expression,
    ExpressionError,
    FunctionCall,
    Literal,
    UnaryOp,
    UnsupportedFunctionError,
    Variable,
    _as_ast,
    _check_call,
    _extract_field,
    _is_aggregate_call,
    is_aggregate,
    parse,
    validate_functions,
    variables,
)

# --- Compilation -----------------------------------------------------------------------------

Resolver: TypeAlias = Callable[[str], ColumnElement[Any]]
_Args: TypeAlias = Sequence[ColumnElement[Any]]
_Builder: TypeAlias = Callable[["_Compiler", _Args], ColumnElement[Any]]
_Extractor: TypeAlias = Callable[[str, ColumnElement[Any]], ColumnElement[Any]]


def _literal(value: Any) -> ColumnElement[Any]:
    # Rendered inline when the statement runs, not as a plain bind parameter: PostgreSQL and
    # DuckDB see ``a || $1`` in SELECT and ``a || $2`` in GROUP BY as different expressions
    # and reject the query, so an attribute with an expression could not be drilled down.
    return sa.literal(value, literal_execute=True)


def _generic_extract(name: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
    # PostgreSQL's EXTRACT returns numeric (with fractional seconds); cast for plain integers.
    value: ColumnElement[Any] = sa.extract(name, column)
    if name == "second":
        value = sa.func.floor(value)
    return sa.cast(value, sa.Integer)


def _sqlite_extract(name: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
    def part(fmt: str, value: ColumnElement[Any] = column) -> ColumnElement[Any]:
        return sa.cast(sa.func.strftime(_literal(fmt), value), sa.Integer)

    if name == "quarter":  # SQLAlchemy would render strftime('quarter', x), which is wrong
        return (part("%m") + _literal(2)) // _literal(3)
    if name == "week":
        # ISO 8601 week like PostgreSQL and DuckDB (SQLite's %W is not ISO, %V needs 3.46):
        # the week number is the day-of-year of the Thursday of the week, divided by 7.
        thursday = sa.func.date(column, _literal("-3 days"), _literal("weekday 4"))
        return (part("%j", thursday) - _literal(1)) // _literal(7) + _literal(1)
    return sa.extract(name, column)  # CAST(STRFTIME(..) AS INTEGER) for the remaining fields


def _sqlite_repeat(c: _Compiler, a: _Args) -> ColumnElement[Any]:
    # zeroblob(n) has n zero bytes, its hex() 2n zeros; each "00" becomes one copy of s.
    return sa.func.replace(sa.func.hex(sa.func.zeroblob(a[1])), _literal("00"), a[0])


def _sqlite_pad(left: bool) -> _Builder:
    def build(c: _Compiler, a: _Args) -> ColumnElement[Any]:
        text, width = a[0], a[1]
        fill = a[2] if len(a) > 2 else _literal(" ")
        padding = sa.func.substr(_sqlite_repeat(c, [fill, width]), _literal(1),
                                 width - sa.func.length(text))
        padded = padding.concat(text) if left else text.concat(padding)
        # Like PostgreSQL and DuckDB: a string longer than the width is cut to the width.
        return sa.case((sa.func.length(text) >= width,
                        sa.func.substr(text, _literal(1), width)),
                       else_=padded)
    return build


def _sqlite_concat(c: _Compiler, a: _Args) -> ColumnElement[Any]:
    # SQLite < 3.44 has no concat(); emulate its NULL-as-empty semantics with ||.
    parts = [sa.func.coalesce(sa.cast(arg, sa.String), _literal("")) for arg in a]
    return functools.reduce(lambda x, y: x.concat(y), parts)


def _sqlite_trunc(c: _Compiler, a: _Args) -> ColumnElement[Any]:
    if len(a) == 1:
        return sa.func.trunc(a[0])
    scale = sa.func.pow(_literal(10), a[1])
    return sa.func.trunc(a[0] * scale) / scale


def _portable_variance(x: ColumnElement[Any]) -> ColumnElement[Any]:
    # SQLite has no var_samp/stddev_samp: (Σx² - (Σx)²/n) / (n - 1). Division by zero gives
    # NULL on SQLite, so one value yields NULL as it does on PostgreSQL and DuckDB; max(…, 0)
    # (NULL if the variance is NULL) guards against a tiny negative from rounding error.
    # Known limit of this one-pass formula: it loses precision when the mean is large next to
    # the spread (relative error about 1e-16 * mean² / variance), e.g. values near 1e9 that
    # differ by units. A two-pass or Welford computation is not expressible as one aggregate.
    real = sa.cast(x, sa.Double)
    n = sa.func.count(x)
    total = sa.func.sum(real)
    variance = (sa.func.sum(real * real) - total * total / n) / (n - _literal(1))
    return sa.func.max(variance, _literal(0.0))


def _numeric_args(function: str) -> _Builder:
    # PostgreSQL has round(numeric, int), trunc(numeric, int) and log(numeric, numeric) only,
    # and round(double) rounds half to even; numeric rounds half away from zero like the
    # other dialects.
    def build(c: _Compiler, a: _Args) -> ColumnElement[Any]:
        if function == "log" and len(a) == 1:
            return sa.func.log(a[0])
        first = [sa.cast(a[0], sa.Numeric)]
        rest = [sa.cast(arg, sa.Numeric) for arg in a[1:]] if function == "log" else list(a[1:])
        return getattr(sa.func, function)(*first, *rest)  # type: ignore[no-any-return]
    return build


def _scalar_extreme(function: str) -> _Builder:
    return lambda c, a: getattr(sa.func, function)(*a)


def _sqlite_extreme(function: str) -> _Builder:
    # SQLite's scalar min/max return NULL if any argument is NULL; least/greatest of
    # PostgreSQL and DuckDB ignore NULLs, like the aggregates. Replacing each NULL argument by
    # another argument (the first non-NULL one) does not change the result, only the NULLs.
    def build(c: _Compiler, a: _Args) -> ColumnElement[Any]:
        args = [sa.func.coalesce(arg, *a[:i], *a[i + 1:]) for i, arg in enumerate(a)]
        return getattr(sa.func, function)(*args)  # type: ignore[no-any-return]
    return build


@dataclass(frozen=True)
class _Dialect:
    """What one SQL dialect does differently from the generic (standard SQL) compilation."""

    functions: Mapping[str, _Builder] = field(default_factory=dict)
    variance: Callable[[ColumnElement[Any]], ColumnElement[Any]] = sa.func.var_samp
    stddev: Callable[[ColumnElement[Any]], ColumnElement[Any]] = sa.func.stddev_samp
    # Parameterless SQL values of the special variables that differ from the generic ones.
    variables: Mapping[str, Callable[[], ColumnElement[Any]]] = field(default_factory=dict)
    extract: _Extractor = _generic_extract


_GENERIC = _Dialect()
_DIALECTS: dict[str, _Dialect] = {
    "sqlite": _Dialect(
        functions={
            "left": lambda c, a: sa.func.substr(a[0], _literal(1), a[1]),
            "right": lambda c, a: sa.func.substr(
                a[0], sa.func.max(sa.func.length(a[0]) - a[1] + _literal(1), _literal(1))),
            "lpad": _sqlite_pad(left=True), "rpad": _sqlite_pad(left=False),
            "concat": _sqlite_concat, "repeat": _sqlite_repeat,
            "position": lambda c, a: sa.func.instr(a[1], a[0]),
            "trunc": _sqlite_trunc,
            "min": _sqlite_extreme("min"), "max": _sqlite_extreme("max"),
        },
        variance=_portable_variance,
        stddev=lambda x: sa.func.sqrt(_portable_variance(x)),
        variables={
            "local_date": lambda: sa.func.date(_literal("now"), _literal("localtime")),
            "local_time": lambda: sa.func.time(_literal("now"), _literal("localtime")),
        },
        extract=_sqlite_extract,
    ),
    "postgresql": _Dialect(
        functions={"round": _numeric_args("round"), "trunc": _numeric_args("trunc"),
                   "log": _numeric_args("log")},
    ),
    "duckdb": _Dialect(),
}


def _default_pad(function: str) -> _Builder:
    # DuckDB requires the fill argument; PostgreSQL's default is a space.
    def build(c: _Compiler, a: _Args) -> ColumnElement[Any]:
        fill = a[2] if len(a) > 2 else _literal(" ")
        return getattr(sa.func, function)(a[0], a[1], fill)  # type: ignore[no-any-return]
    return build


def _case(c: _Compiler, a: _Args) -> ColumnElement[Any]:
    """``case(cond1, value1, cond2, value2, …[, else])``."""
    pairs = [(a[i], a[i + 1]) for i in range(0, len(a) - 1, 2)]
    return sa.case(*pairs, else_=a[-1] if len(a) % 2 else None)


def _remainder(c: _Compiler, a: _Args) -> ColumnElement[Any]:
    # IEEE 754 remainder (Python's math.remainder, Oracle's REMAINDER): x - y * n, with n the
    # integer nearest to x / y and ties to even. None of our dialects has it built in.
    quotient = c.divide(a[0], a[1])
    tie = quotient - sa.func.floor(quotient) == _literal(0.5)
    even = _literal(2) * c.scalar("round", [quotient / _literal(2)])
    return a[0] - a[1] * sa.case((tie, even), else_=c.scalar("round", [quotient]))


_OPERATORS: dict[str, Callable[[ColumnElement[Any], ColumnElement[Any]], ColumnElement[Any]]] = {
    "*": operator.mul, "+": operator.add, "-": operator.sub,
    "&": lambda x, y: x.bitwise_and(y), "|": lambda x, y: x.bitwise_or(y),
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "=": operator.eq, "!=": operator.ne, "and": sa.and_, "or": sa.or_,
}

# Generic builders for functions that are not simply ``func.<name>(*args)``.
_GENERIC_FUNCTIONS: dict[str, _Builder] = {
    "lpad": _default_pad("lpad"), "rpad": _default_pad("rpad"),
    "position": lambda c, a: sa.func.strpos(a[1], a[0]),  # position(substring, string)
    "remainder": _remainder, "case": _case,
    "min": _scalar_extreme("least"), "max": _scalar_extreme("greatest"),
}


class _Compiler:
    def __init__(self, resolve: Resolver, dialect_name: str) -> None:
        self.resolve = resolve
        self.dialect = _DIALECTS.get(dialect_name, _GENERIC)

    def compile(self, node: Expression, *, in_aggregate: bool = False) -> ColumnElement[Any]:
        if isinstance(node, Literal):
            return _literal(node.value)
        if isinstance(node, Variable):
            return self.variable(node.name)
        if isinstance(node, UnaryOp):
            return self.unary(node.operator, self.compile(node.operand, in_aggregate=in_aggregate))
        if isinstance(node, BinaryOp):
            left = self.compile(node.left, in_aggregate=in_aggregate)
            return self.binary(node.operator, left,
                               self.compile(node.right, in_aggregate=in_aggregate))
        return self.call(node, in_aggregate=in_aggregate)

    def variable(self, name: str) -> ColumnElement[Any]:
        if name not in SPECIAL_VARIABLES:
            return self.resolve(name)
        special = self.dialect.variables.get(name)
        if special is not None:
            return special()
        if name == "local_date":
            return sa.cast(sa.func.localtimestamp(), sa.Date)
        return sa.func.localtime() if name == "local_time" else getattr(sa.func, name)()

    def unary(self, operator: str, operand: ColumnElement[Any]) -> ColumnElement[Any]:
        if operator == "-":
            return -operand
        if operator == "~":
            return operand.bitwise_not()
        if operator == "not":
            return sa.not_(operand)
        return operand  # unary plus

    def binary(self, op: str, left: ColumnElement[Any],
               right: ColumnElement[Any]) -> ColumnElement[Any]:
        if op == "/":
            return self.divide(left, right)
        if op == "%":
            # Modulo by zero gives NULL everywhere (PostgreSQL and DuckDB would raise).
            return left % sa.func.nullif(right, _literal(0))
        return _OPERATORS[op](left, right)

    def divide(self, left: ColumnElement[Any], right: ColumnElement[Any]) -> ColumnElement[Any]:
        """True division, with division by zero giving NULL on every dialect."""
        # 7 / 2 must be 3.5 everywhere (a ratio of two integer sums is the usual case), but
        # SQLite and PostgreSQL divide integers by integers with integer division. We rely on
        # SQLAlchemy 2's ``/`` (operators.truediv), which already casts the divisor: CAST(..
        # AS NUMERIC) on PostgreSQL, (.. + 0.0) on SQLite, nothing on DuckDB, whose / is true
        # division; tests/unit/model/test_expressions.py pins it on each dialect.
        # NULLIF: x / 0 is NULL on SQLite but infinity on DuckDB and an error on PostgreSQL.
        # The quotient is typed Float: SQLAlchemy would type it like the left operand, and a
        # NUMERIC(18, 3) result processor rounds SQLite's REAL ratio 130/170 to 0.765.
        return sa.type_coerce(left / sa.func.nullif(right, _literal(0)), sa.Float())

    def call(self, node: FunctionCall, *, in_aggregate: bool) -> ColumnElement[Any]:
        _check_call(node, in_aggregate=in_aggregate)
        name = node.name.lower()
        if name == "extract":
            field_name = _extract_field(node.args[0])
            return self.dialect.extract(field_name, self.compile(node.args[1],
                                                                 in_aggregate=in_aggregate))
        aggregate = _is_aggregate_call(node)
        args = [self.compile(arg, in_aggregate=in_aggregate or aggregate) for arg in node.args]
        if aggregate:
            return self.aggregate(name, args[0] if args else None)
        return self.scalar(name, args)

    def scalar(self, name: str, args: _Args) -> ColumnElement[Any]:
        builder = self.dialect.functions.get(name) or _GENERIC_FUNCTIONS.get(name)
        if builder is not None:
            return builder(self, args)
        return getattr(sa.func, name)(*args)  # type: ignore[no-any-return]

    def aggregate(self, name: str, arg: ColumnElement[Any] | None) -> ColumnElement[Any]:
        """The plain SQL aggregate, without the COALESCE of :func:`compile_aggregate_function`."""
        if name == "count":
            return sa.func.count() if arg is None else sa.func.count(arg)
        if arg is None:
            raise ArgumentError(f"Aggregate function '{name}' needs a measure")
        if name == "count_distinct":
            return sa.func.count(sa.distinct(arg))
        if name == "count_nonempty":
            return sa.func.count(arg)
        if name == "stddev":
            return self.dialect.stddev(arg)
        if name == "variance":
            return self.dialect.variance(arg)
        return getattr(sa.func, name)(arg)  # type: ignore[no-any-return]


#: How an aggregate is combined from the values of groups (``SUM`` of ``COUNT``s, ...).
COMBINE_FROM_GROUPS = {"sum": "sum", "count": "sum", "count_nonempty": "sum", "min": "min",
                       "max": "max"}


class _NotDecomposable(Exception):
    pass


class _WindowedCompiler(_Compiler):
    """Compiles aggregate calls as their total over all groups: ``SUM(SUM(x)) OVER ()``."""

    def aggregate(self, name: str, arg: ColumnElement[Any] | None) -> ColumnElement[Any]:
        combine = COMBINE_FROM_GROUPS.get(name)
        if combine is None:
            raise _NotDecomposable(name)
        per_group = super().aggregate(name, arg)
        return getattr(sa.func, combine)(per_group).over()  # type: ignore[no-any-return]


def compile_windowed_total(expr: Expression | str, resolve: Resolver, *,
                           dialect_name: str) -> ColumnElement[Any] | None:
    """The total of an aggregate expression over every group of a grouped select, as window
    functions over its aggregates; ``None`` when one of them (``avg``, ``count_distinct``,
    ``stddev`` ...) cannot be combined from groups.

    ``sum(amount) - sum(cost)`` becomes ``SUM(SUM(amount)) OVER () - SUM(SUM(cost)) OVER ()``,
    so the summary of a drilldown needs no second scan.
    """
    try:
        return _WindowedCompiler(resolve, dialect_name).compile(_as_ast(expr))
    except _NotDecomposable:
        return None


def compile_expression(expr: Expression | str, resolve: Resolver, *,
                       dialect_name: str) -> ColumnElement[Any]:
    """Compile ``expr`` to a SQLAlchemy Core expression for the dialect ``dialect_name``
    (``engine.dialect.name``: ``sqlite``, ``postgresql``, ``duckdb``; others get standard SQL).

    ``resolve`` maps an attribute reference to its column or labelled expression; special
    variables (:data:`SPECIAL_VARIABLES`) never reach it. Aggregate calls compile to the plain
    SQL aggregate (``sum(x)`` is NULL on an empty cell, as in 1.1).

    >>> import sqlalchemy as sa
    >>> from sqlalchemy.dialects import postgresql
    >>> t = sa.table("sales", sa.column("amount", sa.Integer))
    >>> sql = compile_expression("sum(amount) / 2", t.c.__getitem__, dialect_name="postgresql")
    >>> print(sql.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    sum(sales.amount) / CAST(nullif(2, 0) AS NUMERIC)
    """
    return _Compiler(resolve, dialect_name).compile(_as_ast(expr))


def compile_aggregate_function(function: str, arg: ColumnElement[Any] | None, *,
                               dialect_name: str,
                               count_column: ColumnElement[Any] | None) -> ColumnElement[Any]:
    """The SQL of a built-in aggregate ``function`` (§3.6) over the measure column ``arg``.

    ``sum`` is ``COALESCE(SUM(x), 0)``; ``count`` counts ``count_column`` (the fact key;
    ``COUNT(*)`` when None); ``count_nonempty`` is ``COUNT(x)``; ``count_distinct`` is
    ``COUNT(DISTINCT x)``. Deliberate deviation from 1.1 (defect 13): ``min``, ``max``,
    ``avg``, ``stddev`` and ``variance`` follow SQL and ignore NULLs instead of counting them
    as 0, so avg over {10, NULL, 5, 7, 100} is 30.5, not 24.4. ``stddev`` and ``variance`` are
    the sample statistics on every dialect (computed portably on SQLite).
    """
    name = function.lower()
    if name not in AGGREGATE_FUNCTIONS:
        hint = ("It is a post-aggregation function, computed on the result rows"
                if name in POST_AGGREGATE_FUNCTIONS
                else f"Use one of: {', '.join(sorted(AGGREGATE_FUNCTIONS))}")
        raise ArgumentError(f"Unknown aggregate function '{function}'", hint=hint)
    compiler = _Compiler(_no_variables, dialect_name)
    if name == "count":
        return compiler.aggregate("count", count_column)
    if arg is None:
        raise ArgumentError(f"Aggregate function '{function}' needs a measure")
    value = compiler.aggregate(name, arg)
    return sa.func.coalesce(value, _literal(0)) if name == "sum" else value


def compile_extract(field_name: str, column: ColumnElement[Any], *,
                    dialect_name: str) -> ColumnElement[Any]:
    """``EXTRACT(field FROM column)`` as an integer, for mappings with ``extract`` (§3.9) and
    ``extract()`` in expressions. Fields: :data:`EXTRACT_FIELDS` (``week`` is the ISO week)."""
    name = _extract_field(Literal(field_name))
    return _DIALECTS.get(dialect_name, _GENERIC).extract(name, column)


def _no_variables(name: str) -> ColumnElement[Any]:
    raise ExpressionError(f"Unexpected variable '{name}'")  # pragma: no cover
