"""A demo township: realistic elders and assessments for trying the product and for benchmarks.

Demo accounts (the README names them; the passwords are for the demo only):

=============  ============  ==========  =====================
username       password      role        display name
=============  ============  ==========  =====================
``guanli``     ``yinling123``  supervisor  乡镇管理员（演示）
``pinggu1``    ``yinling123``  assessor    评估员一（演示）
``pinggu2``    ``yinling123``  assessor    评估员二（演示）
=============  ============  ==========  =====================

The township lies in 上党区 (140404, 长治市), a real county code from
``resources/divisions/shanxi_divisions.tsv``. Most elders' ID numbers were issued before 2016
under the county's legacy code 140421 (长治县, ``shanxi_legacy_codes.tsv``), some under the
current code and a few elsewhere in Shanxi; the hukou (``hukou_code``) is recorded separately
and is never derived from the ID number. Names follow common surname and period-typical given
name distributions; couples share a household (address, phone). About two thirds have been
assessed over the past three years (graded by the real :class:`~assessment.scoring.Grader`
from generated answers), with routine re-assessments, a few corrections (superseded), and a
few open drafts. Service-list attributes are filled in, with some left unknown on purpose.

Everything is generated from ``seed``: the same seed gives the same people.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from assessment.forms import Form, default_form
from assessment.identity import make_resident_id
from assessment.ids import new_id
from assessment.paths import resources_dir
from assessment.privatefiles import make_private_dir
from assessment.records.api import ElderProfile, StoreError
from assessment.records.bulkload import LoadAssessment
from assessment.records.datadir import database_path, workspace_exists
from assessment.records.lifecycle import add_months
from assessment.records.workspace import Workspace
from assessment.settings import COUNTY_CODE, TOWNSHIP

DEMO_PASSWORD = "yinling123"
DEMO_SUPERVISOR = "guanli"
DEMO_ASSESSORS = ("pinggu1", "pinggu2")
DEMO_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    (DEMO_SUPERVISOR, "乡镇管理员（演示）", "supervisor"),
    ("pinggu1", "评估员一（演示）", "assessor"),
    ("pinggu2", "评估员二（演示）", "assessor"),
)
DEMO_COUNTY = "140404"  # 上党区, 长治市
DEMO_LEGACY_CODE = "140421"  # 长治县, the same county before 2016
DEMO_AREA_PHONE = "0355"
DEFAULT_ELDERS = 2000
BATCH_ELDERS = 50_000  # elders generated and loaded at a time (memory stays flat)
TOWNSHIPS = ("荫城镇", "八义镇", "西火镇", "苏店镇", "贾掌镇", "南宋乡", "郝家庄镇", "东和乡")

# Surnames with rough weights for the region (per mille); the rest share the remainder.
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 80), ("李", 72), ("张", 68), ("刘", 55), ("赵", 40), ("杨", 38), ("郭", 34),
    ("陈", 25), ("武", 24), ("郝", 22), ("田", 20), ("牛", 18), ("申", 18), ("秦", 16),
    ("段", 15), ("贾", 15), ("任", 14), ("崔", 13), ("程", 12), ("冯", 12), ("宋", 12),
    ("韩", 12), ("孙", 12), ("马", 11), ("吴", 10), ("常", 10), ("侯", 10), ("史", 9),
    ("周", 9), ("许", 9), ("高", 9), ("梁", 8), ("魏", 8), ("阎", 8), ("薛", 7), ("裴", 7),
    ("曹", 7), ("胡", 7), ("郑", 6), ("连", 6), ("靳", 6), ("暴", 4), ("栗", 4), ("单", 4),
    ("曾", 3), ("解", 3), ("乐", 2), ("仇", 2), ("查", 2), ("欧阳", 2), ("司马", 1),
)
MALE_GIVEN = (
    "建国", "国华", "志明", "福贵", "保国", "德胜", "永胜", "全福", "有才", "金明", "文华",
    "红旗", "卫东", "建军", "铁柱", "满仓", "二虎", "根生", "长生", "来福", "三", "平", "刚",
    "军", "明", "勇", "强", "海", "林", "斌", "玉成", "玉山", "双喜", "春生", "秋生", "万福",
    "守仁", "宝山", "继光", "跃进", "振华", "喜旺", "拴柱", "黑蛋", "天明", "正义", "国庆",
)
FEMALE_GIVEN = (
    "秀英", "桂英", "玉兰", "秀兰", "凤英", "桂兰", "玉梅", "翠花", "兰英", "素珍", "淑芬",
    "秀珍", "金花", "桂花", "秀梅", "彩霞", "改花", "爱莲", "粉莲", "巧云", "月娥", "梅",
    "芳", "英", "兰", "珍", "霞", "红梅", "凤兰", "二妮", "银花", "俊英", "春梅", "秋菊",
    "冬梅", "丽华", "改莲", "玉珍", "香莲", "招弟", "引弟", "变花", "拉弟",
)
VILLAGE_HEADS = (
    "李家", "王家", "张家", "赵家", "郭家", "郝家", "东", "西", "南", "北", "上", "下", "大",
    "小", "前", "后", "柳树", "石", "杨家", "韩家", "苏家", "马家", "河", "坡底", "岭上",
)
VILLAGE_TAILS = ("庄", "沟", "河", "岭", "坡", "峪", "堡", "窑", "垴", "坪", "掌", "头", "湾")
RELATIONS = ("本人", "配偶", "子女", "子女", "子女", "其他亲属", "村（居）民委员会工作人员")
DIAGNOSES = ("高血压病I10～I15", "冠心病I25", "糖尿病E10～E14", "慢性阻塞性肺疾病J44",
             "脑梗塞I63", "白内障H25～H26", "骨质疏松症M80～M82", "帕金森综合征G20～G22")
INCOME = ("退休金/养老金", "子女补贴", "国家普惠型补贴", "个人储蓄")
DEMENTIA = ("痴呆F00～F03", "其他精神和行为障碍F04～F99")


@dataclass(frozen=True, slots=True)
class Division:
    """One row of the Shanxi division table."""

    code: str
    name: str
    level: str
    parent: str


def load_divisions() -> dict[str, Division]:
    """The bundled Shanxi division table by code."""
    path = resources_dir() / "divisions" / "shanxi_divisions.tsv"
    with open(path, encoding="utf-8", newline="") as handle:
        return {
            row["code"]: Division(row["code"], row["name"], row["level"], row["parent_code"])
            for row in csv.DictReader(handle, delimiter="\t")
        }


def load_legacy_codes() -> dict[str, tuple[str, ...]]:
    """Legacy (pre-reform) county codes → the current codes they became."""
    path = resources_dir() / "divisions" / "shanxi_legacy_codes.tsv"
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["old_code"]: tuple(row["new_codes"].split("|"))
                for row in csv.DictReader(handle, delimiter="\t")}


class _Generator:
    """Draws the people and their assessments from one seeded random source."""

    def __init__(self, seed: int, today: date, form: Form) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.form = form
        divisions = load_divisions()
        legacy = load_legacy_codes()
        if DEMO_COUNTY not in divisions or DEMO_COUNTY not in legacy.get(DEMO_LEGACY_CODE, ()):
            raise RuntimeError("division tables do not contain the demo county")
        self.county = divisions[DEMO_COUNTY]
        counties = [d.code for d in divisions.values()
                    if d.level in {"county", "district", "county_city"}]
        self.elsewhere = counties + list(legacy)
        self.surnames = [s for s, _ in SURNAMES]
        # Cumulative weights, as ``choices`` would accumulate them on every call.
        self.surname_weights = list(accumulate(w for _, w in SURNAMES))
        self.items = [(item.key, max(item.scores)) for item in form.items]
        # Numbers already drawn, kept as integers (a third of the memory of the strings: a
        # 1,000,000-elder township holds a million of each). An ID number's first 17 digits
        # decide its check digit; a phone's digits without the dash are unique (a landline's
        # ten, a mobile's eleven).
        self.used_ids: set[int] = set()
        self.used_phones: set[int] = set()

    def villages(self, count: int) -> list[tuple[str, str]]:
        """``count`` distinct (township, village) names."""
        names: list[str] = []
        seen: set[str] = set()
        while len(names) < count:
            name = self.rng.choice(VILLAGE_HEADS) + self.rng.choice(VILLAGE_TAILS) + "村"
            if name not in seen:
                seen.add(name)
                names.append(name)
            if len(seen) >= len(VILLAGE_HEADS) * len(VILLAGE_TAILS):
                names.append(f"{self.rng.choice(VILLAGE_HEADS)}{len(names)}号村")
        townships = TOWNSHIPS[: max(1, min(len(TOWNSHIPS), count // 25))]
        return [(townships[i % len(townships)], name) for i, name in enumerate(names)]

    def name(self, male: bool) -> str:
        surname = self.rng.choices(self.surnames, cum_weights=self.surname_weights)[0]
        return surname + self.rng.choice(MALE_GIVEN if male else FEMALE_GIVEN)

    def birth(self) -> date:
        age = min(104, 60 + int(self.rng.expovariate(1 / 11)))
        start = date(self.today.year - age - 1, self.today.month, 1) + timedelta(days=1)
        return start + timedelta(days=self.rng.randrange(360))

    def id_number(self, birth: date, male: bool) -> str:
        roll = self.rng.random()
        area = (DEMO_LEGACY_CODE if roll < 0.72 else DEMO_COUNTY if roll < 0.88
                else self.rng.choice(self.elsewhere))
        while True:
            number = make_resident_id(area, birth, self.rng.randrange(1000), male)
            key = int(number[:17])
            if key not in self.used_ids:
                self.used_ids.add(key)
                return number

    def phone(self) -> str | None:
        roll = self.rng.random()
        if roll < 0.1:
            return None
        while True:
            if roll < 0.2:
                phone = f"{DEMO_AREA_PHONE}-{self.rng.randrange(2000000, 9999999)}"
            else:
                phone = f"1{self.rng.choice('35789')}{self.rng.randrange(10**9):09d}"
            key = int(phone.replace("-", ""))
            if key not in self.used_phones:
                self.used_phones.add(key)
                return phone

    def attributes(self, living: list[str], marital: str) -> dict[str, Any]:
        rng = self.rng
        status = rng.choices(["none", "dibao", "dibao_edge", "tekun_dispersed",
                              "tekun_centralized", None], [62, 14, 5, 4, 1, 14])[0]
        children = rng.choices([0, 1, 2, 3, 4, 5], [4, 12, 30, 28, 16, 10])[0]
        attrs: dict[str, Any] = {
            "hukou_code": DEMO_COUNTY if rng.random() < 0.96 else rng.choice(self.elsewhere[:40]),
            "residence_code": DEMO_COUNTY, "area_type": "rural" if rng.random() < 0.9 else "urban",
            "assistance_status": status, "living": living, "marital": marital,
            "children_count": children if rng.random() < 0.9 else None,
            "children_away": (rng.random() < 0.45) if children and rng.random() < 0.85 else None,
            "fp_special_family": rng.choices(["none", "shidu", "shangcan", None],
                                             [85, 2, 1, 12])[0],
            "ltc_insured": (rng.random() < 0.3) if rng.random() < 0.7 else None,
            "dwelling": rng.choices(["community", "community_bed", "institution"], [92, 5, 3])[0],
            "econ_hardship_local": (rng.random() < 0.05) if rng.random() < 0.6 else None,
        }
        if rng.random() < 0.06:
            attrs["disability_cert"] = {"category": rng.choice(["视力", "听力", "肢体", "智力",
                                                                "精神", "多重"]),
                                        "grade": rng.randint(1, 4)}
        if rng.random() < 0.03:
            attrs["veteran_status"] = [rng.choice(["在乡复员军人", "带病回乡退伍军人", "优抚对象"])]
        return {k: v for k, v in attrs.items() if v is not None}

    def answers(self, ability: float, when: date, reason: str, provider: str) -> dict[str, Any]:
        """One complete, gradable set of answers for a person of this ``ability`` (0–1)."""
        rng = self.rng
        answers: dict[str, Any] = {"A.1.2": when.isoformat(), "A.1.3": reason}
        # Every item's scores run 0 … top without gaps, so clipping lands on a real option.
        for key, top in self.items:
            if ability >= 0.999:
                answers[key] = top
            else:
                answers[key] = max(0, min(top, round(ability * top + rng.gauss(0, 0.7))))
        coma = ability < 0.08 and rng.random() < 0.3
        if answers["B.3.9"] == 0 or coma:
            answers["B.3.9"] = 0
            answers["B.3.9.state"] = "昏迷" if coma else "昏睡"
        answers["A.5.11"] = "有" if coma else "无"
        events = ["无"] * 5
        if rng.random() < 0.12 * (1.5 - ability):
            events[rng.randrange(5)] = rng.choice(["发生过1次", "发生过2次", "发生过3次及以上"])
        for key, value in zip(("A.2.14.1", "A.2.14.2", "A.2.14.3", "A.2.14.4", "A.2.14.5"),
                              events, strict=True):
            answers[key] = value
        diagnoses = rng.sample(DIAGNOSES, rng.choices([0, 1, 2, 3], [30, 40, 20, 10])[0])
        if rng.random() < 0.08 * (1.2 - ability):
            diagnoses.append(rng.choice(DEMENTIA))
        if diagnoses:
            answers["A.4.1"] = diagnoses
        answers["A.3.1"] = provider
        answers["A.3.2"] = rng.choice(RELATIONS)
        answers["sign.assessor_1"], answers["sign.assessor_2"] = DEMO_ASSESSORS
        answers["sign.place"] = "老人家中"
        answers["sign.assessor_date"] = when.isoformat()
        return answers


def _at(day: date, rng: random.Random) -> datetime:
    moment = datetime(day.year, day.month, day.day, 1 + rng.randrange(9), rng.randrange(60),
                      tzinfo=UTC)
    return moment.replace(tzinfo=None)


def generate(elders: int, seed: int, today: date | None = None,
             form: Form | None = None) -> tuple[list[ElderProfile], list[LoadAssessment]]:
    """The demo township's elders and assessments (not yet stored)."""
    profiles: list[ElderProfile] = []
    loads: list[LoadAssessment] = []
    for some, theirs in generate_batches(elders, seed, today, form):
        profiles.extend(some)
        loads.extend(theirs)
    return profiles, loads


