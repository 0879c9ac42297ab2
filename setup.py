"""Wheel builds copy the shipped fonts and static files in from node_modules first.

Everything else about the package is in pyproject.toml; see scripts/vendor_assets.py.
"""

import runpy
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithAssets(build_py):
    def run(self) -> None:
        script = Path(__file__).resolve().parent / "scripts" / "vendor_assets.py"
        runpy.run_path(str(script))["vendor"]()
        super().run()


setup(cmdclass={"build_py": BuildWithAssets})
