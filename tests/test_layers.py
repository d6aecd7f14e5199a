"""The layers of docs/architecture.md hold: imports run service -> training -> nn -> envs.

Every ``import`` statement of the package sources is read from their syntax trees, those
inside functions included, so a lazy import against the order fails here as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("envs", "rllib_gnn")

#: (importer prefix, forbidden import prefixes): the layer order, top to bottom.
FORBIDDEN = (
    ("envs", ("ray", "torch", "torch_geometric", "rllib_gnn")),
    ("rllib_gnn.nn", ("rllib_gnn.training", "rllib_gnn.service")),
    ("rllib_gnn.training", ("rllib_gnn.service",)),
)


def find_modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of ``packages`` under ``root``, by dotted name."""
    found = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(name: str, known: dict[str, Path]) -> set[str]:
    """The dotted names module ``name`` imports anywhere in its body; ``from a import b``
    counts as ``a.b`` when that is a known module, else as ``a``."""
    path = known[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            out.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names)
    return out


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_violations(known: dict[str, Path]) -> list[str]:
    """``"a imports b"`` for every import against :data:`FORBIDDEN`."""
    return sorted(f"{name} imports {target}"
                  for layer, forbidden in FORBIDDEN
                  for name in known if under(name, layer)
                  for target in imports_of(name, known)
                  if any(under(target, f) for f in forbidden))


def mutual_imports(known: dict[str, Path]) -> list[tuple[str, str]]:
    """The pairs of modules that import each other."""
    edges = {name: {t for t in imports_of(name, known) if t in known and t != name}
             for name in known}
    return sorted({tuple(sorted((a, b))) for a, targets in edges.items() for b in targets
                   if a in edges[b]})


def test_the_package_follows_the_layer_order():
    known = find_modules(ROOT, PACKAGES)
    assert {"envs.mvc.core", "rllib_gnn.nn.module", "rllib_gnn.training.trainable",
            "rllib_gnn.service.cli"} <= set(known)
    violations = layer_violations(known)
    assert not violations, "imports against the layer order:\n" + "\n".join(violations)


def test_no_two_modules_import_each_other():
    pairs = mutual_imports(find_modules(ROOT, PACKAGES))
    assert not pairs, f"modules that import each other: {pairs}"


@pytest.mark.parametrize("importer, source, expected", [
    ("envs/bad.py", "def f():\n    import torch\n", "envs.bad imports torch"),
    ("rllib_gnn/nn/bad.py", "from rllib_gnn.training import trainable\n",
     "rllib_gnn.nn.bad imports rllib_gnn.training.trainable"),
    ("rllib_gnn/nn/bad.py", "from ..service import cli\n",
     "rllib_gnn.nn.bad imports rllib_gnn.service.cli"),
    ("rllib_gnn/training/bad.py", "from rllib_gnn.service.cli import main\n",
     "rllib_gnn.training.bad imports rllib_gnn.service.cli"),
])
def test_the_checks_catch_a_lazy_relative_or_absolute_import_against_the_order(
        tmp_path, importer, source, expected):
    for package in ("envs", "rllib_gnn", "rllib_gnn/nn", "rllib_gnn/training",
                    "rllib_gnn/service"):
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    for module in ("rllib_gnn/training/trainable.py", "rllib_gnn/service/cli.py"):
        (tmp_path / module).write_text("")
    (tmp_path / importer).write_text(source)
    assert layer_violations(find_modules(tmp_path, PACKAGES)) == [expected]


def test_the_check_catches_two_modules_that_import_each_other(tmp_path):
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "a.py").write_text("def f():\n    from envs import b\n")
    (tmp_path / "envs" / "b.py").write_text("import envs.a\n")
    assert mutual_imports(find_modules(tmp_path, ("envs",))) == [("envs.a", "envs.b")]
