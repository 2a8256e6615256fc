"""The library's layers depend one way: book → publication → index / measures → data / synthetic.

``synthetic`` (the modelled demo county) sits beside ``data``: its profile is reference data that
the open-data measures read (the default offence mix of ``measures.category_harm``), and it
imports nothing above it.

Read from the source with :mod:`ast` (no module is imported, so the check costs milliseconds):
every ``import`` / ``from … import`` in ``src/sna_lib/<layer>/`` — at module level or inside a
function — names a module, and a lower layer may not name a higher one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "sna_lib"

#: layer → the layers its modules may not import
FORBIDDEN = {
    "data": ("book", "publication", "index", "measures"),
    "synthetic": ("book", "publication", "index", "measures"),
    "measures": ("book", "publication"),
    "index": ("book", "publication"),
    "publication": ("book",),
}


def imported_modules(path: Path, root: Path = SRC.parent) -> list[tuple[int, str]]:
    """``(line, dotted module)`` for every import in ``path`` (a file under ``root``, the folder
    holding ``sna_lib``); relative imports are resolved against the file's package, and
    ``from sna_lib import book`` counts as ``sna_lib.book``."""
    package = path.relative_to(root).parts[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{a.name}") for a in node.names]
    return found


def layer_violations(src: Path = SRC) -> list[str]:
    """``file:line imports module`` for every import that points up the layers."""
    bad = []
    for layer, above in FORBIDDEN.items():
        banned = tuple(f"sna_lib.{name}" for name in above)
        for path in sorted((src / layer).rglob("*.py")):
            for line, module in imported_modules(path, src.parent):
                if module in banned or module.startswith(tuple(f"{b}." for b in banned)):
                    bad.append(f"{path.relative_to(src.parent).as_posix()}:{line} imports {module}")
    return sorted(set(bad))


def test_layers_import_downwards_only():
    # no exceptions: the last one (data.validate checking definition files with the parser in
    # measures.classify) went when the definition contract moved to data.definitions
    found = layer_violations()
    assert found == [], "lower layers import higher ones:\n" + "\n".join(found)


@pytest.mark.parametrize(("layer", "source", "expected"), [
    ("publication", "from sna_lib.book.nbhelpers import cache_dir\n", "sna_lib.book.nbhelpers"),
    ("publication", "def f():\n    from sna_lib import book\n", "sna_lib.book"),
    ("data", "import sna_lib.publication.store as s\n", "sna_lib.publication.store"),
    ("data", "from ...measures import classify\n", "sna_lib.measures"),
    ("measures", "from . import x\nfrom ... import publication\n", "sna_lib.publication"),
    ("index", "from ...book.describe import hotspot_method\n", "sna_lib.book.describe"),
])
def test_check_finds_an_upward_import(tmp_path, layer, source, expected):
    # a planted upward import in a copy of the layout is reported, with its line
    (tmp_path / "sna_lib" / layer / "sub").mkdir(parents=True)
    (tmp_path / "sna_lib" / layer / "sub" / "planted.py").write_text(source, encoding="utf-8")
    found = layer_violations(tmp_path / "sna_lib")
    assert any(f" imports {expected}" in v and "planted.py:" in v for v in found), found


def test_check_allows_downward_imports(tmp_path):
    (tmp_path / "sna_lib" / "publication").mkdir(parents=True)
    (tmp_path / "sna_lib" / "publication" / "ok.py").write_text(
        "from sna_lib.data.periods import Coverage\nfrom sna_lib.index import risk_index\n"
        "from sna_lib.bookish import x\n", encoding="utf-8")
    assert layer_violations(tmp_path / "sna_lib") == []


def unit_of(module: str) -> str | None:
    """The top-level unit of ``sna_lib`` a dotted module belongs to (``sna_lib.data.config`` →
    ``data``, ``sna_lib.period`` → ``period``); ``None`` outside ``sna_lib`` or for the package
    itself (``from sna_lib import x`` is recorded as ``sna_lib.x`` too, so that is read instead)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "sna_lib" and len(parts) > 1 else None


def mutual_imports(src: Path = SRC) -> list[str]:
    """``a <-> b`` for every pair of top-level units (packages or modules of ``sna_lib``) that
    import each other, directly: such a pair is one layer split across two folders."""
    known = {p.stem for p in src.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    edges: set[tuple[str, str]] = set()
    for path in sorted(src.rglob("*.py")):
        own = path.relative_to(src).parts[0].removesuffix(".py")
        for _, module in imported_modules(path, src.parent):
            other = unit_of(module)
            if other in known and other != own and own in known:
                edges.add((own, other))
    return sorted(f"{a} <-> {b}" for a, b in edges if a < b and (b, a) in edges)


def test_no_two_units_import_each_other():
    # the last pair (config.py <-> data/) went when the configuration moved into data/config.py
    assert mutual_imports() == []


def test_mutual_import_check_finds_a_planted_pair(tmp_path):
    root = tmp_path / "sna_lib"
    for package in ("data", "measures"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("", encoding="utf-8")
    (root / "__init__.py").write_text("", encoding="utf-8")
    (root / "settings.py").write_text("from sna_lib.data import names\n", encoding="utf-8")
    (root / "data" / "load.py").write_text("def f():\n    from sna_lib import settings\n", encoding="utf-8")
    (root / "measures" / "m.py").write_text("from sna_lib.data.load import f\n", encoding="utf-8")
    assert mutual_imports(root) == ["data <-> settings"]
