"""The package's layout holds: layers import one way only, contracts are spelled only in their registries, the README table is the registry."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from screanalytics_dagster.orchestration.operations import OPERATIONS
from screanalytics_dagster.resources.artifacts import EPISODE_ARTIFACTS

pytestmark = pytest.mark.unit


PACKAGE = Path(__file__).resolve().parents[1] / "screanalytics_dagster"
README = PACKAGE.parent / "README.md"
# Each top-level part of the package and its rank: a module may import only parts of a lower rank (or its own part).
RANK = {
    "ids": 0, "settings": 0,
    "vision": 1,
    "resources": 2,
    "assets": 3, "samples": 3,
    "orchestration": 4,
    "definitions": 5, "api": 5, "deploy": 5,
    "cli": 6, "ui": 6,  # ui itself imports nothing of the package: it talks to the API over HTTP
    "testing": 7,
}
ARTIFACT_REGISTRY = PACKAGE / "resources" / "artifacts.py"
OPERATION_REGISTRY = PACKAGE / "orchestration" / "operations.py"


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def part_of(path: Path) -> str:
    """The top-level part a module belongs to: `assets/faces.py` -> `assets`, `cli.py` -> `cli`."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported_parts(path: Path) -> set[str]:
    """The top-level parts of the package that a module imports (lazy imports inside functions included)."""
    package = list(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1] + (node.module.split(".") if node.module else [])
            else:
                base = (node.module or "").split(".")
            names = [base + [alias.name] for alias in node.names] if len(base) == 1 else [base]
        elif isinstance(node, ast.Import):
            names = [alias.name.split(".") for alias in node.names]
        else:
            continue
        found |= {name[1] for name in names if name[0] == PACKAGE.name and len(name) > 1}
    return {part.removesuffix(".py") for part in found}


def test_the_package_root_holds_few_modules():
    root = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert len(root) <= 6, root


def test_every_part_has_a_rank():
    assert {part_of(p) for p in modules() if p.name != "__init__.py" or p.parent != PACKAGE} <= set(RANK)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way(path):
    part = part_of(path)
    imported = imported_parts(path) - {part}
    if part == "ui":
        assert imported == set(), f"the review UI talks to the API over HTTP only, yet imports {imported}"
        return
    upward = {other for other in imported if RANK[other] >= RANK[part]}
    assert not upward, f"{path.relative_to(PACKAGE)} ({part}, rank {RANK[part]}) imports {upward}"


def test_nothing_in_production_imports_testing():
    assert [str(p.relative_to(PACKAGE)) for p in modules() if part_of(p) != "testing" and "testing" in imported_parts(p)] == []


def strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal of a module but its docstrings, f-string parts included."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_artifact_names_are_spelled_only_in_their_registry():
    names = [a.name for a in EPISODE_ARTIFACTS]
    found = [
        f"{path.relative_to(PACKAGE)}:{line}: {text!r}"
        for path in modules() if path != ARTIFACT_REGISTRY
        for line, text in strings(path) if any(name in text for name in names)
    ]
    assert found == []


def test_operation_names_are_spelled_only_in_their_registry():
    names = {op.name for op in OPERATIONS.values()} | {op.job for op in OPERATIONS.values()} | {op.path for op in OPERATIONS.values()}
    found = [
        f"{path.relative_to(PACKAGE)}:{line}: {text!r}"
        for path in modules() if path != OPERATION_REGISTRY
        for line, text in strings(path) if text in names
    ]
    assert found == []


def readme_artifacts() -> dict[str, list[str]]:
    """The README's artifact table: file -> [written by, one row per, columns]."""
    rows = {}
    for line in README.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"`[a-z_]+\.(parquet|json)`", cells[0]):
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_the_readme_artifact_table_is_the_registry():
    expected = {
        a.name: [a.asset or "the API", a.one_row_per, ", ".join(f"`{f.name}`" for f in a.schema) if a.schema is not None else "(JSON)"]
        for a in EPISODE_ARTIFACTS
    }
    assert readme_artifacts() == expected
