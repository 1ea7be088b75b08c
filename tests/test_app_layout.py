"""The desktop client is grouped by feature, and neither its modules nor its feature packages
import each other in a circle (lazy and type-checking imports count too)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"


def module_name(root: Path, path: Path) -> str:
    """``app/elder/page.py`` → ``app.elder.page``; a package's ``__init__`` → the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_modules(root: Path) -> dict[str, Path]:
    """Every module under ``root/app`` by dotted name."""
    return {module_name(root, path): path for path in (root / "app").rglob("*.py")}


def app_imports(path: Path, known: set[str]) -> set[str]:
    """The ``app`` modules one file imports, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "app")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "app":
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in known else node.module)
    return {name for name in found if name in known}


def module_graph(root: Path) -> dict[str, set[str]]:
    """Module → the app modules it imports (packages' ``__init__`` excluded as targets)."""
    modules = app_modules(root)
    known = set(modules)
    return {name: app_imports(path, known) - {name} for name, path in modules.items()}


def feature(module: str) -> str:
    """``app.elder.page`` → ``app.elder``; top-level modules stay themselves."""
    parts = module.split(".")
    return ".".join(parts[:2])


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Feature package → the other feature packages it imports."""
    packages: dict[str, set[str]] = {}
    for module, targets in graph.items():
        source = feature(module)
        packages.setdefault(source, set()).update(
            feature(target) for target in targets if feature(target) != source)
    return packages


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph``, or None."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return None


def test_app_modules_import_no_circle() -> None:
    graph = module_graph(ROOT)
    assert len(graph) > 30
    assert cycle(graph) is None


def test_app_feature_packages_import_no_circle() -> None:
    packages = package_graph(module_graph(ROOT))
    assert {"app.shell", "app.register", "app.elder", "app.entry", "app.lists"} <= set(packages)
    assert cycle(packages) is None


def test_app_is_grouped_by_feature() -> None:
    loose = sorted(path.name for path in APP.glob("*.py")
                   if path.name not in {"__init__.py", "__main__.py"})
    assert loose == []


def test_circle_detection_sees_a_lazy_circle(tmp_path: Path) -> None:
    (tmp_path / "app" / "a").mkdir(parents=True)
    (tmp_path / "app" / "b").mkdir()
    for package in ("app", "app/a", "app/b"):
        (tmp_path / package / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "a" / "x.py").write_text("from app.b.y import f\n", encoding="utf-8")
    (tmp_path / "app" / "b" / "y.py").write_text(
        "def f() -> None:\n    from app.a import x\n", encoding="utf-8")
    graph = module_graph(tmp_path)
    assert graph["app.b.y"] == {"app.a.x"}
    assert cycle(graph) is not None
    assert cycle(package_graph(graph)) is not None
