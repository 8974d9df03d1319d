"""The Cubes expression language: grammar, syntax tree, parser and inspection.

The grammar of the ``expressions`` package that Cubes 1.1 depends on; see
:mod:`kubus.model.expressions` for compilation to SQLAlchemy, which re-exports everything here.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from kubus.model.errors import ArgumentError


class ExpressionError(ArgumentError):
    """An expression is malformed, or calls an unknown function or with the wrong arguments."""

    def __init__(self, message: str, *, expression: str | None = None,
                 position: int | None = None, hint: str | None = None) -> None:
        if expression is not None:
            where = f" at column {position + 1}" if position is not None else ""
            message = f"{message}{where} in expression '{expression}'"
        super().__init__(message, hint=hint)
        self.expression = expression
        self.position = position


class UnsupportedFunctionError(ExpressionError):
    """A function or extract field that Kubus (or the given SQL dialect) does not provide."""


# --- AST -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Literal:
    value: int | float | str

    def __str__(self) -> str:
        if isinstance(self.value, str):
            escaped = "".join(_ESCAPE_BACK.get(c, c) for c in self.value)
            return f"'{escaped}'"
        return repr(self.value)


@dataclass(frozen=True, slots=True)
class Variable:
    """An attribute reference such as ``amount`` or ``item.category``, or a special variable."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class UnaryOp:
    operator: str  # "-", "+", "~" or "not"
    operand: Expression

    def __str__(self) -> str:
        space = " " if self.operator == "not" else ""
        return f"({self.operator}{space}{self.operand})"


@dataclass(frozen=True, slots=True)
class BinaryOp:
    operator: str  # one of _BINARY_PRECEDENCE; "==" and "<>" are normalised to "=" and "!="
    left: Expression
    right: Expression

    def __str__(self) -> str:
        return f"({self.left} {self.operator} {self.right})"


@dataclass(frozen=True, slots=True)
class FunctionCall:
    name: str  # as written; looked up case-insensitively
    args: tuple[Expression, ...] = field(default=())

    def __str__(self) -> str:
        return f"{self.name}({', '.join(str(a) for a in self.args)})"


Expression: TypeAlias = Literal | Variable | UnaryOp | BinaryOp | FunctionCall

#: Variables that name an SQL value, not an attribute (never passed to ``resolve``).
SPECIAL_VARIABLES = frozenset({"current_date", "current_time", "local_date", "local_time"})

#: Fields accepted by ``extract(field, x)`` and by mapping ``extract``; all give integers.
EXTRACT_FIELDS = ("year", "quarter", "month", "week", "day", "dow", "doy", "hour", "minute",
                  "second")

# (min, max) argument counts; max None means variadic. min/max with one argument are the
# aggregates, with two or more the scalar least/greatest.
_SCALAR_ARITY: dict[str, tuple[int, int | None]] = {
    "lower": (1, 1), "upper": (1, 1), "left": (2, 2), "right": (2, 2), "substr": (2, 3),
    "lpad": (2, 3), "rpad": (2, 3), "replace": (3, 3), "concat": (1, None), "repeat": (2, 2),
    "position": (2, 2), "round": (1, 2), "trunc": (1, 2), "floor": (1, 1), "ceil": (1, 1),
    "mod": (2, 2), "remainder": (2, 2), "sign": (1, 1), "min": (2, None), "max": (2, None),
    "pow": (2, 2), "exp": (1, 1), "log": (1, 2), "log10": (1, 1), "sqrt": (1, 1),
    "cos": (1, 1), "sin": (1, 1), "tan": (1, 1), "extract": (2, 2), "coalesce": (1, None),
    "nullif": (2, 2), "case": (2, None),
}
_AGGREGATE_ARITY: dict[str, tuple[int, int | None]] = {
    "sum": (1, 1), "min": (1, 1), "max": (1, 1), "avg": (1, 1), "stddev": (1, 1),
    "variance": (1, 1), "count": (0, 1), "count_distinct": (1, 1), "count_nonempty": (1, 1),
}
#: Function names of the expression language (scalar and aggregate).
FUNCTIONS = frozenset(_SCALAR_ARITY) | frozenset(_AGGREGATE_ARITY)
#: The built-in aggregate functions of §3.6 (also usable as aggregate ``function``).
AGGREGATE_FUNCTIONS = frozenset(_AGGREGATE_ARITY)


# --- Tokenizer and parser --------------------------------------------------------------------

