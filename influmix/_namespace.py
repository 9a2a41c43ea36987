"""influmix's own modules under the `influmix.` name, whatever else is importable as `models`.

The repository keeps `models/`, `optimizer/`, `reports/` and `cli.py` at the top and imports
them by those names. Installed, that would clash with a project's own `models` or `optimizer`
package, so the installed distribution holds them inside `influmix/`, and this finder loads
them as `influmix.models...`, with their imports of those names rewritten to the `influmix.`
names. Nothing else is touched: a project's own `models` stays its own.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import CodeType, ModuleType

PACKAGE = "influmix"
INTERNAL = ("models", "optimizer", "reports", "cli")
ROOT = Path(__file__).parent  # holds models/, optimizer/, reports/, cli.py (links to the top in the repository)


def internal(name: str | None) -> bool:
    """A module name that is one of influmix's own top-level names (or below one)."""
    return name is not None and name.split(".")[0] in INTERNAL


class Rewriter(ast.NodeTransformer):
    """`from models.x import y` -> `from influmix.models.x import y`; `import models` ->
    `import influmix.models as models` (the name bound stays the same)."""

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.ImportFrom:
        if node.level == 0 and internal(node.module):
            node.module = f"{PACKAGE}.{node.module}"
        return node

    def visit_Import(self, node: ast.Import) -> ast.Import:
        for alias in node.names:
            if internal(alias.name):
                if alias.asname is None and "." in alias.name:
                    raise ImportError(f"influmix: write 'from {alias.name.rpartition('.')[0]} import ...' "
                                      f"instead of 'import {alias.name}'")
                alias.asname = alias.asname or alias.name
                alias.name = f"{PACKAGE}.{alias.name}"
        return node


class Loader(importlib.machinery.SourceFileLoader):
    """Compiles the rewritten source; never writes bytecode (the file's cache belongs to its
    top-level name)."""

    def get_code(self, fullname: str) -> CodeType:
        source = self.get_data(self.path)
        tree = Rewriter().visit(ast.parse(source, self.path))
        return compile(tree, self.path, "exec", dont_inherit=True)


class Finder(importlib.abc.MetaPathFinder):
    """Finds `influmix.models...`, `influmix.optimizer...`, `influmix.reports...` and `influmix.cli` under ROOT."""

    def find_spec(self, fullname: str, path: object, target: ModuleType | None = None):
        head, _, rest = fullname.partition(".")
        if head != PACKAGE or not internal(rest):
            return None
        base = ROOT.joinpath(*rest.split("."))
        if (base / "__init__.py").is_file():
            file = base / "__init__.py"
            return importlib.util.spec_from_file_location(
                fullname, file, loader=Loader(fullname, str(file)), submodule_search_locations=[str(base)])
        if base.is_dir():  # a namespace package (no __init__.py): its modules still come through here
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [str(base)]
            return spec
        file = base.with_suffix(".py")
        if file.is_file():
            return importlib.util.spec_from_file_location(fullname, file, loader=Loader(fullname, str(file)))
        return None


def install() -> None:
    """Put the finder first (once), ahead of any path that holds another `models`."""
    if not any(isinstance(finder, Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, Finder())
