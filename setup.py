"""Wheel builds copy the shipped fonts and static files in from node_modules first.

Everything else about the package is in pyproject.toml; see scripts/vendor_assets.py.
"""

import runpy
from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithAssets(build_py):
    def run(self) -> None:
        runpy.run_path(str(ROOT / "scripts" / "vendor_assets.py"))["vendor"]()
        # The folders just copied in (e.g. static/vendor/htmx) did not exist when the
        # packages were listed: name them, so their files are shipped as package data by
        # configuration rather than by a fallback setuptools warns it will remove.
        copied = [
            name for name in find_namespace_packages(where=str(ROOT / "src"), include=["journey.*"])
            if all(part.isidentifier() for part in name.split("."))
        ]
        self.packages = sorted(set(self.packages or []) | set(copied))
        super().run()


setup(cmdclass={"build_py": BuildWithAssets})
