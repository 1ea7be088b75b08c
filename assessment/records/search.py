"""Search keys for search as you type: name, pinyin initials, full pinyin, ID-number tail.

An elder gets a handful of *terms*, each stored as one row of an index, so that every kind of
typed text is answered by an index range scan (``term >= q AND term < q + U+FFFF``):

* every suffix of the name (``张三丰``, ``三丰``, ``丰``): a substring typed in Chinese is a
  prefix of one of them;
* every suffix of the full pinyin at a syllable boundary (``zhangsanfeng``, ``sanfeng``,
  ``feng``) and of the initials (``zsf``, ``sf``): ``zs`` finds 张三, ``sf`` finds 三丰;
* ``#`` + the reversed ID number: the last digits typed become a prefix (``1234`` → ``#4321``).

Short texts (``w``, ``zh``, ``zhang``, ``王``) match tens of thousands of people, and a range
over the terms above meets each of them several times (``zhangsan``, ``zs``, ``sanfeng`` …), so
counting them needs a ``DISTINCT`` and paging them a sort of all matches. Such texts are
answered from *prefix keys* instead: one row per elder and short prefix,
``KEY_MARK + prefix + KEY_SORT + sort_key(name)``. Every prefix of up to ``KEY_MAX`` characters
of a term's leading ASCII (pinyin) characters gets one, and the first character of every term.
The rows of one prefix are then distinct elders (a count is an index range count) and lie in
roster name order (the first page is the first rows of the range). :func:`prefix_key` says
whether a typed text is answered that way; :func:`key_range` gives the range. Terms that start
with ``#`` (the ID number) are not keyed: an elder has one such term, so an ID range is
already distinct.

Readings: the given name takes pypinyin's phrase-aware common reading. Surnames often read
differently from the character's common reading (单 shàn, 曾 zēng, 解 xiè, 仇 qiú …), so a
surname with a special reading gets terms for both readings: typing either finds the person.
Compound surnames (欧阳, 诸葛 …) are read as a unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

ID_MARK = "#"
TERM_END = "\U0010ffff"  # above every character, so ``q + TERM_END`` bounds every term after q
KEY_MARK = "\x02"  # first character of a prefix key (sorts before anything that can be typed)
KEY_SORT = "\x01"  # between a key's prefix and the sort key (below every prefix character)
KEY_MAX = 5  # Latin prefixes of up to this many letters are keyed (``zhang`` matches ~8 %)

# Surname readings that differ from (or are ambiguous with) the character's common reading.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan",), "曾": ("zeng",), "解": ("xie",), "仇": ("qiu",), "朴": ("piao",),
    "区": ("ou",), "查": ("zha",), "盖": ("ge",), "乐": ("yue", "le"), "尉": ("yu", "wei"),
    "覃": ("qin",), "翟": ("zhai",), "种": ("chong",), "缪": ("miao",), "召": ("shao",),
    "秘": ("bi",), "繁": ("po",), "员": ("yun",), "折": ("she",), "隗": ("wei",),
    "莘": ("shen",), "柏": ("bai",), "薄": ("bo",), "阚": ("kan",), "宓": ("mi",),
    "藏": ("zang",), "都": ("du",), "卜": ("bu",), "长": ("chang",), "重": ("chong",),
    "句": ("gou",), "冼": ("xian",), "洗": ("xian",), "郇": ("xun",), "蕃": ("pi",),
    "华": ("hua",), "任": ("ren",), "沈": ("shen",), "石": ("shi",), "贾": ("jia",),
    "车": ("che",), "朝": ("chao",), "褚": ("chu",), "万": ("wan",), "盛": ("sheng",),
    "养": ("yang",), "过": ("guo",),
}
COMPOUND_SURNAMES: dict[str, tuple[str, ...]] = {
    "欧阳": ("ou", "yang"), "司马": ("si", "ma"), "诸葛": ("zhu", "ge"), "上官": ("shang", "guan"),
    "东方": ("dong", "fang"), "皇甫": ("huang", "fu"), "夏侯": ("xia", "hou"),
    "公孙": ("gong", "sun"), "慕容": ("mu", "rong"), "司徒": ("si", "tu"), "宇文": ("yu", "wen"),
    "轩辕": ("xuan", "yuan"), "令狐": ("ling", "hu"), "长孙": ("zhang", "sun"),
    "尉迟": ("yu", "chi"), "澹台": ("tan", "tai"), "万俟": ("mo", "qi"), "单于": ("chan", "yu"),
    "端木": ("duan", "mu"), "南宫": ("nan", "gong"), "呼延": ("hu", "yan"),
}
_LATIN = re.compile(r"[a-z]+")
_ID_QUERY = re.compile(r"^[0-9]+[xX]?$|^[xX]$")
_BLANKS = re.compile(r"[\s'’·•.\-_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@lru_cache(maxsize=65536)
def _reading(text: str) -> tuple[str, ...]:
    """Phrase-aware common reading, one lower-case Latin syllable per Chinese character."""
    from pypinyin import Style, lazy_pinyin  # imported on first use: its tables load slowly

    out: list[str] = []
    for chunk in lazy_pinyin(text, style=Style.NORMAL, errors="default"):
        out.extend(_LATIN.findall(chunk.lower()))
    return tuple(out)


def name_readings(name: str) -> list[tuple[str, ...]]:
    """The syllables of a name under each plausible reading (first = the preferred one)."""
    name = name.strip()
    if not name:
        return [()]
    for compound, syllables in COMPOUND_SURNAMES.items():
        if name.startswith(compound):
            return [syllables + _reading(name[len(compound):])]
    given = _reading(name[1:])
    common = _reading(name[0])
    readings = [(s, *given) for s in SURNAME_READINGS.get(name[0], ())]
    if common:
        readings.append(common + given)
    unique = list(dict.fromkeys(readings))
    return unique or [given]


@lru_cache(maxsize=16384)
def sort_key(name: str) -> str:
    """The roster's name order: pinyin syllables of the preferred reading, then the name."""
    return " ".join(name_readings(name)[0]) + "\t" + name


