"""No compiled function takes more than 8 parameters (README, "Layout"): what a kernel needs travels
in named bundles (namedtuples of arrays), so a signature says which parts of the state a function
touches, and adding an array to a bundle does not ripple through every caller. Read from the source,
so a new kernel with a long parameter list fails here before review."""
from __future__ import annotations

import ast
from pathlib import Path

import evictsim

MAX_PARAMETERS = 8
COMPILING = ("kernel", "njit", "jit", "entry_point")


def _compiled(node: ast.FunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in COMPILING:
            return True
    return False


def test_compiled_functions_take_at_most_eight_parameters():
    package = Path(evictsim.__file__).parent
    compiled, too_long = 0, []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef) and _compiled(node):
                compiled += 1
                if len(node.args.args) > MAX_PARAMETERS:
                    too_long.append(f"{path.relative_to(package)}:{node.lineno} {node.name} "
                                    f"({len(node.args.args)} parameters)")
    assert compiled > 100          # the scan sees the kernels (it would pass vacuously otherwise)
    assert not too_long, too_long
