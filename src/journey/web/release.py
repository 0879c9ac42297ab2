"""Which code is running: a hash of the engine's and the web's code, templates and own
static files, so what one release drew or pickled is never taken for another's."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import journey

CODE_SUFFIXES = {".py", ".html", ".css", ".js"}


@cache
def code_version() -> str:
    """A hash of the engine's and the web's code, templates and own static files: a new
    release draws pages differently (so their old ETags must not match) and may shape its
    cached objects differently (so its cache keys must differ)."""
    root = Path(journey.__file__).parent
    digest = hashlib.sha256(journey.__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.suffix in CODE_SUFFIXES and "vendor" not in path.parts and path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