def elder_terms(name: str, id_number: str | None) -> set[str]:
    """Every search term of one elder, with the prefix keys of its short prefixes.

    ``name`` is the stored (stripped) name: the keys embed :func:`sort_key` of it, which is
    also the elder's ``name_pinyin``.
    """
    terms = set(_name_terms(name))
    if id_number:
        terms.add(ID_MARK + id_number.upper()[::-1].lower())
    return terms


@lru_cache(maxsize=4096)
def _name_terms(name: str) -> frozenset[str]:
    """The terms and prefix keys of a name (names repeat: cached for bulk loads)."""
    terms: set[str] = set()
    compact = _CONTROL.sub("", _BLANKS.sub("", name))
    for i in range(len(compact)):
        if compact[i] != ID_MARK:  # only the ID number's term starts with the ID mark
            terms.add(compact[i:].lower())
    for syllables in name_readings(name):
        for i in range(len(syllables)):
            terms.add("".join(syllables[i:]))
            initials = "".join(s[0] for s in syllables[i:])
            if len(initials) > 1:
                terms.add(initials)
    terms.discard("")
    prefixes: set[str] = set()
    for term in terms:
        prefixes.update(term[:n] for n in range(1, _keyed_length(term) + 1))
    sort = sort_key(name)
    terms.update(KEY_MARK + prefix + KEY_SORT + sort for prefix in prefixes)
    return frozenset(terms)


def _keyed_length(term: str) -> int:
    """How many leading characters of a term get prefix keys: its leading ASCII characters
    (at most ``KEY_MAX``), and at least the first character."""
    latin = 0
    for char in term[:KEY_MAX]:
        if not char.isascii():
            break
        latin += 1
    return max(1, latin)


def prefix_key(prefix: str) -> str | None:
    """The key (``KEY_MARK + prefix + KEY_SORT``) that answers a typed prefix, or ``None``
    when the prefix is not keyed (longer texts, Chinese after the first character, ID tails).

    Keyed means: every elder with a term starting with ``prefix`` has exactly one key row
    starting with this key, and no other elder has one.
    """
    if not prefix or prefix.startswith(ID_MARK):
        return None
    if len(prefix) == 1 or (prefix.isascii() and len(prefix) <= KEY_MAX):
        return KEY_MARK + prefix + KEY_SORT
    return None


def key_range(key: str) -> tuple[str, str]:
    """The term range ``[low, high)`` of a prefix key's rows."""
    return key, key[:-1] + chr(ord(KEY_SORT) + 1)


@dataclass(frozen=True, slots=True)
class SearchText:
    """A typed search text, normalised: the term prefix to look up and what kind it is."""

    prefix: str
    is_id_tail: bool

    @property
    def upper(self) -> str:
        """The exclusive upper bound of the prefix range."""
        return self.prefix + TERM_END

    @property
    def key(self) -> str | None:
        """The prefix key that answers this text (see :func:`prefix_key`)."""
        return prefix_key(self.prefix)

    @property
    def distinct_terms(self) -> bool:
        """True when no elder has two terms in the prefix range (ID-number ranges)."""
        return self.prefix.startswith(ID_MARK)


def parse_search_text(text: str) -> SearchText | None:
    """Normalise what the user typed; ``None`` when there is nothing to search for."""
    compact = _CONTROL.sub("", _BLANKS.sub("", text)).lower()
    if not compact:
        return None
    if _ID_QUERY.match(compact) and compact != "x":
        return SearchText(ID_MARK + compact[::-1], True)
    return SearchText(compact, False)


@dataclass(frozen=True, slots=True)
class VillageKeys:
    """Search keys of a village name."""

    pinyin: str
    initials: str


def village_keys(name: str) -> VillageKeys:
    """Full pinyin and initials of a village name (common readings)."""
    syllables = _reading(name)
    return VillageKeys("".join(syllables), "".join(s[0] for s in syllables))


def village_matches(name: str, keys: VillageKeys, query: SearchText) -> bool:
    """True when a typed text names this village (prefix of pinyin/initials, or a substring)."""
    if query.is_id_tail:
        return False
    q = query.prefix
    return q in name or keys.pinyin.startswith(q) or keys.initials.startswith(q)
