"""Copy the front-end packages the product ships from node_modules into the Python package.

The fonts (Arimo, metrically compatible with Arial, SIL Open Font Licence) and the web's
static files (GOV.UK Frontend, htmx) come from the npm registry, pinned with their
integrity hashes in package-lock.json; nothing is downloaded by hand or committed. This
copies them where the installed package finds them, so a wheel carries them and an
installation never depends on the fonts or files of the machine it runs on.

Run by ``make install`` and by the wheel build (``setup.py``). It runs ``npm ci`` first when
node_modules is missing, and fails loudly when a file it needs is not there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
PACKAGE = ROOT / "src" / "journey"

ARIMO = NODE_MODULES / "@expo-google-fonts" / "arimo"
FONT_FILES = {
    # shipped name: file in the npm package
    "Arimo-Regular.ttf": ARIMO / "400Regular" / "Arimo_400Regular.ttf",
    "Arimo-Bold.ttf": ARIMO / "700Bold" / "Arimo_700Bold.ttf",
    "Arimo-Italic.ttf": ARIMO / "400Regular_Italic" / "Arimo_400Regular_Italic.ttf",
    "Arimo-BoldItalic.ttf": ARIMO / "700Bold_Italic" / "Arimo_700Bold_Italic.ttf",
    "OFL.txt": ARIMO / "LICENSE_FONT",
}
FONTS_DIR = PACKAGE / "engine" / "fonts"

STATIC_TREES = {
    # folder under journey/web/static/vendor: folder in node_modules
    "govuk-frontend": NODE_MODULES / "govuk-frontend" / "dist" / "govuk",
    "htmx": NODE_MODULES / "htmx.org" / "dist",
}
STATIC_DIR = PACKAGE / "web" / "static" / "vendor"
# Only what pages load; the GOV.UK font and crown are not used.
STATIC_SUFFIXES = {".css", ".js", ".mjs", ".map", ".png", ".svg", ".ico"}
STATIC_SKIP_PARTS = {"fonts", "node_modules", "locales", "test", "tests"}


def ensure_node_modules() -> None:
    needed = [*FONT_FILES.values(), *STATIC_TREES.values()]
    if not all(path.exists() for path in needed):
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("vendor_assets: node_modules is missing and npm is not installed; "
                     "install Node.js and npm (Debian: apt install npm), then run `npm ci`.")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True)  # noqa: S603 - npm from PATH, fixed arguments


def copy_if_changed(source: Path, target: Path) -> bool:
    if not source.is_file():
        sys.exit(f"vendor_assets: {source.relative_to(ROOT)} is missing; run `npm ci`.")
    if target.exists() and target.stat().st_size == source.stat().st_size and target.read_bytes() == source.read_bytes():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return True


def vendor() -> int:
    """Copy every shipped asset; returns how many files changed."""
    ensure_node_modules()
    changed = 0
    for name, source in FONT_FILES.items():
        changed += copy_if_changed(source, FONTS_DIR / name)
    for folder, tree in STATIC_TREES.items():
        if not tree.is_dir():
            sys.exit(f"vendor_assets: {tree.relative_to(ROOT)} is missing; run `npm ci`.")
        wanted = set()
        for source in tree.rglob("*"):
            relative = source.relative_to(tree)
            if source.is_file() and source.suffix in STATIC_SUFFIXES and not STATIC_SKIP_PARTS & set(relative.parts[:-1]):
                wanted.add(relative)
                changed += copy_if_changed(source, STATIC_DIR / folder / relative)
        for existing in (STATIC_DIR / folder).rglob("*"):
            if existing.is_file() and existing.relative_to(STATIC_DIR / folder) not in wanted:
                existing.unlink()
                changed += 1
    return changed


if __name__ == "__main__":
    count = vendor()
    print(f"vendor_assets: fonts and static files in place ({count} file(s) updated)")
