"""The package's shape, checked: layers (README, "Architecture"), no import cycle, light import.

Layers, lowest first: a module may import from its own layer or one below, never above.
"""

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import nnmf_research

PACKAGE = Path(nnmf_research.__file__).resolve().parent

FOUNDATION = {"checks", "status", "results", "losses", "gram", "rational", "balance", "init",
              "io", "interrupts", "sparse_support", "threads"}
LAYERS = {**{name: 0 for name in FOUNDATION},
          "models": 1, "kernels": 1, "datasets": 1,
          "drivers": 2,
          # 3: every factorization family and the bounds (the default for a new module)
          "reproduce": 4,
          "cli": 5}
FAMILY_LAYER = 3


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    rel = Path(*name.split(".")[1:]) if "." in name else Path()
    return (PACKAGE / rel).with_suffix(".py").is_file() or (PACKAGE / rel / "__init__.py").is_file()


def _imports(path: Path, top_level_only: bool):
    """The nnmf_research modules that ``path`` imports (relative imports resolved)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("nnmf_research"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield sub if _is_module(sub) else target
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("nnmf_research"):
                    yield alias.name


def _layer(module: str) -> int:
    parts = module.split(".")
    return FAMILY_LAYER if len(parts) < 2 else LAYERS.get(parts[1], FAMILY_LAYER)


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "experiments" not in p.parts)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path):
    source = _module_name(path)
    if source == "nnmf_research":
        return  # the flat public API re-exports every layer
    above = [t for t in _imports(path, top_level_only=False)
             if t != "nnmf_research" and _layer(t) > _layer(source)]
    assert not above, f"{source} (layer {_layer(source)}) imports {above}"


def test_there_is_no_import_cycle():
    graph = nx.DiGraph()
    for path in SOURCES:
        source = _module_name(path)
        for target in _imports(path, top_level_only=True):
            if target != source:
                graph.add_edge(source, target)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_the_layer_table_knows_every_subpackage():
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert subpackages - {"bounds"} <= set(LAYERS), subpackages - set(LAYERS)


def test_importing_the_package_loads_no_solver_and_no_plotting():
    heavy = ("cvxpy", "clarabel", "scs", "highspy", "pyscipopt", "osqp", "matplotlib",
             "sklearn", "joblib")
    code = ("import sys, nnmf_research, nnmf_research.cli\n"
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_a_lazy_name_resolves_to_the_cvxpy_model():
    from nnmf_research import frobenius_model
    from nnmf_research.models.frobenius import frobenius_model as direct

    assert frobenius_model is direct
    assert "tensor_mode_model" in dir(nnmf_research)
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        nnmf_research.not_a_name  # noqa: B018
