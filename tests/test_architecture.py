"""Architecture rules that keep the core reusable (docs/architecture.md §3.1)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The core's units (its subpackages and top-level modules) from the bottom up: a unit may
# import units of its own layer or below, never above. ``assessment`` is the package itself
# (its ``__init__``, the version).
CORE_LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"assessment", "errors", "ids", "paths", "jsonio", "storedjson", "inputreader",
               "identity", "divisions", "passwords", "privatefiles", "winacl", "accounts"}),
    frozenset({"forms", "scoring", "settings", "devicekeys"}),  # settings: the registry
    frozenset({"wire", "eligibility", "registry"}),  # sync wire format; service-list rules;
    # the elder registry's rules (lifecycle, rosters, duplicates)
    frozenset({"visits"}),  # 探访关爱: plan, tiers, schedule, the measure (no store)
    frozenset({"records"}),  # the local store and its Workspace facade
    frozenset({"documents", "sync"}),  # certificates, statistics; the sync client
    frozenset({"usecases"}),  # one pipeline per job, called by the app and the CLI
    frozenset({"commands"}),  # the CLI's subcommands
    frozenset({"cli", "__main__"}),
)
# What the county server may not take from the core: the laptop's store, its sync client
# and the laptop's job pipelines and command line.
NOT_FOR_SERVER = frozenset({"sync", "usecases", "commands", "cli", "__main__", "records"})


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def module_name(path: Path) -> str:
    """Dotted module name of a file under the repository root."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(dotted: str) -> bool:
    """True when ``dotted`` names a module or package of the repository."""
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imported_names(path: Path) -> Iterator[str]:
    """Every repository module a file imports (anywhere in it, type-checking blocks too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" \
        else module_name(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield full if is_module(full) else base


def core_unit(dotted: str) -> str | None:
    """The core unit a module belongs to (``wire`` for ``assessment.wire.changes``)."""
    parts = dotted.split(".")
    if parts[0] != "assessment":
        return None
    return parts[1] if len(parts) > 1 else "assessment"


def core_graph() -> dict[str, dict[str, set[str]]]:
    """unit → imported unit → the modules of the unit that import it."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in (ROOT / "assessment").rglob("*.py"):
        source = module_name(path)
        unit = core_unit(source)
        assert unit is not None
        for target in imported_names(path):
            other = core_unit(target)
            if other is not None and other != unit:
                graph.setdefault(unit, {}).setdefault(other, set()).add(source)
    return graph


def layer_of(unit: str) -> int:
    for index, layer in enumerate(CORE_LAYERS):
        if unit in layer:
            return index
    raise AssertionError(f"assessment.{unit} is in no layer of CORE_LAYERS: place it there")


def cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """The cycles of a graph, one per strongly connected component with more than one unit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_core_units_have_no_import_cycles() -> None:
    assert cycles(core_graph()) == []


def test_core_never_imports_upward() -> None:
    upward = [
        f"{module} imports assessment.{target}"
        for unit, targets in core_graph().items()
        for target, modules in targets.items()
        if layer_of(target) > layer_of(unit)
        for module in sorted(modules)
    ]
    assert upward == []


def test_every_core_unit_has_a_layer() -> None:
    units = {core_unit(module_name(path)) for path in (ROOT / "assessment").rglob("*.py")}
    for unit in units:
        assert unit is not None
        layer_of(unit)


def test_server_uses_the_wire_layer_not_the_laptop_store() -> None:
    offenders = sorted(
        f"{module_name(path)} imports {target}"
        for path in (ROOT / "server").rglob("*.py")
        for target in imported_names(path)
        if core_unit(target) in NOT_FOR_SERVER
    )
    assert offenders == []


STORE_INSIDES = ("assessment.records.schema", "assessment.records.sync_schema",
                 "assessment.records.visit_schema", "assessment.records.database",
                 "assessment.records.store")


def test_only_the_store_touches_its_tables_and_engine() -> None:
    """Outside :mod:`assessment.records` nothing imports the table models, the engine or the
    store: documents, use cases and the faces read through the workspace's methods."""
    offenders = sorted(
        f"{module_name(path)} imports {target}"
        for package in ("assessment", "app", "server")
        for path in (ROOT / package).rglob("*.py")
        if not module_name(path).startswith("assessment.records")
        for target in imported_names(path)
        if target.startswith(STORE_INSIDES)
    )
    assert offenders == []


