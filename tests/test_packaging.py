"""The package as a council's IT would install it: a wheel, in a clean virtualenv, without
the development extras, with every import it makes declared."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from tests.engine.reports.test_report_fonts import SUBSET_OF_ARIMO, pdf_fonts

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "journey"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {normalise(re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0]) for spec in project["dependencies"]}


def imported_modules() -> dict[str, Path]:
    """Top-level modules the package imports (absolute imports), with a file that does."""
    found: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], path)
    return found


def test_every_module_the_package_imports_is_a_declared_dependency():
    declared = declared_dependencies()
    providers = packages_distributions()
    undeclared = {}
    for module, path in imported_modules().items():
        if module in sys.stdlib_module_names or module == "journey":
            continue
        distributions = {normalise(d) for d in providers.get(module, [])}
        if not distributions & declared:
            undeclared[module] = (sorted(distributions), str(path.relative_to(ROOT)))
    assert undeclared == {}, f"imported but not in pyproject's dependencies: {undeclared}"


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="uses no database: it runs once, in the SQLite leg",
)
def test_the_wheel_alone_in_a_clean_virtualenv_synthesises_computes_evaluates_and_writes_a_pdf(tmp_path):
    # A clean environment: none of this checkout's settings, paths or virtualenv.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JOURNEY_", "DJANGO_", "VIRTUAL_ENV", "PYTHON")) and key != "DATABASE_URL"}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    env["JOURNEY_DATA_DIR"] = str(tmp_path / "data")

    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), str(ROOT)], ROOT, env)
    (wheel,) = (tmp_path / "dist").glob("improvement_journey-*.whl")
    base_python = getattr(sys, "_base_executable", sys.executable)
    run([base_python, "-m", "venv", str(tmp_path / "venv")], tmp_path, env)
    venv_bin = tmp_path / "venv" / "bin"
    run([str(venv_bin / "pip"), "install", "--quiet", str(wheel)], tmp_path, env)
    extras = run([str(venv_bin / "pip"), "list", "--format=freeze"], tmp_path, env)
    assert "pytest==" not in extras and "playwright==" not in extras

    journey = str(venv_bin / "journey")
    plan = str(ROOT / "examples" / "plan.yaml")
    run([journey, "synth", "--population", "2000", "--from", "2023-04", "--to", "2024-06", "--out", "extract"], tmp_path, env)
    run([journey, "compute", "--data", "extract", "--plan", plan, "--from", "2023-04", "--to", "2024-06",
         "--out", "observations.csv"], tmp_path, env)
    evaluation = run([journey, "evaluate", "--plan", plan, "--observations", "observations.csv",
                      "--period", "2024-06", "--format", "csv"], tmp_path, env)
    assert "referrals_rate_per_10k" in evaluation
    run([journey, "report", "monthly", "--plan", plan, "--observations", "observations.csv",
         "--period", "2024-06", "-o", "pack.pdf"], tmp_path, env)
    pdf = (tmp_path / "pack.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    used = pdf_fonts(pdf)
    assert used and all(SUBSET_OF_ARIMO.match(name) for name in used) and all(used.values())
