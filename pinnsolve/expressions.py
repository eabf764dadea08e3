"""Safe arithmetic expressions for PDE residuals and boundary values written in YAML.

A string such as ``"u_t + u*u_x - nu*u_xx"`` or ``"-sin(pi*x)"`` is parsed with
``ast.parse(text, mode="eval")``; the syntax tree is checked against a whitelist and turned into
a tree of small closures that evaluate on torch tensors. Nothing is ever executed as Python code,
so a spec file cannot run code.

Grammar (everything else is refused with a :class:`SpecError`)::

    expr     := number | symbol | "(" expr ")" | ("+" | "-") expr
              | expr ("+" | "-" | "*" | "/" | "**") expr
              | function "(" expr ")"
    number   := integer, decimal or scientific literal (1, 2.5, 1e-3)
    symbol   := one of the allowed names, or a constant (pi)
    function := sin | cos | tan | exp | log | sqrt | tanh | abs

Python precedence applies: ``-x**2`` is ``-(x**2)`` and ``2**3**2`` is ``2**(3**2)``.
Sub-expressions made only of numbers and constants are folded at compile time, so ``"log(-1)"``
or ``"1/0"`` is refused then rather than failing during training. Plain numbers in the evaluation
environment are treated as 0-d tensors, so evaluation gives nan/inf where float math would raise.
"""

from __future__ import annotations

import ast
import math
import operator
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import NoReturn

import torch

from pinnsolve.errors import SpecError

__all__ = ["CONSTANTS", "FUNCTIONS", "Expression", "compile_expression"]

Value = torch.Tensor | float


def _elementwise(name: str, on_tensor: Callable, on_float: Callable) -> Callable[[Value], Value]:
    def apply(x: Value) -> Value:  # a tensor, or what computes like one (a forward-mode jet)
        return on_float(x) if isinstance(x, (int, float)) else on_tensor(x)

    apply.__name__ = apply.__qualname__ = name
    return apply


FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    name: _elementwise(name, on_tensor, on_float)
    for name, on_tensor, on_float in [
        ("sin", torch.sin, math.sin),
        ("cos", torch.cos, math.cos),
        ("tan", torch.tan, math.tan),
        ("exp", torch.exp, math.exp),
        ("log", torch.log, math.log),
        ("sqrt", torch.sqrt, math.sqrt),
        ("tanh", torch.tanh, math.tanh),
        ("abs", torch.abs, math.fabs),
    ]
}
CONSTANTS = {"pi": math.pi}

MAX_LENGTH = 2000
# Bounds the recursion of both the compiler and the evaluating closures well below Python's limit.
MAX_DEPTH = 200

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_REFUSED = {
    ast.Attribute: "attribute access", ast.Subscript: "subscripts",
    ast.Lambda: "lambdas", ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "generator expressions",
    ast.JoinedStr: "f-strings", ast.Compare: "comparisons", ast.BoolOp: "'and'/'or'",
    ast.IfExp: "conditional expressions", ast.NamedExpr: "assignment expressions (:=)",
    ast.Starred: "starred arguments", ast.List: "lists", ast.Tuple: "tuples", ast.Set: "sets",
    ast.Dict: "dicts", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
}
_OPERATOR_NAMES = {ast.Mod: "%", ast.FloorDiv: "//", ast.BitXor: "^", ast.BitAnd: "&",
                   ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@",
                   ast.Invert: "~", ast.Not: "not"}

Compiled = Callable[[Mapping[str, Value]], torch.Tensor] | float  # a float is a folded constant


@dataclass(frozen=True)
class Expression:
    """A compiled expression; call it with a mapping from symbol names to tensors or floats."""

    text: str
    names: frozenset[str]
    _compiled: Compiled = field(repr=False, compare=False)

    def __call__(self, env: Mapping[str, Value]) -> Value:
        compiled = self._compiled
        return compiled if isinstance(compiled, float) else compiled(env)


