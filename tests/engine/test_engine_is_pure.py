"""The engine must stay usable without Django: nothing under journey.engine imports it."""

import ast
from pathlib import Path

import journey.engine

ENGINE = Path(journey.engine.__file__).parent


def test_no_engine_module_imports_django():
    offenders = []
    for path in ENGINE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(ENGINE)}: {n}" for n in names if n.split(".")[0] in {"django", "journey"} and (n.startswith("django") or n.startswith("journey.web") or n.startswith("journey.cli"))]
    assert offenders == []
