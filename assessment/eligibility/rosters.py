"""Rosters per item: who is eligible, and who is undetermined with what is missing.

A roster is what a township supervisor prints or sends on: for each item, the elders for
whom it is ``符合`` (eligible) or ``待核实`` (undetermined, with the missing attributes named
so the village can collect them), with the reasons. Exports are Excel (one sheet per item,
plus a 说明 sheet naming the list versions and the as-of date, and marking provisional lists)
and CSV (one file, UTF-8 with BOM so that Excel opens it correctly).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from assessment.eligibility.batchresult import BatchResult
from assessment.eligibility.explain import missing_labels
from assessment.eligibility.frames import age_column
from assessment.eligibility.plan import RESULT_LABELS
from assessment.eligibility.values import TRUE, UNKNOWN

_IDENTITY = ("person_id", "name", "residence_code", "residence_township", "residence_village")
ITEM_ID, ITEM_NAME, LIST, AGE = "项目编号", "项目名称", "清单版本", "年龄"
RESULT, MISSING, REASONS, STANDARD = "结果", "待补充信息", "判断依据", "标准"


def roster_tables(
    batch: BatchResult, frame: pd.DataFrame, item_ids: Sequence[str] | None = None
) -> dict[str, pd.DataFrame]:
    """One table per item (in list order): eligible rows first, then undetermined ones."""
    vocabulary = batch.plan.vocabulary
    wanted = list(item_ids) if item_ids else [c.plan.item.id for c in batch.items]
    identity = {
        vocabulary.attributes[name].label: frame[name].to_numpy(dtype=object)
        if name in frame.columns
        else np.full(len(frame), None, dtype=object)
        for name in _IDENTITY
        if name in vocabulary.attributes
    }
    ages: np.ndarray[tuple[int], np.dtype[np.object_]] = np.full(len(frame), None, dtype=object)
    for attr in vocabulary.attributes.values():
        if attr.kind == "age" and attr.profile_name in frame.columns:
            column = age_column(frame[attr.profile_name], attr.label, batch.plan.as_of)
            ages = np.array(column.domain, dtype=object)[column.codes]
    tables: dict[str, pd.DataFrame] = {}
    for item_id in wanted:
        columns = batch.item(item_id)
        rows = np.concatenate(
            [np.flatnonzero(columns.result == TRUE), np.flatnonzero(columns.result == UNKNOWN)]
        )
        details = batch.item_frame(item_id).iloc[rows]
        item = columns.plan.item
        table = pd.DataFrame(
            {
                ITEM_ID: item.id,
                ITEM_NAME: item.name,
                LIST: columns.plan.list_ref,
                **{label: values[rows] for label, values in identity.items()},
                AGE: ages[rows],
                RESULT: [RESULT_LABELS[r] for r in details["result"]],
                MISSING: ["、".join(missing_labels(vocabulary, m)) for m in details["missing"]],
                REASONS: ["；".join(r) for r in details["reasons"]],
                STANDARD: list(details["standard"]),
            }
        )
        tables[item_id] = table.reset_index(drop=True)
    return tables


def _notes(batch: BatchResult) -> pd.DataFrame:
    rows = [("评估日期", batch.plan.as_of.isoformat())]
    for version in batch.plan.lists:
        note = "（暂行清单，以正式清单为准）" if version.provisional else ""
        rows.append(("清单版本", f"{version.ref} {version.title}{note}"))
    return pd.DataFrame(rows, columns=["项目", "内容"])


def write_roster(batch: BatchResult, tables: dict[str, pd.DataFrame], path: Path) -> None:
    """Write rosters to ``.xlsx`` (one sheet per item) or ``.csv`` (all items, utf-8-sig)."""
    if path.suffix.lower() == ".csv":
        combined = pd.concat(list(tables.values()), ignore_index=True) if tables else pd.DataFrame()
        combined.to_csv(path, index=False, encoding="utf-8-sig")
        return
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        _notes(batch).to_excel(writer, sheet_name="说明", index=False)
        for item_id, table in tables.items():
            table.to_excel(writer, sheet_name=item_id[:31], index=False)
