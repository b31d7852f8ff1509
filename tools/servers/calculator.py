"""The `calculator` MCP server: arithmetic evaluated by walking the Python AST, never `eval`.

Every step is bounded (expression length, exponent, integer size, factorial argument), so no input
such as `9**9**9` can take more than milliseconds or exhaust memory.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from mcp.server.lowlevel import Server

from tools.function import FunctionToolset, tool
from tools.servers._serve import toolset_server

MAX_EXPRESSION_CHARS = 1_000
MAX_EXPONENT = 10_000
MAX_RESULT_DIGITS = 4_000
"""Below Python's 4,300-digit limit for converting an int to text."""
MAX_INT_BITS = int(MAX_RESULT_DIGITS * math.log2(10))
MAX_FACTORIAL = 1_000
MAX_DEPTH = 250
"""Operator nesting; keeps the recursive walk far from Python's recursion limit, even in a worker thread."""

Number = int | float

_BINARY: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.FloorDiv: ("//", operator.floordiv),
    ast.Mod: ("%", operator.mod),
    ast.Pow: ("**", operator.pow),
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_MATH = (
    "sqrt", "cbrt", "exp", "log", "log10", "log2", "sin", "cos", "tan", "asin", "acos", "atan", "atan2",
    "sinh", "cosh", "tanh", "floor", "ceil", "trunc", "factorial", "gcd", "lcm", "hypot", "degrees",
    "radians", "comb", "perm", "isqrt",
)  # fmt: skip
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: getattr(math, name) for name in _MATH if hasattr(math, name)
} | {"abs": abs, "round": round, "min": min, "max": max}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}


class CalculatorError(ValueError):
    """The expression is not arithmetic this calculator accepts, or its result is out of bounds."""


def _checked(value: Any) -> Number:
    """Refuse results that are not real numbers or that are too large to work with."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "a complex number" if isinstance(value, complex) else type(value).__name__
        raise CalculatorError(f"the result is {kind}; only real numbers are supported")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise CalculatorError(f"the result has more than {MAX_RESULT_DIGITS} digits")
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculatorError(f"the result {value} is not a finite number (a float overflowed)")
    return value


def _power(base: Number, exponent: Number) -> Number:
    """`base ** exponent`, refused before computing when the result cannot fit the bounds."""
    if abs(exponent) > MAX_EXPONENT:
        raise CalculatorError(f"exponent {exponent} is larger than {MAX_EXPONENT}")
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if exponent * math.log2(abs(base)) > MAX_INT_BITS:
            raise CalculatorError(f"{base} ** {exponent} has more than {MAX_RESULT_DIGITS} digits")
    return base**exponent


def _call(name: str, args: list[Number]) -> Number:
    function = _FUNCTIONS[name]
    if name in ("factorial", "comb", "perm") and any(isinstance(a, int) and a > MAX_FACTORIAL for a in args):
        raise CalculatorError(f"{name}() arguments larger than {MAX_FACTORIAL} are not supported")
    try:
        return function(*args)
    except ValueError as exc:  # math domain errors: sqrt(-1), log(0)
        raise CalculatorError(f"{name}({', '.join(map(str, args))}): {exc}") from None
    except TypeError as exc:
        raise CalculatorError(f"{name}(): {exc}") from None


class _Evaluator:
    def __init__(self, source: str) -> None:
        self.source = source

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or type(node).__name__

    def eval(self, node: ast.AST, depth: int = 0) -> Number:
        if depth > MAX_DEPTH:
            raise CalculatorError(f"expression is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Expression):
            return self.eval(node.body, depth + 1)
        if isinstance(node, ast.Constant):
            if type(node.value) in (int, float):
                return _checked(node.value)
            raise CalculatorError(f"{self.segment(node)} is not a number")
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.eval(node.left, depth + 1), self.eval(node.right, depth + 1)
            if isinstance(node.op, ast.Pow):
                return _checked(_power(left, right))
            return _checked(_BINARY[type(node.op)][1](left, right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _checked(_UNARY[type(node.op)](self.eval(node.operand, depth + 1)))
        if isinstance(node, ast.Name):
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            raise CalculatorError(
                f"unknown name {node.id!r}; known constants: {', '.join(sorted(_CONSTANTS))}"
            )
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            if node.func.id not in _FUNCTIONS:  # before evaluating arguments: name the real problem
                raise CalculatorError(
                    f"unknown function {node.func.id!r}; known functions: {', '.join(sorted(_FUNCTIONS))}"
                )
            return _checked(_call(node.func.id, [self.eval(arg, depth + 1) for arg in node.args]))
        raise CalculatorError(
            f"unsupported syntax {self.segment(node)!r}: only numbers, + - * / // % **, "
            "parentheses and math functions are allowed"
        )


def evaluate_expression(expression: str) -> Number:
    """Evaluate an arithmetic expression.

    Raises:
        CalculatorError: The expression is not supported arithmetic, divides by zero, or its result
            is out of bounds; the message says which part.
    """
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise CalculatorError(
            f"expression of {len(expression)} characters; the limit is {MAX_EXPRESSION_CHARS}"
        )
    source = expression.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise CalculatorError(f"not an arithmetic expression: {exc.msg} in {expression!r}") from None
    except (RecursionError, MemoryError, ValueError):
        raise CalculatorError("expression is nested too deeply") from None
    try:
        return _Evaluator(source).eval(tree)
    except ZeroDivisionError:
        raise CalculatorError(f"division by zero in {expression!r}") from None
    except OverflowError:
        raise CalculatorError(f"the result of {expression!r} is too large for a float") from None
    except RecursionError:
        raise CalculatorError("expression is nested too deeply") from None


def format_number(value: Number) -> str:
    """Integers exactly, floats as their shortest exact form (`repr`)."""
    return str(value) if isinstance(value, int) else repr(value)


@tool
def evaluate(expression: str) -> str:
    """Evaluate an arithmetic expression such as '(2 + 3) * 4' or 'sqrt(2) ** 3'.

    Supports integers and decimals, + - * / // % ** and parentheses, the constants pi, e and tau,
    and math functions (sqrt, log, sin, cos, factorial, gcd, round, min, max, ...). Integer
    arithmetic is exact.

    Args:
        expression: The expression to evaluate, in Python syntax.
    """
    return format_number(evaluate_expression(expression))


def toolset() -> FunctionToolset:
    """The calculator's tools, to use in-process or to serve."""
    return FunctionToolset([evaluate])


def build() -> Server[Any]:
    """The calculator as an MCP server."""
    return toolset_server(
        toolset(), name="calculator", instructions="Evaluates arithmetic expressions exactly."
    )
