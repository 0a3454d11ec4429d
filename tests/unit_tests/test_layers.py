"""The package's shape holds: imports flow one way, the core knows no LangChain, modules stay short."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "langchain_roe"
MAX_MODULE_LINES = 700


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """Modules imported when `path` runs (module level, outside `if TYPE_CHECKING:`)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                found.add(inner.module)
            elif isinstance(inner, ast.Import):
                found.update(alias.name for alias in inner.names)
    return found


MODULES = {_module(p): p for p in PACKAGE.rglob("*.py")}
IMPORTS = {name: _runtime_imports(path) for name, path in MODULES.items()}


def test_no_import_cycles() -> None:
    ours = {name: {m for m in deps if m in MODULES} for name, deps in IMPORTS.items()}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        for dep in ours[name]:
            assert dep not in path, " -> ".join([*path[path.index(dep) :], dep])
            if dep not in done:
                visit(dep, [*path, dep])
        done.add(name)

    for name in ours:
        visit(name, [name])


def test_the_core_imports_no_langchain_but_blob() -> None:
    for name, deps in IMPORTS.items():
        if name.startswith("langchain_roe._core"):
            langchain = {
                m for m in deps if m.split(".")[0] in {"langchain_core", "langsmith", "langgraph"}
            }
            assert langchain <= {"langchain_core.documents.base"}, (name, langchain)
            surfaces = {
                m
                for m in deps
                if m.startswith("langchain_roe.")
                and not m.startswith("langchain_roe._core")
                and m != "langchain_roe._version"
            }
            assert surfaces == set(), name


def test_no_module_is_over_700_lines() -> None:
    long = {
        name: n
        for name, p in MODULES.items()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
