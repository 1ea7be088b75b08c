"""``yinling score FILE``: grade assessments given as JSON (one object or an array).

Input per assessment (spec: issue "Foundation", item 7)::

    {"items": {"B.1.1": 4, …, "B.4.5": 4},       # all 26 items, integers in range
     "coma": false,                               # A.5.11 昏迷 (optional)
     "diagnoses": ["F00-F03", "I10-I15"],         # A.4.1 ICD ranges, ASCII hyphen (optional)
     "risk_events": {"A.2.14.1": 2}}              # A.2.14.x counts 0–3, 3 = 3次及以上 (optional)

B.3.9 = 0 is recorded as 昏迷 when ``coma`` is true and as 昏睡 otherwise (decision D1: both
score 0; either A.5.11 or B.3.9 昏迷 ticks C.4 box 1).

Output: the same shape, each ``{"B.1": …, "B.2": …, "B.3": …, "B.4": …, "total": …,
"initial_grade": …, "final_grade": …, "reasons": [C.4 box texts]}``. Any problem anywhere
refuses the whole input: exit 1, every problem on standard error, nothing on standard output.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

from assessment.errors import InputRejected, Problem
from assessment.forms import Form
from assessment.inputreader import DEFAULT_LIMITS, read_json
from assessment.jsonio import dump_json
from assessment.scoring import Grader, GradeRaiseMode, GradingSettings

_TOP_KEYS = frozenset({"items", "coma", "diagnoses", "risk_events"})
# One case is under 1 KB: 8 MB is thousands of cases, and bounds memory whatever is given.
SCORE_INPUT_LIMITS = DEFAULT_LIMITS.with_max_bytes(8 * 1024 * 1024)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``score`` subcommand."""
    parser = subparsers.add_parser(
        "score", help="按 GB/T 42195-2022 计算评估结果（JSON 输入）",
        description=(
            "读取 JSON（一个对象或数组），输出各维度得分、总分、初步等级、最终等级和等级变更依据。"
        ),
    )
    parser.add_argument("file", help="JSON 文件路径；- 表示标准输入")
    parser.add_argument(
        "--grade-raise-mode", choices=[m.value for m in GradeRaiseMode], default="once",
        help="等级提升方式：once（默认，合计最多提高一级）或 cumulative（逐项累加）",
    )
    parser.set_defaults(handler=run)


class _CaseReader:
    """Translates one CLI case into (scores, facts) for the grader, collecting problems."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self.item_keys = {item.key for item in form.items}
        self.icd_to_option = {
            option.icd: option.text
            for option in form.info_field("A.4.1").options if option.icd is not None
        }
        self.risk_fields = {
            f.key: {o.count: o.text for o in f.options}
            for f in form.fields if f.key.startswith("A.2.14.")
        }

    def read(self, case: object, where: str) -> tuple[dict[str, object], dict[str, object],
                                                      list[Problem]]:
        problems: list[Problem] = []
        if not isinstance(case, Mapping):
            return {}, {}, [Problem(where or "(输入)", "type", "每条评估应为 JSON 对象")]
        prefix = f"{where}." if where else ""
        problems += [Problem(f"{prefix}{k}", "unknown", "未知的键") for k in case
                     if k not in _TOP_KEYS]
        items = case.get("items")
        scores: dict[str, object] = {}
        if not isinstance(items, Mapping):
            problems.append(Problem(f"{prefix}items", "type", "items 应为对象，列出全部 26 项评分"))
        else:
            scores = {str(k): v for k, v in items.items()}
        facts: dict[str, object] = {}
        coma = case.get("coma", False)
        if not isinstance(coma, bool):
            problems.append(Problem(f"{prefix}coma", "type", "coma 应为 true 或 false"))
            coma = False
        facts["A.5.11"] = "有" if coma else "无"
        if scores.get("B.3.9") == 0:
            facts["B.3.9.state"] = "昏迷" if coma else "昏睡"
        problems += self._diagnoses(case.get("diagnoses", []), f"{prefix}diagnoses", facts)
        problems += self._risk_events(case.get("risk_events", {}), f"{prefix}risk_events", facts)
        return scores, facts, problems

    def _diagnoses(self, raw: object, key: str, facts: dict[str, object]) -> list[Problem]:
        if not isinstance(raw, list):
            return [Problem(key, "type", "diagnoses 应为 ICD 范围文本的数组，如 [\"F00-F03\"]")]
        chosen: list[str] = []
        problems = []
        for index, code in enumerate(raw):
            if not isinstance(code, str) or code not in self.icd_to_option:
                known = "、".join(sorted(self.icd_to_option))
                problems.append(Problem(f"{key}[{index}]", "value",
                                        f"不是 A.4.1 的诊断范围：{code!r}（可选：{known}）"))
            else:
                chosen.append(self.icd_to_option[code])
        facts["A.4.1"] = chosen
        return problems

    def _risk_events(self, raw: object, key: str, facts: dict[str, object]) -> list[Problem]:
        if not isinstance(raw, Mapping):
            return [Problem(key, "type", "risk_events 应为对象，如 {\"A.2.14.1\": 2}")]
        problems = []
        for field, count in raw.items():
            options = self.risk_fields.get(field)
            if options is None:
                problems.append(Problem(f"{key}.{field}", "unknown",
                                        "未知的照护风险事件，应为 A.2.14.1–A.2.14.5"))
            elif isinstance(count, bool) or not isinstance(count, int) or count not in options:
                message = f"次数应为 0–3 的整数（3 表示 3 次及以上），收到 {count!r}"
                problems.append(Problem(f"{key}.{field}", "range", message))
            else:
                facts[field] = options[count]
        return problems


def grade_cases(payload: object, grader: Grader) -> Any:
    """Grade one case or a list of cases; raise :class:`InputRejected` on any problem."""
    reader = _CaseReader(grader.form)
    cases = payload if isinstance(payload, list) else [payload]
    prefix = isinstance(payload, list)
    results: list[dict[str, object]] = []
    problems: list[Problem] = []
    for index, case in enumerate(cases):
        where = f"[{index}]" if prefix else ""
        scores, facts, found = reader.read(case, where)
        try:
            result = grader.grade(scores, facts)
        except InputRejected as exc:
            item_prefix = f"{where}.items." if where else "items."
            found += [Problem(item_prefix + p.field.removesuffix(".state"), p.code, p.message)
                      for p in exc.problems]
        if found:
            problems += found
            continue
        out: dict[str, object] = dict(zip(result.dimension_keys, result.subtotals, strict=True))
        out["total"] = result.total
        out["initial_grade"] = result.initial_grade
        out["final_grade"] = result.final_grade
        out["reasons"] = [grader.reason_text(code) for code in result.reasons]
        results.append(out)
    if problems:
        raise InputRejected(problems)
    return results if prefix else results[0]


def run(args: argparse.Namespace) -> int:
    """Handler of ``yinling score``."""
    grader = Grader(settings=GradingSettings(GradeRaiseMode(args.grade_raise_mode)))
    try:
        payload = read_json(args.file, SCORE_INPUT_LIMITS)
        if isinstance(payload, list) and not payload:
            raise InputRejected([Problem("(输入)", "empty", "数组为空，没有要计算的评估")])
        output = grade_cases(payload, grader)
    except InputRejected as exc:
        for problem in exc.problems:
            print(f"错误：{problem}", file=sys.stderr)
        return 1
    sys.stdout.write(dump_json(output) + "\n")
    return 0
