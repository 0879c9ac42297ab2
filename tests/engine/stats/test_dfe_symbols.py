"""DfE's suppression symbols become null figures with the symbol kept, never zero."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from journey.engine.stats.dfe import SUPPRESSION_SYMBOLS, figure


def test_every_symbol_is_null_with_the_symbol_kept_and_numbers_are_numbers():
    cells = ["12.5", "0", "c", "k", "low", "u", "x", "z", ":", ".", None]
    number, symbol = figure("cell")
    got = pl.DataFrame({"cell": cells}).select(number.alias("value"), symbol.alias("suppression"))
    expected = pl.DataFrame(
        {
            "value": [12.5, 0.0, None, None, None, None, None, None, None, None, None],
            "suppression": [None, None, "c", "k", "low", "u", "x", "z", ":", ".", None],
        },
        schema={"value": pl.Float64, "suppression": pl.String},
    )
    assert_frame_equal(got, expected)
    assert set(SUPPRESSION_SYMBOLS) == {"c", "k", "low", "u", "x", "z", ":", "."}
