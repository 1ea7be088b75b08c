"""The rule language: tokenizer and parser to an untyped syntax tree (no Python ``eval``).

Grammar (keywords are lower case; names may be Chinese, e.g. ``与子女居住``)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | condition
    condition  := operand [ OP operand | ["not"] "in" operand | "within" operand
                          | "is" ["not"] "empty" ]
    operand    := NAME | NUMBER | STRING | "true" | "false" | "{" [item ("," item)*] "}"
                | "(" expr ")"
    OP         := "==" | "!=" | ">=" | "<=" | ">" | "<"

Names are resolved (attribute, predicate, ``settings.X`` or bare enum value) later, by
:mod:`assessment.eligibility.resolve`, against the vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+)|(?P<str>\"[^\"]*\"|'[^']*')|(?P<op>==|!=|>=|<=|>|<)"
    r"|(?P<punct>[{}(),])|(?P<name>[^\W\d][\w]*(?:\.[^\W\d][\w]*)*))",
    re.UNICODE,
)
_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "empty", "within", "true", "false"})


class ExpressionError(ValueError):
    """A rule that cannot be parsed or resolved; the message is Chinese."""


@dataclass(frozen=True, slots=True)
class Name:
    """A bare name: attribute, predicate, ``settings.X`` or an enum value code."""

    text: str


@dataclass(frozen=True, slots=True)
class Literal:
    """A number, quoted string or boolean."""

    value: int | str | bool


@dataclass(frozen=True, slots=True)
class SetLiteral:
    """``{a, b, c}``."""

    items: tuple[Name | Literal, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    """``left OP right`` where OP is a comparison, ``in``, ``not in`` or ``within``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class IsEmpty:
    """``operand is empty`` / ``operand is not empty``."""

    operand: Node
    negated: bool


@dataclass(frozen=True, slots=True)
class And:
    """Conjunction of two or more nodes."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """Disjunction of two or more nodes."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """Negation."""

    item: Node


Node = Name | Literal | SetLiteral | Compare | IsEmpty | And | Or | Not


def tokenize(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into ``(kind, text)`` tokens; kinds: num, str, op, punct, name, kw."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ExpressionError(
                f"无法识别的字符“{text[pos:].strip()[:10]}”（第 {pos + 1} 个字符）"
            )
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "name" and value in _KEYWORDS:
            kind = "kw"
        tokens.append((kind, value))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def accept(self, kind: str, value: str | None = None) -> bool:
        tok = self.peek()
        if tok[0] == kind and (value is None or tok[1] == value):
            self.pos += 1
            return True
        return False

    def expect(self, kind: str, value: str) -> None:
        if not self.accept(kind, value):
            raise ExpressionError(f"此处应为“{value}”，实为“{self.peek()[1] or '结尾'}”")

    def expr(self) -> Node:
        items = [self.and_expr()]
        while self.accept("kw", "or"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.accept("kw", "and"):
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        if self.accept("kw", "not"):
            return Not(self.not_expr())
        return self.condition()

    def condition(self) -> Node:
        left = self.operand()
        kind, value = self.peek()
        if kind == "op":
            self.pos += 1
            return Compare(value, left, self.operand())
        if self.accept("kw", "in"):
            return Compare("in", left, self.operand())
        if self.accept("kw", "within"):
            return Compare("within", left, self.operand())
        if kind == "kw" and value == "not" and self.tokens[self.pos + 1 :][:1] == [("kw", "in")]:
            self.pos += 2
            return Compare("not in", left, self.operand())
        if self.accept("kw", "is"):
            negated = self.accept("kw", "not")
            self.expect("kw", "empty")
            return IsEmpty(left, negated)
        return left

    def item(self) -> Name | Literal:
        node = self.operand()
        if not isinstance(node, Name | Literal):
            raise ExpressionError("集合中只能写取值")
        return node

    def operand(self) -> Node:
        kind, value = self.peek()
        self.pos += 1
        if kind == "num":
            return Literal(int(value))
        if kind == "str":
            return Literal(value[1:-1])
        if kind == "name":
            return Name(value)
        if kind == "kw" and value in ("true", "false"):
            return Literal(value == "true")
        if (kind, value) == ("punct", "("):
            node = self.expr()
            self.expect("punct", ")")
            return node
        if (kind, value) == ("punct", "{"):
            items: list[Name | Literal] = []
            if not self.accept("punct", "}"):
                items.append(self.item())
                while self.accept("punct", ","):
                    items.append(self.item())
                self.expect("punct", "}")
            return SetLiteral(tuple(items))
        raise ExpressionError(f"此处应为条件或取值，实为“{value or '结尾'}”")


def parse(text: str) -> Node:
    """Parse a rule into its syntax tree; raise :class:`ExpressionError` when malformed."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("规则为空")
    parser = _Parser(tokenize(text))
    node = parser.expr()
    if parser.pos != len(parser.tokens):
        raise ExpressionError(f"规则在“{parser.peek()[1]}”处多余")
    return node
