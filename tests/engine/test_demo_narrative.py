"""The demo's narrative reads like a real council's: consistent with each measure's
rating, direction of travel and benchmarks (a Red measure is never "working well")."""

from __future__ import annotations

import pytest

from journey.cli.demo import narrative_for
from journey.engine.evaluation import Rag, evaluate_measure
from journey.engine.plan import Measure

CLA = Measure.model_validate({
    "id": "cla", "title": "Children looked after per 10,000", "unit": "rate_per_10k",
    "polarity": "lower_is_better", "source": "manual", "targets": {"2024-09": 120}, "tolerance": {"percent": 10},
})


@pytest.mark.parametrize(("value", "previous", "rag"), [(154.8, 150.0, Rag.RED), (154.8, 160.0, Rag.RED),
                                                         (125.0, 126.0, Rag.AMBER), (110.0, 112.0, Rag.GREEN)])
def test_the_demo_narrative_agrees_with_the_rating_direction_and_england(value, previous, rag):
    result = evaluate_measure(CLA, "2024-09", value, previous)
    assert result.rag is rag
    texts = narrative_for(CLA, result, {"England (2023)": 71.0})
    if rag is Rag.RED:
        assert "outside tolerance" in texts["worried_about"]
        assert "worse than England (71.0)" in texts["worried_about"]
        assert texts["working_well"] in (
            "Little is working well on this measure yet.",
            "The figure improved on the month before, but it is still outside tolerance, so this is not yet an achievement.",
        )
        assert "recovery plan" in texts["doing_about"]
    elif rag is Rag.GREEN:
        assert "Green against a target of 120.0" in texts["working_well"]
    else:
        assert "within tolerance" in texts["working_well"] and "not yet at the target" in texts["worried_about"]
    direction_words = {"improving": "improved", "worsening": "worse than the month before"}
    word = direction_words.get(result.direction.value)
    if word and rag is not Rag.RED:
        assert word in texts["working_well"]
