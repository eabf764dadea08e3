import io
import math
import re
import tokenize
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import pinnsolve.expressions as expressions
from pinnsolve.errors import SpecError
from pinnsolve.expressions import CONSTANTS, FUNCTIONS, Expression, compile_expression

PATH = "equations.residual"
ALLOWED = ["u", "u_t", "u_x", "u_xx", "u1_t", "nu", "x", "t"]

X = np.linspace(-0.9, 1.7, 11)
T = np.linspace(0.1, 2.0, 11)


def env_tensors(dtype=torch.float64):
    return {"x": torch.tensor(X, dtype=dtype), "t": torch.tensor(T, dtype=dtype), "nu": 0.25}


# (expression, the same computed independently with NumPy from x, t and nu = 0.25)
VALUE_CASES = [
    ("x", lambda x, t: x),
    ("x + t*2", lambda x, t: x + 2 * t),
    ("1 + 2*x**2", lambda x, t: 1 + 2 * np.square(x)),
    ("-x**2", lambda x, t: -np.square(x)),
    ("(-x)**2", lambda x, t: np.square(x)),
    ("x*-t", lambda x, t: -(x * t)),
    ("--x", lambda x, t: x),
    ("+x - -t", lambda x, t: x + t),
    ("x - t - 1", lambda x, t: (x - t) - 1),
    ("x / t / 2", lambda x, t: (x / t) / 2),
    ("t**2**0.5", lambda x, t: np.power(t, np.sqrt(2))),
    ("2**-t", lambda x, t: np.power(0.5, t)),
    ("(x + t) * (x - t)", lambda x, t: np.square(x) - np.square(t)),
    ("-sin(pi*x)", lambda x, t: -np.sin(np.pi * x)),
    ("cos(x)*exp(-t) + tan(x/2)", lambda x, t: np.cos(x) * np.exp(-t) + np.tan(x / 2)),
    ("log(t) + sqrt(t) - tanh(x)", lambda x, t: np.log(t) + np.sqrt(t) - np.tanh(x)),
    ("abs(x) * 1e-3 + 2.5E2", lambda x, t: np.abs(x) / 1000 + 250),
    ("nu*x + 1/nu", lambda x, t: 0.25 * x + 4),
    ("exp(-nu*pi**2*t)*sin(pi*x)", lambda x, t: np.exp(-0.25 * np.pi**2 * t) * np.sin(np.pi * x)),
]


@pytest.mark.parametrize("text, expected", VALUE_CASES)
def test_values_on_tensors(text, expected):
    result = compile_expression(text, ALLOWED, PATH)(env_tensors())
    assert isinstance(result, torch.Tensor) and result.dtype == torch.float64
    np.testing.assert_allclose(result.numpy(), np.broadcast_to(expected(X, T), X.shape), rtol=1e-12)


@pytest.mark.parametrize("text, expected", VALUE_CASES)
def test_values_on_floats(text, expected):
    x, t = 0.3, 1.2
    result = compile_expression(text, ALLOWED, PATH)({"x": x, "t": t, "nu": 0.25})
    assert result.shape == ()
    assert float(result) == pytest.approx(float(expected(np.float64(x), np.float64(t))), rel=1e-12)


def test_broadcasting_and_dtype():
    expr = compile_expression("x*t + nu", ALLOWED, PATH)
    x = torch.linspace(0, 1, 4, dtype=torch.float32).reshape(4, 1)
    t = torch.linspace(0, 1, 3, dtype=torch.float32).reshape(1, 3)
    result = expr({"x": x, "t": t, "nu": 0.1})
    assert result.shape == (4, 3) and result.dtype == torch.float32
    torch.testing.assert_close(result, x * t + 0.1)


def test_float_environment_gives_ieee_results_instead_of_raising():
    values = {"x": 0.0, "t": -8.0, "nu": -1.0}
    assert math.isinf(compile_expression("1/x", ALLOWED, PATH)(values))
    assert math.isnan(compile_expression("log(nu) + sqrt(nu)", ALLOWED, PATH)(values))
    assert math.isnan(compile_expression("t**(1/3)", ALLOWED, PATH)(values))
    assert math.isinf(compile_expression("exp(-t*1000)", ALLOWED, PATH)(values))


