"""The fonts every document and chart is set in, shipped with the package.

Council documents are set in Arial. Arimo (SIL Open Font Licence) has Arial's metrics, so
a page laid out here breaks where it would in Arial, and the same input gives the same
pages on any machine, whatever fonts the host has. The files come from the npm package
``@expo-google-fonts/arimo`` (pinned in package-lock.json) and are copied into this folder
by ``scripts/vendor_assets.py`` at install and wheel-build time.
"""

from __future__ import annotations

import base64
import io
import threading
from functools import cache
from pathlib import Path

FAMILY = "Arimo"
# What documents ask for: the shipped font first; Arial is the same design where the
# reader's own software (a browser showing the HTML report without its fonts) substitutes.
FONT_STACK = f"{FAMILY}, Arial, sans-serif"

FONTS_DIR = Path(__file__).resolve().parent

# (file, CSS weight, CSS style)
FACES: tuple[tuple[str, int, str], ...] = (
    ("Arimo-Regular.ttf", 400, "normal"),
    ("Arimo-Bold.ttf", 700, "normal"),
    ("Arimo-Italic.ttf", 400, "italic"),
    ("Arimo-BoldItalic.ttf", 700, "italic"),
)

# The characters a board pack uses: Latin, Latin Extended-A, general punctuation, the
# pound and euro signs, arrows, mathematical operators and geometric shapes (RAG and
# direction-of-travel symbols). The single-file HTML report embeds just these.
WEB_UNICODES = (
    list(range(0x20, 0x7F)) + list(range(0xA0, 0x180)) + list(range(0x2000, 0x2070))
    + [0x20AC, 0x2122] + list(range(0x2190, 0x21FF)) + list(range(0x2200, 0x2270))
    + list(range(0x25A0, 0x25FF))
)

# URLs under which documents refer to the shipped files; the PDF renderer's fetcher
# resolves exactly these and nothing else.
FONT_SCHEME = "journey-font:"


class FontsMissing(RuntimeError):
    """The package was installed without its fonts (a build that skipped vendor_assets)."""


def font_path(name: str) -> Path:
    path = FONTS_DIR / name
    if not path.is_file():
        raise FontsMissing(
            f"the shipped font {name} is missing from {FONTS_DIR}; reinstall the package "
            "(from a source checkout: `make install`, which runs scripts/vendor_assets.py)"
        )
    return path


def font_files() -> list[Path]:
    return [font_path(name) for name, _, _ in FACES]


def font_url(name: str) -> str:
    return FONT_SCHEME + name


def fetch_font(url: str) -> bytes | None:
    """The bytes of a shipped font for one of :func:`font_url`'s URLs, else None."""
    if not url.startswith(FONT_SCHEME):
        return None
    name = url[len(FONT_SCHEME):]
    if name not in {face for face, _, _ in FACES}:
        return None
    return font_path(name).read_bytes()


def _face_rule(src: str, weight: int, style: str) -> str:
    return (
        f'@font-face {{ font-family: "{FAMILY}"; src: {src}; '
        f"font-weight: {weight}; font-style: {style}; }}"
    )


def print_font_faces() -> str:
    """``@font-face`` rules for the PDF: the whole fonts, fetched by the PDF renderer."""
    return "\n".join(
        _face_rule(f'url("{font_url(name)}") format("truetype")', weight, style)
        for name, weight, style in FACES
    )


@cache
def screen_font_faces() -> str:
    """``@font-face`` rules for the single-file HTML report: each face subset to the
    characters reports use and embedded as WOFF2, so the file stands alone."""
    return "\n".join(
        _face_rule(f'url("data:font/woff2;base64,{_web_font(name)}") format("woff2")', weight, style)
        for name, weight, style in FACES
    )


def _web_font(name: str) -> str:
    from fontTools import subset  # a dependency of WeasyPrint, with WOFF2 support

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    font = subset.load_font(str(font_path(name)), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=WEB_UNICODES)
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


_CHARTS_LOCK = threading.Lock()
_charts_ready = False


def register_chart_fonts() -> None:
    """Give vl-convert the shipped fonts (once per process), so charts measure and set
    their text in Arimo rather than whatever the host has."""
    global _charts_ready
    if _charts_ready:
        return
    with _CHARTS_LOCK:
        if _charts_ready:
            return
        import vl_convert as vlc

        font_files()  # fail clearly if they are missing
        vlc.register_font_directory(str(FONTS_DIR))
        _charts_ready = True
