"""The calculator: exact arithmetic, clear errors, and bounded work for hostile expressions."""

from __future__ import annotations

import pytest

from tools import ToolResult
from tools.servers import calculator

GUARD_SECS = 2.0
"""A call that has not answered by then is a denial of service; the toolset reports it as a timeout."""


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("7 / 2", "3.5"),
        ("7 // 2", "3"),
        ("-7 // 2", "-4"),
        ("7 % 3", "1"),
        ("2 ** 10", "1024"),
        ("2 ** -1", "0.5"),
        ("-3 ** 2", "-9"),
        ("0.1 + 0.2", "0.30000000000000004"),
        ("1234 * 5678", "7006652"),
        ("2 ** 100", "1267650600228229401496703205376"),
        ("sqrt(16) + abs(-2)", "6.0"),
        ("round(pi, 4)", "3.1416"),
        ("max(1, 5, 3) - min(4, 2)", "3"),
        ("factorial(20)", "2432902008176640000"),
        ("gcd(12, 18)", "6"),
        ("log(e)", "1.0"),
        ("  3\t+ 4 ", "7"),
        ("1e3 * 2", "2000.0"),
    ],
)
async def test_arithmetic(expression: str, expected: str) -> None:
    result = await calculator.toolset().call_tool("evaluate", {"expression": expression})
    assert result == ToolResult.from_text(expected)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1 / 0", "division by zero in '1 / 0'"),
        ("sqrt(-1)", "sqrt(-1): math domain error"),
        ("x + 1", "unknown name 'x'; known constants: e, pi, tau"),
        ("pow(2, 3)", "unknown function 'pow'; known functions: abs, acos"),
        ("__import__('os').system('echo hi')", "unsupported syntax"),
        ("__import__('os')", "unknown function '__import__'"),
        ("().__class__", "unsupported syntax '().__class__'"),
        ("'a' * 3", "'a' is not a number"),
        ("True + 1", "True is not a number"),
        ("1j * 2", "1j is not a number"),
        ("[1, 2]", "unsupported syntax '[1, 2]'"),
        ("1 < 2", "unsupported syntax '1 < 2'"),
        ("lambda: 1", "unsupported syntax"),
        ("round(x=1)", "unsupported syntax"),
        ("2 +", "not an arithmetic expression: invalid syntax"),
        ("(-8) ** 0.5", "the result is a complex number"),
        ("", "not an arithmetic expression"),
    ],
)
async def test_anything_else_is_a_clear_error(expression: str, message: str) -> None:
    result = await calculator.toolset().call_tool("evaluate", {"expression": expression})
    assert result.is_error and message in result.text


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("9**9**9", "exponent 387420489 is larger than 10000"),
        ("9**9**9**9", "larger than 10000"),
        ("10 ** 100000", "exponent 100000 is larger than 10000"),
        ("(10 ** 5000)", "10 ** 5000 has more than 4000 digits"),
        ("7 ** 9999", "has more than 4000 digits"),
        ("(10 ** 3000) * (10 ** 3000)", "the result has more than 4000 digits"),
        ("(10 ** 2000) ** 2 ** 2", "has more than 4000 digits"),
        ("2.0 ** 9999", "is too large for a float"),
        ("1e308 * 10", "is not a finite number"),
        ("exp(1000)", "is too large for a float"),
        ("factorial(100000)", "factorial() arguments larger than 1000 are not supported"),
        ("comb(10**6, 5000)", "comb() arguments larger than 1000"),
        ("factorial(10**9) // 1", "larger than 1000"),
        ("(" * 300 + "1" + ")" * 300, "too many nested parentheses"),
        ("-" * 999 + "1", "expression is nested more than 250 levels deep"),
        ("+".join(["1"] * 400), "expression is nested more than 250 levels deep"),
        ("1" * 1001, "expression of 1001 characters; the limit is 1000"),
        ("*".join(["9**4000"] * 100), "the result has more than 4000 digits"),
    ],
)
async def test_denial_of_service_is_refused_quickly(expression: str, message: str) -> None:
    result = await calculator.toolset().call_tool(
        "evaluate", {"expression": expression}, timeout_secs=GUARD_SECS
    )
    assert "timed out" not in result.text
    assert result.is_error and message in result.text


def test_largest_allowed_results_are_still_exact() -> None:
    assert calculator.evaluate_expression("10 ** 3999") == 10**3999
    assert calculator.evaluate_expression("+".join(["1"] * 200)) == 200
    assert calculator.evaluate_expression("-" * 200 + "1") == 1
    assert len(calculator.format_number(calculator.evaluate_expression("factorial(1000)"))) == 2568