def test_gradients_flow_through():
    x = torch.linspace(0.1, 2.0, 7, dtype=torch.float64, requires_grad=True)
    t = torch.linspace(0.0, 1.0, 7, dtype=torch.float64)
    expr = compile_expression("sin(x)*exp(-t) + x**3/2 - sqrt(x) + log(x) * tanh(x)", ALLOWED, PATH)
    (grad,) = torch.autograd.grad(expr({"x": x, "t": t}).sum(), x)
    with torch.no_grad():
        expected = (torch.cos(x) * torch.exp(-t) + 1.5 * x**2 - 0.5 / torch.sqrt(x)
                    + torch.tanh(x) / x + torch.log(x) / torch.cosh(x) ** 2)
    torch.testing.assert_close(grad, expected)


def test_second_derivative():
    x = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64, requires_grad=True)
    u = compile_expression("-x**2*cos(x)", ["x"], PATH)({"x": x})
    (du,) = torch.autograd.grad(u.sum(), x, create_graph=True)
    (d2u,) = torch.autograd.grad(du.sum(), x)
    expected = (-2 * torch.cos(x) + 4 * x * torch.sin(x) + x**2 * torch.cos(x)).detach()
    torch.testing.assert_close(d2u, expected)


@pytest.mark.parametrize("text, expected", [
    ("u_t + u*u_x - nu*u_xx", {"u_t", "u", "u_x", "nu", "u_xx"}),
    ("-sin(pi*x)", {"x"}),
    ("u1_t + 0*t", {"u1_t", "t"}),
    ("x*x + x", {"x"}),
    ("2*pi", set()),
    ("exp(1)", set()),
])
def test_names(text, expected):
    expr = compile_expression(text, ALLOWED, PATH)
    assert isinstance(expr, Expression)
    assert expr.names == frozenset(expected)
    assert expr.text == text


@pytest.mark.parametrize("text, expected", [
    ("0", 0.0), ("3", 3.0), ("2*pi", 2 * math.pi), ("-2**2", -4.0), ("2**3**2", 512.0),
    ("(1+2)*3", 9.0), ("1-2-3", -4.0), ("8/2/2", 2.0), ("sin(pi/2)", 1.0), ("1e-3", 0.001),
    ("  -1.5 ", -1.5), ("exp(log(2))", 2.0), ("abs(-3)", 3.0), (0, 0.0), (2, 2.0), (-0.5, -0.5),
])
def test_constants_are_floats(text, expected):
    expr = compile_expression(text, ALLOWED, PATH)
    value = expr({})
    assert type(value) is float and value == pytest.approx(expected, rel=1e-15)
    assert expr.names == frozenset()


def test_allowed_symbol_shadows_constant():
    expr = compile_expression("2*pi", ["pi"], PATH)
    assert expr.names == frozenset({"pi"})
    assert float(expr({"pi": 1.5})) == 3.0


