"""The layers keep apart: engines behind the seam, inputs/ free of import circles, nothing
importing the CLI. Imports are read from the source (every import statement, also inside
functions and `if TYPE_CHECKING:`), as narwhals' import check reads its backends."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path) -> Iterator[str]:
    """Every module `path` imports (absolute names; `from a import b` yields a and a.b)."""
    package = module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(root: Path, package: str = "segcli") -> dict[str, set[str]]:
    modules = {module_name(p, root): p for p in (root / package).rglob("*.py")}
    return {
        name: {i for i in imports_of(path, root) if i in modules and i != name}
        for name, path in modules.items()
    }


def engines(graph: dict[str, set[str]]) -> set[str]:
    """The engine packages: every package directly under segcli.backends."""
    return {
        ".".join(m.split(".")[:3])
        for m in graph
        if m.startswith("segcli.backends.") and m.count(".") >= 2
    }


def seam_violations(graph: dict[str, set[str]]) -> list[str]:
    """Imports of an engine from outside its package; any engine import from inputs/ or spec/."""
    found = []
    for module, targets in graph.items():
        for engine in engines(graph):
            inside = module == engine or module.startswith(f"{engine}.")
            hits = [t for t in targets if t == engine or t.startswith(f"{engine}.")]
            if hits and not inside:
                found.append(f"{module} imports {hits[0]}")
        if module.startswith(("segcli.inputs", "segcli.spec")):
            found += [f"{module} imports {t}" for t in targets if t.startswith("segcli.backends")]
    return sorted(found)


def cycles(graph: dict[str, set[str]], prefix: str) -> list[list[str]]:
    """The import circles among the modules under `prefix` (one path per circle found)."""
    inner = {m: {t for t in ts if t.startswith(prefix)} for m, ts in graph.items()}
    found: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(inner.get(module, ())):
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(m for m in inner if m.startswith(prefix)):
        if module not in state:
            visit(module, [module])
    return found


def test_nothing_outside_an_engine_imports_it() -> None:
    graph = import_graph(ROOT)
    assert engines(graph) >= {"segcli.backends.polars"}
    assert seam_violations(graph) == []


def test_the_input_layer_has_no_import_circle() -> None:
    assert cycles(import_graph(ROOT), "segcli.inputs") == []


def test_nothing_imports_the_cli() -> None:
    graph = import_graph(ROOT)
    users = sorted(m for m, ts in graph.items() if "segcli.cli" in ts)
    assert users == ["segcli.__main__"]


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    """A tree that breaks each rule is caught: the checks above can fail."""
    files = {
        "segcli/__init__.py": "",
        "segcli/api.py": "from segcli.backends.polars.rules import compile_rule\n",
        "segcli/backends/__init__.py": "",
        "segcli/backends/polars/__init__.py": "from .engine import ENGINE\n",
        "segcli/backends/polars/engine.py": "from segcli.backends import Engine\n",
        "segcli/backends/polars/rules.py": "",
        "segcli/inputs/__init__.py": "",
        "segcli/inputs/a.py": "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from segcli.inputs.b import B\n",
        "segcli/inputs/b.py": "from segcli.inputs import a\n",
        "segcli/spec/__init__.py": "",
        "segcli/spec/x.py": "def f():\n    import segcli.backends\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    graph = import_graph(tmp_path)
    assert seam_violations(graph) == [
        "segcli.api imports segcli.backends.polars.rules",
        "segcli.spec.x imports segcli.backends",
    ]
    assert cycles(graph, "segcli.inputs") == [
        ["segcli.inputs.a", "segcli.inputs.b", "segcli.inputs.a"]
    ]
