import pytest

from agenteff.arithmetic import evaluate_arithmetic


@pytest.mark.parametrize(
    "expression, value",
    [
        ("17 * 23", 391),
        ("2 + 3 * 4", 14),
        ("3/4", 0.75),
        ("-(1 - 3) / 4", 0.5),
        ("+6 - -2", 8),
        (" 1.5*2 ", 3.0),
    ],
)
def test_plain_arithmetic_is_evaluated(expression, value):
    assert evaluate_arithmetic(expression) == value


@pytest.mark.parametrize(
    "expression",
    [
        "1/0",  # division by zero
        "2**10",  # powers are not plain arithmetic
        "True/2",  # booleans are not numbers here
        "x/2",  # names
        "__import__('os')",  # calls
        "1/(2",  # bad syntax
        "\\frac{1}{2}",  # LaTeX
        "10" * 400 + "/1.0",  # an integer too large for a float
    ],
)
def test_anything_else_is_a_value_error(expression):
    with pytest.raises(ValueError):
        evaluate_arithmetic(expression)