def test_set_of_allowed_names_and_function_table():
    assert compile_expression("a + b", {"b", "a"}, PATH).names == {"a", "b"}
    assert set(FUNCTIONS) == {"sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "abs"}
    assert CONSTANTS == {"pi": math.pi}
    assert FUNCTIONS["sqrt"](4.0) == 2.0
    torch.testing.assert_close(FUNCTIONS["abs"](torch.tensor([-1.0])), torch.tensor([1.0]))


def refused(text, allowed=ALLOWED, match=None):
    with pytest.raises(SpecError) as info:
        compile_expression(text, allowed, PATH)
    message = str(info.value)
    assert info.value.path == PATH and message.startswith(PATH + ": ")
    assert "\n" not in message
    if match is not None:
        assert match in message, message
    return message


@pytest.mark.parametrize("text", [
    "__import__('os')", "().__class__.__bases__", "open('f')", "eval('1')", "exec('x')",
    "globals()", "locals()", "getattr(x, 'y')", "compile('1', 'f', 'eval')", "vars()",
    "x.__class__", "sin.__call__(x)", "(lambda: 1)()", "[c for c in ()]", "x[0]",
    "__builtins__", "sin(__name__)",
])
def test_escape_attempts_are_refused(text):
    refused(text)


@pytest.mark.parametrize("text, match", [
    ("x +", "column"),
    ("sin(x", "column"),
    ("(x +\n t +)", "line 2"),
    ("u_t + v", "unknown symbol 'v'"),
    ("x.real", "attribute"),
    ("x[0]", "subscript"),
    ("x[1:2]", "subscript"),
    ("lambda: 1", "lambda"),
    ("[x for x in t]", "comprehension"),
    ("{x for x in t}", "comprehension"),
    ("{x: 1 for x in t}", "comprehension"),
    ("sin(x for x in t)", "generator"),
    ("'x'", "str"),
    ("b'x'", "bytes"),
    ("True", "True"),
    ("False", "False"),
    ("None", "None"),
    ("...", "Ellipsis"),
    ("1j", "complex"),
    ("f'{x}'", "f-string"),
    ("x < t", "comparison"),
    ("x == t", "comparison"),
    ("x and t", "'and'/'or'"),
    ("not x", "'not'"),
    ("x if t else u", "conditional"),
    ("(y := 1)", ":="),
    ("sin(*x)", "starred"),
    ("sin(x=1)", "keyword"),
    ("sin(x, t)", "exactly 1 argument (2 given)"),
    ("sin()", "exactly 1 argument (0 given)"),
    ("foo(x)", "'foo' is not a known function"),
    ("u(x)", "'u' is not a known function"),
    ("sin", "is a function"),
    ("x ^ 2", "use ** for powers"),
    ("x % 2", "'%'"),
    ("x // 2", "'//'"),
    ("x & t", "'&'"),
    ("x | t", "'|'"),
    ("x << 1", "'<<'"),
    ("x >> 1", "'>>'"),
    ("~x", "'~'"),
    ("x @ t", "'@'"),
    ("[x, t]", "list"),
    ("(x, t)", "tuple"),
    ("{x}", "set"),
    ("{x: t}", "dict"),
    ("await x", "await"),
    ("(yield x)", "yield"),
    ("", "empty"),
    ("   \n\t ", "empty"),
    ("x" * 2001, "limit is 2000"),
    ("x − 1", "unsupported character '−' at column 3"),
    ("x\x00", "unsupported character"),
    ("1/0", "division by zero"),
    ("log(-1)", "cannot evaluate constant 'log(-1)'"),
    ("sqrt(-2*pi)", "cannot evaluate constant"),
    ("(-8)**(1/3)", "not a real number"),
    ("10.0**400", "overflow"),
    ("exp(1000)", "overflow"),
    ("1e400", "not finite"),
    ("9" * 400, "too large"),
])
def test_refusals(text, match):
    refused(text, match=match)


def test_unknown_symbol_message_lists_allowed_names():
    message = refused("u_t + v", ["u", "u_t", "u_x", "nu", "x", "t"])
    assert "unknown symbol 'v'" in message and "'u_t + v'" in message
    assert "expected one of: u, u_t, u_x, nu, x, t, pi" in message
    many = [f"s{i}" for i in range(100)]
    message = refused("q", many)
    assert "s19, ... (81 more)" in message and "s20" not in message


def test_dunder_names_refused_even_when_allowed():
    refused("__x__ + 1", ["__x__"], match="'__'")


def test_long_text_is_clipped_in_messages():
    message = refused("x + " * 400 + "v")
    assert len(message) < 400


@pytest.mark.parametrize("text", [
    "-" * 1999 + "x",
    "1+" * 999 + "1",
    "x**" * 600 + "x",
    "(" * 300 + "x" + ")" * 300,
    "sin(" * 300 + "x" + ")" * 300,
])
def test_deep_nesting_is_refused(text):
    refused(text)


def test_moderate_nesting_evaluates():
    text = "+".join(["x"] * 150)
    x = torch.ones(3)
    torch.testing.assert_close(compile_expression(text, ["x"], PATH)({"x": x}), 150 * x)


@pytest.mark.parametrize("value", [None, True, False, [1], {"a": 1}, b"x", 1j, object()])
def test_non_string_non_number_input(value):
    refused(value, match="expected an expression string or a number")


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 10**400])
def test_non_finite_number_input(value):
    refused(value)


