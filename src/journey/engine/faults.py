"""Named points in a load where the crash-safety tests stop the process to kill it.

A load writes to two places (the snapshot store on disk and the database); the tests
check that killing it anywhere leaves both as they were before or as they are after,
never half. To kill it at an exact point rather than at a random moment, a test sets
``JOURNEY_PAUSE_AT`` to a point's name and ``JOURNEY_PAUSE_FILE`` to a path: on reaching
that point the process writes the name into the file and waits until the file is
removed (the test kills it meanwhile, or removes the file to let it go on). Unset, as
always outside those tests, a checkpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

#: Every point, in the order a load passes them (the tests kill at each).
POINTS = (
    "proposal-computed",
    "lock-held",
    "store-tables-written",
    "store-manifest-written",
    "store-renamed",
    "figures-inserted",
    "observations-replaced",
    "committed",
)


def checkpoint(name: str) -> None:
    """Wait here while a crash-safety test kills the process (see the module docstring)."""
    if os.environ.get("JOURNEY_PAUSE_AT") != name:
        return
    flag = Path(os.environ["JOURNEY_PAUSE_FILE"])
    flag.write_text(name, encoding="utf-8")
    while flag.exists():
        time.sleep(0.02)