def compile_expression(text: str | int | float, allowed: Collection[str], path: str) -> Expression:
    """Compile `text`; symbols must be in `allowed` (or CONSTANTS).

    Errors raise SpecError(path, msg).
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        try:
            return Expression(str(text), frozenset(), _finite(text))
        except ValueError as error:
            raise SpecError(path, f"number {text!r} is {error}") from None
    if not isinstance(text, str):
        got = type(text).__name__
        raise SpecError(path, f"expected an expression string or a number, got {got}")
    if len(text) > MAX_LENGTH:
        raise SpecError(path, f"expression has {len(text)} characters; the limit is {MAX_LENGTH}")
    source = text.strip()
    if not source:
        raise SpecError(path, "expression is empty")
    compiler = _Compiler(source, allowed, path)
    for column, char in enumerate(source, 1):
        if not (char.isascii() and (char.isprintable() or char in "\t\n\r")):
            compiler.fail(f"unsupported character {char!r} at column {column}",
                          hint="write expressions in plain ASCII")
    try:
        # The parser warns about e.g. bad escapes in string literals, which are refused anyway.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        where = _position(error.lineno or 1, max(error.offset or 1, 1))
        detail = "" if error.msg == "invalid syntax" else f" ({error.msg})"
        compiler.fail(f"invalid syntax{detail} at {where}")
    except (RecursionError, MemoryError, ValueError) as error:
        compiler.fail(f"cannot parse ({type(error).__name__}: {error})",
                      hint="is it nested too deeply?")
    compiled = compiler.build(tree.body, depth=0)
    return Expression(text, frozenset(compiler.names), compiled)


def _position(lineno: int, column: int) -> str:
    return f"column {column}" if lineno == 1 else f"line {lineno}, column {column}"


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _finite(value: complex | float | int) -> float:
    """`value` as a finite float, or ValueError saying what it is instead."""
    if isinstance(value, complex):
        raise ValueError("not a real number")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError("too large") from None
    if not math.isfinite(number):
        raise ValueError("not finite")
    return number


class SymbolTable(Collection):
    """Allowed names that may accept more than it lists (say, derivatives of any order);
    ``description`` replaces the listing in error messages."""

    description: str


class _Compiler:
    def __init__(self, source: str, allowed: Collection[str], path: str):
        self.source = source
        # Membership is the caller's (a symbol table may accept names it does not list); its
        # optional ``description`` replaces the listing in messages.
        self.allowed = allowed
        self.description = allowed.description if isinstance(allowed, SymbolTable) else None
        # Keep the caller's order for messages; sets have none, so sort those.
        self.listed = sorted(allowed) if isinstance(allowed, (set, frozenset)) else list(allowed)
        self.path = path
        self.names: set[str] = set()

    def fail(self, message: str, node: ast.AST | None = None, hint: str = "") -> NoReturn:
        where = f" at {_position(node.lineno, node.col_offset + 1)}" if node is not None else ""
        hint = f"; {hint}" if hint else ""
        raise SpecError(self.path, f"{message}{where} in {_clip(self.source)!r}{hint}")

    def build(self, node: ast.AST, depth: int) -> Compiled:
        if depth > MAX_DEPTH:
            self.fail(f"expression is nested more than {MAX_DEPTH} levels deep")
        depth += 1
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.symbol(node)
        if isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                self.refuse_operator(node)
            return self.apply(_UNARY[type(node.op)], [self.build(node.operand, depth)], node)
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                self.refuse_operator(node)
            operands = [self.build(node.left, depth), self.build(node.right, depth)]
            return self.apply(_BINARY[type(node.op)], operands, node)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        self.fail(f"not allowed: {_REFUSED.get(type(node), type(node).__name__)}", node)

    def refuse_operator(self, node: ast.UnaryOp | ast.BinOp) -> NoReturn:
        symbol = _OPERATOR_NAMES[type(node.op)]
        hint = "use ** for powers" if symbol == "^" else "the operators are + - * / **"
        self.fail(f"operator {symbol!r} is not allowed", node, hint)

    def constant(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            self.fail(f"{value!r} is not allowed", node)
        if isinstance(value, (str, bytes)):
            self.fail(f"{type(value).__name__} literals are not allowed", node)
        if isinstance(value, complex):
            self.fail("complex numbers are not allowed", node)
        try:
            return _finite(value)
        except ValueError as error:
            self.fail(f"number {self.segment(node)!r} is {error}", node)

    def symbol(self, node: ast.Name) -> Compiled:
        name = node.id
        if name.startswith("__"):
            self.fail(f"names starting with '__' such as {name!r} are not allowed", node)
        if name in self.allowed:
            self.names.add(name)
            return _variable(name)
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            self.fail(f"{name!r} is a function; call it as {name}(...)", node)
        if self.description:
            self.fail(f"unknown symbol {_clip(name)!r}", node, f"expected {self.description}")
        expected = self.listed + [c for c in CONSTANTS if c not in self.allowed]
        listing = ", ".join(expected[:20])
        if len(expected) > 20:
            listing += f", ... ({len(expected) - 20} more)"
        self.fail(f"unknown symbol {_clip(name)!r}", node, f"expected one of: {listing}")

    def call(self, node: ast.Call, depth: int) -> Compiled:
        func = node.func
        if not isinstance(func, ast.Name):
            self.fail("only calls of named functions are allowed", node)
        if func.id not in FUNCTIONS:
            self.fail(f"{_clip(func.id)!r} is not a known function", node,
                      f"functions are: {', '.join(FUNCTIONS)}")
        if node.keywords:
            self.fail(f"keyword arguments are not allowed in the call of {func.id}", node)
        if len(node.args) != 1:
            self.fail(f"{func.id} takes exactly 1 argument ({len(node.args)} given)", node)
        return self.apply(FUNCTIONS[func.id], [self.build(node.args[0], depth)], node)

    def apply(self, fn: Callable, operands: list[Compiled], node: ast.AST) -> Compiled:
        if all(isinstance(x, float) for x in operands):
            return self.fold(fn, operands, node)
        if len(operands) == 1:
            (a,) = operands
            return lambda env: fn(a(env))
        a, b = operands
        if isinstance(a, float):
            return lambda env: fn(a, b(env))
        if isinstance(b, float):
            return lambda env: fn(a(env), b)
        return lambda env: fn(a(env), b(env))

    def fold(self, fn: Callable, operands: list[float], node: ast.AST) -> float:
        try:
            return _finite(fn(*operands))
        except (ArithmeticError, ValueError) as error:
            reason = "overflow" if isinstance(error, OverflowError) else error
            self.fail(f"cannot evaluate constant {self.segment(node)!r} ({reason})", node)

    def segment(self, node: ast.AST) -> str:
        return _clip(ast.get_source_segment(self.source, node) or "")


def _variable(name: str) -> Callable[[Mapping[str, Value]], torch.Tensor]:
    # Plain numbers become float64 0-d tensors: they then follow tensor semantics (nan/inf rather
    # than ZeroDivisionError or complex results) and, being 0-d, keep the other operands' dtype.
    def read(env: Mapping[str, Value]) -> torch.Tensor:
        value = env[name]
        if isinstance(value, (int, float)):
            return torch.as_tensor(value, dtype=torch.float64)
        return value

    return read