def test_source_never_evaluates_code():
    source = Path(expressions.__file__).read_text()
    assert "eval(" not in source and "exec(" not in source
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    names = {tok.string for tok in tokens if tok.type == tokenize.NAME}
    assert not names & {"eval", "exec", "compile", "__import__", "getattr", "globals", "locals",
                        "open", "literal_eval", "pickle", "importlib"}
    # The only place the word "eval" may appear in code is the parser mode argument.
    code_strings = [tok.string for tok in tokens if tok.type == tokenize.STRING
                    and re.search(r"\beval\b", tok.string) and not tok.string.startswith('"""')]
    assert code_strings == ['"eval"']
    assert 'ast.parse(source, mode="eval")' in source


FRAGMENTS = [
    "u", "x", "t", "nu", "u_x", "u_xx", "pi", "v", "sin", "log", "sqrt", "exp", "abs", "__class__",
    "__import__", "lambda", "if", "else", "and", "not", "for", "in", "(", ")", "[", "]", "{", "}",
    ",", ":", ".", "'", '"', "+", "-", "*", "/", "**", "^", "%", "//", "=", ":=", "<", "@", "~",
    "0", "1", "2.5", "1e3", "1e400", "0.0", "9" * 30, " ", "\n", "\t", "\\", "#", "j", "_", "é",
]
fragment_text = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)
arithmetic_text = st.lists(
    st.sampled_from(["x", "t", "nu", "pi", "0", "1", "2.5", "1e3", "+", "-", "*", "/", "**", "(",
                     ")", "sin(", "log(", "sqrt(", "exp(", "tan(", "abs(", "tanh(", "cos("]),
    max_size=25,
).map("".join)

# Well-formed expressions, so that the evaluation fuzz mostly evaluates rather than refuses.
grammar_text = st.recursive(
    st.sampled_from(["x", "t", "nu", "u", "u_x", "pi"])
    | st.floats(-1e3, 1e3, allow_nan=False).map(repr)
    | st.integers(0, 50).map(str),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(" ".join),
        st.tuples(st.sampled_from(list(FUNCTIONS)), inner).map(lambda p: f"{p[0]}({p[1]})"),
        inner.map(lambda e: f"-{e}"),
        inner.map(lambda e: f"({e})"),
    ),
    max_leaves=12,
)


def compile_or_refuse(text):
    try:
        return compile_expression(text, ALLOWED, PATH)
    except SpecError as error:
        assert error.path == PATH and str(error).startswith(PATH + ": ")
        assert "\n" not in str(error)
        return None


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), fragment_text, arithmetic_text, grammar_text))
def test_fuzz_compile_returns_expression_or_spec_error(text):
    expr = compile_or_refuse(text)
    assert expr is None or isinstance(expr, Expression)


@settings(max_examples=300, deadline=None)
@given(st.one_of(grammar_text, arithmetic_text, fragment_text))
def test_fuzz_evaluation_gives_arithmetic_results(text):
    expr = compile_or_refuse(text)
    if expr is None:
        return
    env = {"x": torch.tensor([-1.0, 0.0, 0.5, 2.0]), "t": torch.tensor([0.0, 1.0, -3.0, 1e-8]),
           "nu": 0.0, "u": torch.zeros(4), "u_x": torch.ones(4), "u_xx": torch.full((4,), -1.0),
           "u_t": torch.full((4,), 1e30), "u1_t": torch.full((4,), -1e-30)}
    result = expr(env)
    assert expr.names <= set(env)
    if expr.names:
        assert isinstance(result, torch.Tensor) and result.dtype.is_floating_point
        assert result.shape in {(), (4,)}
    else:
        assert type(result) is float and math.isfinite(result)