def test_no_workspace_parameter_is_untyped() -> None:
    """A ``workspace`` (or ``ws``) parameter names its type, never ``Any``."""
    offenders = []
    for package in ("assessment", "app", "server"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.arg) and node.arg in ("workspace", "ws") and \
                        isinstance(node.annotation, ast.Name) and node.annotation.id == "Any":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def module_graph(package: str) -> dict[str, dict[str, set[str]]]:
    """module → imported module of the same package (type-checking imports too)."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in (ROOT.joinpath(*package.split("."))).rglob("*.py"):
        source = module_name(path)
        for target in imported_names(path):
            if target.startswith(package + ".") and target != source and \
                    not (ROOT.joinpath(*target.split(".")) / "__init__.py").is_file():
                graph.setdefault(source, {}).setdefault(target, {source})
    return graph


def test_store_modules_have_no_import_cycles() -> None:
    """Inside the store no two modules import each other, not even for the type checker: a
    manager gets what it needs (the shared context, another manager) handed in."""
    assert cycles(module_graph("assessment.records")) == []


# What the workspace itself offers: opening and closing, change notices, the device's
# identity, a backup, the status bar's counts. Everything else belongs to a manager.
WORKSPACE_MEMBERS = frozenset({
    "create", "open", "open_with_key", "close", "subscribe",
    "data_dir", "current_user", "device_id", "device_code", "form",
    "device_keys", "backup_to", "counts",
})
WORKSPACE_MANAGERS = frozenset({
    "elders", "assessments", "accounts", "settings", "outbox", "audit", "lists", "visits",
    "registry",
})
MANAGER_METHODS_LIMIT = 20


def test_workspace_facade_stays_narrow() -> None:
    """anki's ``Collection``: the workspace owns the session and the unit of work and hands
    out managers; a new job is a manager's method, not another method of the facade."""
    from assessment.records.workspace import Workspace

    members = {name for name in vars(Workspace) if not name.startswith("_")}
    assert members == WORKSPACE_MEMBERS
    tree = ast.parse((ROOT / "assessment/records/workspace.py").read_text(encoding="utf-8"))
    init = next(node for node in ast.walk(tree)
                if isinstance(node, ast.FunctionDef) and node.name == "__init__")
    assigned = {target.attr for node in ast.walk(init) if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Attribute)
                and not target.attr.startswith("_")}
    assert assigned == WORKSPACE_MANAGERS


def _manager_classes() -> dict[str, type]:
    """The class of each manager, as the workspace's ``__init__`` makes it."""
    import assessment.records.workspace as module

    tree = ast.parse((ROOT / "assessment/records/workspace.py").read_text(encoding="utf-8"))
    classes: dict[str, type] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                isinstance(node.value.func, ast.Name):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr in WORKSPACE_MANAGERS:
                    classes[target.attr] = getattr(module, node.value.func.id)
    return classes


def test_each_manager_is_a_small_class_of_its_own_module() -> None:
    classes = _manager_classes()
    assert set(classes) == WORKSPACE_MANAGERS
    for name, cls in classes.items():
        public = [n for n, v in vars(cls).items() if not n.startswith("_") and callable(v)]
        assert 0 < len(public) <= MANAGER_METHODS_LIMIT, (name, public)
        assert cls.__module__.startswith("assessment.records."), name
    assert len({cls.__module__ for cls in classes.values()}) == len(classes)


def test_no_store_class_redeclares_what_another_provides() -> None:
    """No mixin in the store declares its host's attributes or private methods for the type
    checker (an ``if TYPE_CHECKING:`` block inside a class): a manager is handed them."""
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in (ROOT / "assessment" / "records").rglob("*.py")
        for cls in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(cls, ast.ClassDef)
        for node in cls.body
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
    ]
    assert offenders == []


def test_product_never_imports_the_test_kit() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("assessment", "app", "server")
        for path in (ROOT / package).rglob("*.py")
        if {"testkit", "tests"} & imported_modules(path)
    ]
    assert offenders == []


def test_cycle_detection_finds_a_cycle() -> None:
    graph = {"a": {"b": {"x"}}, "b": {"c": {"y"}}, "c": {"a": {"z"}}, "d": {"a": {"w"}}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b": {"x"}}}) == []


def test_core_and_server_never_import_qt() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("assessment", "server")
        for path in (ROOT / package).rglob("*.py")
        if {"PySide6", "shiboken6", "PyQt5", "PyQt6"} & imported_modules(path)
    ]
    assert offenders == []


def test_core_never_imports_the_shells() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "assessment").rglob("*.py")
        if {"app", "server", "testkit", "tests"} & imported_modules(path)
    ]
    assert offenders == []


def test_rule_detection_sees_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from PySide6.QtCore import QObject\nimport os\n", encoding="utf-8")
    assert imported_modules(sample) == {"PySide6", "os"}
