"""The measure library: definitions, computation for ranges of months, drill-down.

``compute(extract, first, last)`` gives observations for every measure;
``drilldown(extract, measure_id, month)`` lists the children behind a figure;
``REGISTRY`` holds the definitions (``docs/measures.md`` is generated from it).
"""

from __future__ import annotations

from journey.engine.measures.registry import REGISTRY, MeasureDef, Parameter, get, library_ids, render_docs

# The area modules register their measures on import, in documentation order.
from journey.engine.measures import front_door, assessment, protection, looked_after, care_leavers, workforce  # noqa: E402, I001
from journey.engine.measures.compute import OBSERVATION_SCHEMA, compute  # noqa: E402
from journey.engine.measures.drilldown import drilldown  # noqa: E402

__all__ = [
    "OBSERVATION_SCHEMA",
    "REGISTRY",
    "MeasureDef",
    "Parameter",
    "compute",
    "drilldown",
    "get",
    "library_ids",
    "render_docs",
]
