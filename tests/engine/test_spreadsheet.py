"""Formula escaping: risky text shows as text, and files read back get their values back."""

import polars as pl
from polars.testing import assert_frame_equal

from journey.engine.spreadsheet import (
    escape_cell,
    escape_text,
    escape_text_columns,
    unescape_expr,
    unescape_text,
)

VALUES = ["=SUM(A1)", "+44 20", "-3", "@me", "\tx", "\rx", "'quoted", "''twice", "plain", "", "O'Neill"]


def test_a_cell_for_people_gets_an_apostrophe_only_when_a_spreadsheet_would_run_it():
    assert [escape_cell(v) for v in ["=1+1", "-3", "plain", "'quoted", None]] == [
        "'=1+1", "'-3", "plain", "'quoted", ""
    ]


def test_text_written_to_be_read_back_round_trips_exactly():
    # One apostrophe is added before a trigger or an apostrophe; reading removes exactly one.
    assert escape_text("'quoted") == "''quoted"
    assert escape_text("O'Neill") == "O'Neill"
    assert [unescape_text(escape_text(v)) for v in VALUES] == VALUES


def test_the_column_forms_agree_with_the_scalar_forms():
    frame = pl.DataFrame({"text": VALUES, "number": list(range(len(VALUES)))})
    escaped = escape_text_columns(frame)
    assert escaped["text"].to_list() == [escape_text(v) for v in VALUES]
    assert escaped["number"].to_list() == list(range(len(VALUES)))
    assert_frame_equal(escaped.with_columns(unescape_expr(pl.col("text"))), frame)


def test_the_column_form_removes_an_apostrophe_exactly_where_the_scalar_form_does():
    texts = [*VALUES, "'", "'a", "''", "'-", "a'=", "'\n", "'\\"]
    frame = pl.DataFrame({"text": texts})
    assert frame.select(unescape_expr(pl.col("text")))["text"].to_list() == [unescape_text(v) for v in texts]
