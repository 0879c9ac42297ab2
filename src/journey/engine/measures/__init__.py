"""The measure library: definitions, computation for ranges of months, drill-down.

``compute(extract, first, last)`` gives observations for every measure;
``drilldown(extract, measure_id, month)`` lists the children behind a figure;
``REGISTRY`` holds the definitions (``docs/measures.md`` is generated from it).
"""

from __future__ import annotations

# The area modules register their measures on import, in documentation order.
from journey.engine.measures import (
    assessment,
    care_leavers,
    front_door,
    looked_after,
    missing_and_voice,
    protection,
    workforce,
)
from journey.engine.measures.compute import (
    OBSERVATION_SCHEMA,
    Request,
    compute,
    compute_requests,
    not_computable,
    plan_population,
    plan_requests,
)
from journey.engine.measures.drilldown import drilldown
from journey.engine.measures.registry import (
    REGISTRY,
    MeasureDef,
    Parameter,
    explain,
    get,
    latest_is_like_rated,
    library_ids,
    render_docs,
)

AREA_MODULES = (front_door, assessment, protection, looked_after, missing_and_voice, care_leavers, workforce)

__all__ = [
    "AREA_MODULES",
    "OBSERVATION_SCHEMA",
    "REGISTRY",
    "MeasureDef",
    "Parameter",
    "Request",
    "compute",
    "compute_requests",
    "not_computable",
    "drilldown",
    "explain",
    "get",
    "latest_is_like_rated",
    "library_ids",
    "plan_population",
    "plan_requests",
    "render_docs",
]
