"""The one evaluator of plain arithmetic (numbers with ``+ - * /``, unary signs and parentheses), without ``eval``.

The simulated endpoint uses it to answer arithmetic questions (:func:`agenteff.llm.sim.arithmetic_answer`) and the
ZeroEval protocol to evaluate fractional answers (``3/4`` -> 0.75, :mod:`agenteff.datasets.zeroeval`).
"""

from __future__ import annotations

import ast
import operator

__all__ = ["evaluate_arithmetic"]

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}


def _value(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_value(node.left), _value(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_value(node.operand))
    raise ValueError("not plain arithmetic")


def evaluate_arithmetic(expression: str) -> int | float:
    """The value of ``expression`` when it is plain arithmetic; ValueError for anything else (names, calls,
    powers, booleans, bad syntax, division by zero, numbers too large)."""
    try:
        return _value(ast.parse(expression.strip(), mode="eval").body)
    except (SyntaxError, ZeroDivisionError, OverflowError, RecursionError) as exc:
        raise ValueError(f"not plain arithmetic: {expression!r} ({type(exc).__name__})") from exc
