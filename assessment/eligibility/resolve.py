"""Resolve parsed rules against the vocabulary and a list's settings into typed rule trees.

This is where a rule is type-checked: unknown attributes, a comparison of the wrong type, an
enum value that does not exist, a set operator on a scalar, a cycle between predicates — each
raises :class:`ExpressionError` with a Chinese reason, which the list loader turns into a
:class:`~assessment.errors.FormFileError` naming the file and the item.
"""

from __future__ import annotations

from collections.abc import Mapping

from assessment.eligibility import syntax
from assessment.eligibility.rules import (
    AllOf,
    AnyOf,
    Atom,
    Negation,
    PredicateRef,
    RuleNode,
    Setting,
    leaves_of,
)
from assessment.eligibility.syntax import ExpressionError
from assessment.eligibility.vocabulary import Attribute, PredicateSource, Vocabulary

SettingValue = int | frozenset[int]
_OPS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}


def format_setting(value: SettingValue) -> str:
    """Display a setting value: ``1``, ``1、2`` or ``是``/``否``."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, frozenset):
        return "、".join(str(v) for v in sorted(value))
    return str(value)


class Resolver:
    """Resolves rules for one list version (its settings and predicate definitions)."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        settings: Mapping[str, SettingValue],
        predicates: Mapping[str, PredicateSource],
    ) -> None:
        self.vocabulary = vocabulary
        self.settings = settings
        self.predicates = predicates
        self._resolved: dict[str, PredicateRef] = {}
        self._active: list[str] = []

    def rule(self, text: str) -> RuleNode:
        """Parse and resolve one rule."""
        return self.node(syntax.parse(text))

    def node(self, node: syntax.Node) -> RuleNode:
        """Resolve a syntax node used as a condition."""
        if isinstance(node, syntax.And):
            return AllOf(tuple(self.node(i) for i in node.items))
        if isinstance(node, syntax.Or):
            return AnyOf(tuple(self.node(i) for i in node.items))
        if isinstance(node, syntax.Not):
            return Negation(self.node(node.item))
        if isinstance(node, syntax.Name):
            return self._bare(node.text)
        if isinstance(node, syntax.IsEmpty):
            attr = self._attribute(node.operand)
            if attr.kind != "set":
                raise ExpressionError(f"“{attr.name}”不是集合属性，不能判断是否为空")
            return Atom(attr.name, "not_empty" if node.negated else "empty", None)
        if isinstance(node, syntax.Compare):
            return self._compare(node)
        raise ExpressionError("取值不能单独作为条件")

    def predicate(self, name: str) -> PredicateRef:
        """Resolve a predicate by name (memoized; cycles are refused)."""
        if name in self._resolved:
            return self._resolved[name]
        if name in self._active:
            raise ExpressionError(f"谓词循环引用：{' → '.join([*self._active, name])}")
        source = self.predicates[name]
        self._active.append(name)
        try:
            body = self.rule(source.expr)
        except ExpressionError as exc:
            raise ExpressionError(f"谓词“{name}”：{exc}") from exc
        finally:
            self._active.pop()
        labels = {k: format_setting(v) for k, v in self.settings.items()}
        try:
            label = source.label.format_map(labels)
        except (KeyError, ValueError, IndexError) as exc:
            raise ExpressionError(f"谓词“{name}”的名称模板无效：{exc}") from exc
        ref = PredicateRef(name, label, body, leaves_of(body))
        self._resolved[name] = ref
        return ref

    def _bare(self, name: str) -> RuleNode:
        if name in self.predicates:
            return self.predicate(name)
        if name.startswith("settings."):
            key = name.removeprefix("settings.")
            if self.vocabulary.settings.get(key) != "bool":
                raise ExpressionError(f"设置“{name}”不是是/否设置，不能单独作为条件")
            value = self._setting(name)
            return Setting(key, self.vocabulary.setting_labels.get(key, key), bool(value))
        attr = self.vocabulary.attributes.get(name)
        if attr is None:
            raise ExpressionError(f"未知属性或谓词“{name}”")
        if attr.kind != "bool":
            raise ExpressionError(f"“{name}”不是布尔属性，不能单独作为条件")
        return Atom(name, "true", None)

    def _attribute(self, node: syntax.Node) -> Attribute:
        if not isinstance(node, syntax.Name):
            raise ExpressionError("比较的左边应为属性名")
        attr = self.vocabulary.attributes.get(node.text)
        if attr is None:
            raise ExpressionError(f"未知属性“{node.text}”")
        if attr.kind == "date":
            raise ExpressionError(f"日期属性“{attr.name}”不能直接比较（请用 age）")
        return attr

    def _compare(self, node: syntax.Compare) -> RuleNode:
        right_attr = self._maybe_set_attribute(node.right)
        if node.op == "<=" and isinstance(node.left, syntax.Name):
            left = self.vocabulary.attributes.get(node.left.text)
            if left is not None and left.kind == "set":
                values = self._set(left, node.right)
                label = "、".join(self._label(left, v) for v in left.codes if v in values)
                return Atom(left.name, "subset", values, label)
        if node.op in ("in", "not in") and right_attr is not None:
            code = self._scalar(right_attr, node.left)
            assert isinstance(code, str)
            op = "contains" if node.op == "in" else "not_contains"
            return Atom(right_attr.name, op, code, right_attr.value_label(code))
        attr = self._attribute(node.left)
        if node.op in ("in", "not in"):
            values = self._set(attr, node.right)
            label = "、".join(self._label(attr, v) for v in sorted(values, key=str))
            return Atom(attr.name, "in" if node.op == "in" else "not_in", values, label)
        if node.op == "within":
            if attr.kind != "division" or not isinstance(node.right, syntax.Literal):
                raise ExpressionError("within 只能用于区划代码属性与带引号的代码前缀")
            prefix = str(node.right.value)
            if not prefix.isdigit() or len(prefix) > 6:
                raise ExpressionError(f"区划代码前缀“{prefix}”无效")
            return Atom(attr.name, "within", prefix, prefix)
        op = _OPS[node.op]
        if attr.kind == "set":
            if op not in ("eq", "ne"):
                raise ExpressionError(f"集合属性“{attr.name}”只能用 ==、!=、<=、in、is empty")
            values = self._set(attr, node.right)
            label = "、".join(self._label(attr, v) for v in attr.codes if v in values)
            atom = Atom(attr.name, "set_eq", values, label)
            return atom if op == "eq" else Negation(atom)
        if op in ("lt", "le", "gt", "ge") and attr.kind not in ("int", "age"):
            raise ExpressionError(f"“{attr.name}”不是数值属性，不能比较大小")
        value = self._scalar(attr, node.right)
        return Atom(attr.name, op, value, self._label(attr, value))

    def _maybe_set_attribute(self, node: syntax.Node) -> Attribute | None:
        if isinstance(node, syntax.Name):
            attr = self.vocabulary.attributes.get(node.text)
            if attr is not None and attr.kind == "set":
                return attr
        return None

    def _setting(self, name: str) -> SettingValue:
        key = name.removeprefix("settings.")
        if key not in self.settings:
            raise ExpressionError(f"未知设置“{name}”")
        return self.settings[key]

    def _scalar(self, attr: Attribute, node: syntax.Node) -> int | bool | str:
        if isinstance(node, syntax.Name) and node.text.startswith("settings."):
            value = self._setting(node.text)
            if isinstance(value, frozenset):
                raise ExpressionError(f"设置“{node.text}”是集合，此处需要单个值")
            return self._check(attr, value)
        if isinstance(node, syntax.Name):
            return self._check(attr, node.text)
        if isinstance(node, syntax.Literal):
            return self._check(attr, node.value)
        raise ExpressionError(f"“{attr.name}”的比较值应为单个值")

    def _set(self, attr: Attribute, node: syntax.Node) -> frozenset[str] | frozenset[int]:
        if isinstance(node, syntax.Name) and node.text.startswith("settings."):
            value = self._setting(node.text)
            if not isinstance(value, frozenset):
                raise ExpressionError(f"设置“{node.text}”不是集合")
            items: list[int | bool | str] = [self._check(attr, v) for v in value]
        elif isinstance(node, syntax.SetLiteral):
            items = [
                self._check(attr, i.text if isinstance(i, syntax.Name) else i.value)
                for i in node.items
            ]
        else:
            raise ExpressionError("in 的右边应为集合 {…}、集合属性或集合设置")
        if all(isinstance(i, str) for i in items):
            return frozenset(str(i) for i in items)
        if all(isinstance(i, int) and not isinstance(i, bool) for i in items):
            return frozenset(int(i) for i in items)
        raise ExpressionError("集合中的取值类型不一致")

    def _check(self, attr: Attribute, value: int | bool | str) -> int | bool | str:
        """Type-check one literal against an attribute; return the canonical value."""
        kind = attr.kind
        if kind in ("enum", "set"):
            by_label = {label: code for code, label in attr.values}
            if isinstance(value, str) and (value in attr.codes or value in by_label):
                return value if value in attr.codes else by_label[value]
            raise ExpressionError(f"“{value}”不是“{attr.name}”（{attr.label}）的有效取值")
        if kind in ("int", "age"):
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            raise ExpressionError(f"“{attr.name}”应与整数比较，而不是“{value}”")
        if kind == "bool":
            if isinstance(value, bool):
                return value
            raise ExpressionError(f"“{attr.name}”应与 true/false 比较")
        if isinstance(value, str):
            return value
        raise ExpressionError(f"“{attr.name}”应与带引号的文字比较")

    @staticmethod
    def _label(attr: Attribute, value: object) -> str:
        if attr.kind in ("enum", "set") and isinstance(value, str):
            return attr.value_label(value)
        if isinstance(value, bool):
            return "是" if value else "否"
        return str(value)