_TOKEN_RE = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[^\W\d]\w*(?:\.\w+)*)
  | (?P<quote>['"])
  | (?P<op><=|>=|!=|<>|==|[-+*/%&|~<>=])
  | (?P<punct>[(),])
""", re.VERBOSE)
_KEYWORD_OPERATORS = frozenset({"and", "or", "not"})
_RESERVED = frozenset({"in", "is"})
_OPERATOR_ALIASES = {"==": "=", "<>": "!="}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}
_ESCAPE_BACK = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\t": "\\t", "\r": "\\r"}

_BINARY_PRECEDENCE = {"or": 1, "and": 2, "=": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
                      "|": 5, "&": 6, "+": 7, "-": 7, "*": 8, "/": 8, "%": 8}
_NOT_PRECEDENCE = 3
_UNARY_PRECEDENCE = 9


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, string, name, op, punct, end
    value: Any
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise ExpressionError(f"Unexpected character {text[pos]!r}", expression=text,
                                  position=pos)
        kind, lexeme = match.lastgroup or "", match.group()
        if kind == "quote":
            value, end = _read_string(text, pos)
            tokens.append(_Token("string", value, pos))
            pos = end
            continue
        if kind == "number":
            if match.end() < len(text) and re.match(r"[\w.]", text[match.end()]):
                raise ExpressionError("Malformed number", expression=text, position=pos)
            number: int | float = float(lexeme) if re.search(r"[.eE]", lexeme) else int(lexeme)
            tokens.append(_Token("number", number, pos))
        elif kind == "name" and lexeme.lower() in _KEYWORD_OPERATORS:
            tokens.append(_Token("op", lexeme.lower(), pos))
        elif kind == "name" and lexeme.lower() in _RESERVED:
            raise ExpressionError(f"Operator '{lexeme}' is not supported", expression=text,
                                  position=pos)
        elif kind == "op":
            tokens.append(_Token("op", _OPERATOR_ALIASES.get(lexeme, lexeme), pos))
        elif kind in ("name", "punct"):
            tokens.append(_Token(kind, lexeme, pos))
        pos = match.end()
    tokens.append(_Token("end", None, len(text)))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    """Read the string literal opening at ``start``; return its value and the end position."""
    quote, pos = text[start], start + 1
    chars: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == quote:
            return "".join(chars), pos + 1
        if char == "\\" and pos + 1 < len(text):
            nxt = text[pos + 1]
            # Unknown escapes keep their backslash, as Python's unicode_escape (used by 1.1) does.
            chars.append(_ESCAPES.get(nxt, "\\" + nxt))
            pos += 2
            continue
        chars.append(char)
        pos += 1
    raise ExpressionError("Unterminated string", expression=text, position=start)


class _Parser:
    """Precedence climbing over the token list."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, token: _Token) -> ExpressionError:
        if token.kind == "end":
            what = "Empty expression" if self.index == 0 else "Unexpected end of expression"
            return ExpressionError(what, expression=self.text)
        shown = repr(token.value) if token.kind == "string" else f"'{token.value}'"
        return ExpressionError(f"Unexpected {shown}", expression=self.text, position=token.pos)

    def expect(self, punct: str) -> None:
        token = self.advance()
        if token.kind != "punct" or token.value != punct:
            raise self.error(token)

    def parse(self) -> Expression:
        expr = self.expression(1)
        if self.peek().kind != "end":
            raise self.error(self.peek())
        return expr

    def expression(self, min_precedence: int) -> Expression:
        left = self.prefix(min_precedence)
        while True:
            token = self.peek()
            precedence = _BINARY_PRECEDENCE.get(token.value) if token.kind == "op" else None
            if precedence is None or precedence < min_precedence:
                return left
            self.advance()
            # precedence + 1: operators of equal precedence associate to the left.
            left = BinaryOp(token.value, left, self.expression(precedence + 1))

    def prefix(self, min_precedence: int) -> Expression:
        token = self.peek()
        # ``not`` binds looser than comparisons, so like Python's grammar ``a = not b`` is an
        # error while ``not a = b`` means ``not (a = b)``.
        if token.kind == "op" and token.value == "not" and min_precedence <= _NOT_PRECEDENCE:
            self.advance()
            return UnaryOp("not", self.expression(_NOT_PRECEDENCE))
        if token.kind == "op" and token.value in ("-", "+", "~"):
            self.advance()
            return UnaryOp(token.value, self.expression(_UNARY_PRECEDENCE))
        return self.atom()

    def atom(self) -> Expression:
        token = self.advance()
        if token.kind in ("number", "string"):
            return Literal(token.value)
        if token.kind == "name":
            if self.peek().kind == "punct" and self.peek().value == "(":
                self.advance()
                return FunctionCall(token.value, self.arguments())
            return Variable(token.value)
        if token.kind == "punct" and token.value == "(":
            inner = self.expression(1)
            self.expect(")")
            return inner
        self.index -= 1
        raise self.error(token)

    def arguments(self) -> tuple[Expression, ...]:
        args: list[Expression] = []
        if self.peek().kind == "punct" and self.peek().value == ")":
            self.advance()
            return ()
        while True:
            args.append(self.expression(1))
            token = self.advance()
            if token.kind == "punct" and token.value == ")":
                return tuple(args)
            if token.kind != "punct" or token.value != ",":
                raise self.error(token)


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> Expression:
    """Parse ``text`` into an immutable AST; raise :class:`ExpressionError` on a syntax error.

    >>> parse("-a * b")
    BinaryOp(operator='*', left=UnaryOp(operator='-', operand=Variable(name='a')), \
right=Variable(name='b'))
    """
    return _Parser(text).parse()


def _as_ast(expr: Expression | str) -> Expression:
    return parse(expr) if isinstance(expr, str) else expr


# --- Inspection ------------------------------------------------------------------------------

def _walk(node: Expression) -> list[Expression]:
    """All nodes of the tree, parents first; the field of ``extract`` is not a node."""
    nodes: list[Expression] = [node]
    if isinstance(node, UnaryOp):
        nodes += _walk(node.operand)
    elif isinstance(node, BinaryOp):
        nodes += _walk(node.left) + _walk(node.right)
    elif isinstance(node, FunctionCall):
        args = node.args[1:] if node.name.lower() == "extract" else node.args
        for arg in args:
            nodes += _walk(arg)
    return nodes


def variables(expr: Expression | str) -> frozenset[str]:
    """Attribute references used by ``expr`` (not function names or special variables).

    >>> sorted(variables("extract(year, sale_date) + current_date"))
    ['sale_date']
    """
    return frozenset(node.name for node in _walk(_as_ast(expr))
                     if isinstance(node, Variable) and node.name not in SPECIAL_VARIABLES)


def _is_aggregate_call(node: Expression) -> bool:
    if not isinstance(node, FunctionCall):
        return False
    name = node.name.lower()
    return name in _AGGREGATE_ARITY and (name not in ("min", "max") or len(node.args) == 1)


def is_aggregate(expr: Expression | str) -> bool:
    """Whether ``expr`` calls an aggregate function (``min``/``max`` count only with one
    argument), so that it must be evaluated per cell rather than per fact.

    >>> is_aggregate("sum(amount) / count()"), is_aggregate("max(amount, 0)")
    (True, False)
    """
    return any(_is_aggregate_call(node) for node in _walk(_as_ast(expr)))


def validate_functions(expr: Expression | str) -> None:
    """Raise :class:`ExpressionError` for unknown functions, wrong argument counts, nested
    aggregates or a bad ``extract`` field. Dialect-independent; :func:`compile_expression`
    performs the same checks."""
    _check_calls(_as_ast(expr), in_aggregate=False)


def _check_calls(node: Expression, *, in_aggregate: bool) -> None:
    if isinstance(node, FunctionCall):
        _check_call(node, in_aggregate=in_aggregate)
        in_aggregate = in_aggregate or _is_aggregate_call(node)
        args = node.args[1:] if node.name.lower() == "extract" else node.args
        for arg in args:
            _check_calls(arg, in_aggregate=in_aggregate)
    elif isinstance(node, UnaryOp):
        _check_calls(node.operand, in_aggregate=in_aggregate)
    elif isinstance(node, BinaryOp):
        _check_calls(node.left, in_aggregate=in_aggregate)
        _check_calls(node.right, in_aggregate=in_aggregate)


def _check_call(node: FunctionCall, *, in_aggregate: bool) -> None:
    name, argc = node.name.lower(), len(node.args)
    if name not in FUNCTIONS:
        raise UnsupportedFunctionError(f"Unknown function '{node.name}' in expression "
                                       f"'{node}'", hint=f"Known: {', '.join(sorted(FUNCTIONS))}")
    aggregate = _is_aggregate_call(node)
    low, high = (_AGGREGATE_ARITY if aggregate else _SCALAR_ARITY)[name]
    if name in ("min", "max"):
        low, high = 1, None  # one argument: the aggregate, more: the scalar least/greatest
    if argc < low or (high is not None and argc > high):
        count = f"{low}" if low == high else f"{low} to {high}" if high else f"at least {low}"
        raise ExpressionError(f"Function '{name}' takes {count} argument(s), got {argc}: "
                              f"'{node}'")
    if aggregate and in_aggregate:
        raise ExpressionError(f"Aggregate function calls cannot be nested: '{node}'")
    if name == "extract":
        _extract_field(node.args[0])


def _extract_field(arg: Expression) -> str:
    """``extract(year, d)`` and ``extract('year', d)`` both name the field ``year``."""
    value = arg.name if isinstance(arg, Variable) else arg.value if isinstance(arg, Literal) \
        else None
    if not isinstance(value, str) or value.lower() not in EXTRACT_FIELDS:
        raise UnsupportedFunctionError(f"Unsupported extract field '{arg}'",
                                       hint=f"Use one of: {', '.join(EXTRACT_FIELDS)}")
    return value.lower()