def generate_batches(elders: int, seed: int, today: date | None = None,
                     form: Form | None = None, batch: int = BATCH_ELDERS,
                     ) -> Iterator[tuple[list[ElderProfile], list[LoadAssessment]]]:
    """The same people as :func:`generate`, a batch of about ``batch`` elders at a time
    (whole households, each elder with its own assessments), so that a large township is
    built in bounded memory."""
    today = today or date.today()
    gen = _Generator(seed, today, form or default_form())
    rng = gen.rng
    villages = gen.villages(max(6, elders // 300))
    made = 0
    profiles: list[ElderProfile] = []
    loads: list[LoadAssessment] = []
    while made < elders:
        township, village = rng.choice(villages)
        couple = made + 1 < elders and rng.random() < 0.45
        household = new_id()
        house_no = rng.randrange(1, 300)
        phone = gen.phone()
        members = [True, False] if couple else [rng.random() < 0.45]
        for male in members:
            birth = gen.birth()
            name = gen.name(male)
            living = ["与配偶居住"] if couple else rng.choices(
                [["独居"], ["与子女居住"], ["养老机构"], ["与其他亲属居住"]], [50, 40, 4, 6])[0]
            marital = "已婚" if couple else rng.choices(["丧偶", "离婚", "未婚"], [85, 8, 7])[0]
            info: dict[str, Any] = {
                "A.2.4": rng.randrange(148, 180), "A.2.5": rng.randrange(42, 85),
                "A.2.6": "汉族", "A.2.7": "无",
                "A.2.9": rng.choices(["文盲", "小学", "初中", "高中/技校/中专", "不详"],
                                     [25, 40, 25, 7, 3])[0],
                "A.2.10": living, "A.2.11": marital,
                "A.2.12": ["城乡居民基本医疗保险"],
                "A.2.13": rng.sample(INCOME, 2),
                "A.3.3": gen.name(rng.random() < 0.5),
            }
            if phone:
                info["A.3.4"] = phone
            profile = ElderProfile(
                elder_id=new_id(), name=name, id_number=gen.id_number(birth, male),
                sex=None, birth_date=None, township=township, village=village,
                address=f"{gen.county.name}{township}{village}{house_no}号", phone=phone,
                info=info, attributes=gen.attributes(living, marital), household_id=household,
            )
            profiles.append(profile)
            loads.extend(_history(gen, profile, today))
            made += 1
        if len(profiles) >= batch:
            yield profiles, loads
            profiles, loads = [], []
    if profiles:
        yield profiles, loads


def _history(gen: _Generator, profile: ElderProfile, today: date) -> list[LoadAssessment]:
    """Zero to three assessments of one elder over the past years."""
    rng = gen.rng
    if rng.random() > 0.66:
        return []
    ability = 1.0 if rng.random() < 0.3 else rng.betavariate(2.2, 1.3)
    first = today - timedelta(days=rng.randrange(1, 3 * 365))
    plan = [(first, "首次评估")]
    follow = add_months(first, 12) + timedelta(days=rng.randrange(-20, 40))
    if follow < today and rng.random() < 0.6:
        plan.append((follow, "常规评估"))
    out: list[LoadAssessment] = []
    provider = str(profile.info.get("A.3.3", profile.name))
    for when, reason in plan:
        ability = max(0.0, min(1.0, ability - rng.uniform(0, 0.12)))
        answers = gen.answers(ability, when, reason, provider)
        aid = new_id()
        at = _at(when, rng)
        out.append(LoadAssessment(aid, profile.elder_id, answers, True, rng.choice(DEMO_ASSESSORS),
                                  at, at + timedelta(minutes=40)))
    roll = rng.random()
    last = out[-1]
    if roll < 0.03:  # a correction: same visit, one answer fixed
        answers = dict(last.answers)
        answers["B.1.1"] = max(0, int(answers["B.1.1"]) - 1)
        at = last.created_at + timedelta(days=rng.randrange(1, 5))
        out.append(LoadAssessment(new_id(), profile.elder_id, answers, True, last.created_by,
                                  at, at + timedelta(minutes=10), supersedes=last.assessment_id))
    elif roll < 0.05:  # an open draft, half filled in
        answers = gen.answers(ability, today, "即时评估", provider)
        partial = {k: v for i, (k, v) in enumerate(answers.items()) if i % 2 == 0 or
                   k in ("A.1.2", "A.1.3")}
        partial.pop("B.3.9.state", None)
        partial.pop("B.3.9", None)
        at = _at(today, rng)
        out.append(LoadAssessment(new_id(), profile.elder_id, partial, False, last.created_by,
                                  at))
    return out


# Where a demo workspace is built before it is moved into its folder.
UNFINISHED_FOLDER = ".demo-unfinished"


def create_demo_workspace(data_dir: Path, *, elders: int = DEFAULT_ELDERS, seed: int = 42,
                          progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Create a demo workspace in ``data_dir`` (which must not hold one yet).

    The workspace is built in a hidden sub-folder and moved into place only when complete
    (the database last, since a workspace is a database with its keyring): a run that is
    killed half way leaves no workspace, and the next run clears the unfinished folder and
    starts again instead of refusing to touch the folder.
    """
    data_dir = Path(data_dir)
    if workspace_exists(data_dir):
        raise StoreError(f"目录 {data_dir} 中已有数据库，不能重复创建")
    make_private_dir(data_dir)
    building = data_dir / UNFINISHED_FOLDER
    if building.exists():  # left by an interrupted run
        shutil.rmtree(building)
    workspace = Workspace.create(
        building, username=DEMO_SUPERVISOR, password=DEMO_PASSWORD,
        display_name=DEMO_ACCOUNTS[0][1], role="supervisor",
        settings={TOWNSHIP.key: TOWNSHIPS[0], COUNTY_CODE.key: DEMO_COUNTY},
    )
    try:
        for username, display, role in DEMO_ACCOUNTS[1:]:
            workspace.accounts.add(username, DEMO_PASSWORD, display, role)
        counts: dict[str, int] = {}
        done = 0

        estimate = elders * 2  # elders and assessments; about one assessment per elder

        def step(part: int, total: int) -> None:
            if progress is not None:
                progress(done + part, max(done + total, estimate))

        # A batch at a time (each one transaction; the folder is moved into place only when
        # every batch is in): memory stays flat however large the township.
        for profiles, loads in generate_batches(elders, seed, form=workspace.form):
            loaded = workspace.elders.bulk_load(profiles, loads, action="demo_generate",
                                         progress=step if progress is not None else None)
            for key, value in loaded.items():
                counts[key] = counts.get(key, 0) + value
            done += len(profiles) + len(loads)
            del profiles, loads
    finally:
        workspace.close()
    database = database_path(building)
    for item in sorted(building.iterdir(), key=lambda p: p == database):
        os.replace(item, data_dir / item.name)
    building.rmdir()
    return counts


def ensure_demo_workspace(data_dir: Path, elders: int = DEFAULT_ELDERS) -> Path:
    """The desktop client's first run: make sure a workspace exists in ``data_dir``.

    Creates the demo township when the folder holds no workspace yet; leaves an existing one
    untouched. Returns ``data_dir``.
    """
    data_dir = Path(data_dir)
    if not workspace_exists(data_dir):
        create_demo_workspace(data_dir, elders=elders)
    return data_dir


def demo_accounts() -> Sequence[tuple[str, str, str]]:
    """(username, password, role) of every demo account."""
    return [(username, DEMO_PASSWORD, role) for username, _, role in DEMO_ACCOUNTS]
