"""Upload limits checked before parsing: wide headers, long lines, zip ratios, workbook cells."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import openpyxl
import pytest

from journey.engine.casedata.load import read_files
from journey.engine.casedata.safety import Limits, UnsafeInput, check_zip, decode_text, read_xlsx


def _codes(report) -> list[str]:
    return [p.code for p in report.errors]


def test_a_csv_with_a_million_columns_is_refused_fast_and_with_little_memory():
    header = b",".join(b"c%d" % i for i in range(1_000_000))  # ~7.9 MB, as in the finding
    data = header + b"\n" + b"1," * 999_999 + b"1\n"
    read_files({"children.csv": b"child_id\nC1\n"})  # imports done before measuring
    tracemalloc.start()
    started = time.perf_counter()
    try:
        _extract, report = read_files({"children.csv": data})
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert _codes(report) in (["line_too_long"], ["too_many_columns"])
    assert peak < 64 * 1024 * 1024  # a small multiple of the file, never gigabytes
    assert time.perf_counter() - started < 30  # generous: the point is not 12 s and 1.2 GB


def test_a_header_wider_than_the_column_limit_is_refused_before_parsing():
    header = ",".join(f"col{i}" for i in range(600)).encode()
    with pytest.raises(UnsafeInput) as refused:
        decode_text(header + b"\n", "children.csv", Limits())
    assert refused.value.problem.code == "too_many_columns"
    assert "600 columns" in refused.value.problem.message


def test_a_header_with_quoted_commas_is_counted_as_csv_counts_it():
    header = ",".join(f'"a,{i}"' for i in range(300)).encode()  # 600 commas, 300 fields
    assert decode_text(header + b"\nx\n", "children.csv", Limits()).startswith('"a,0"')


@pytest.mark.parametrize("position", ["first", "middle", "last", "straddling"])
def test_a_line_longer_than_the_limit_is_refused_wherever_it_is(position):
    limits = Limits(line_bytes=1000)
    short = b"C1,F,2015-03-02\n" * 200
    long_line = b"C9,F," + b"x" * 1001 + b"\n"
    if position == "first":
        data = long_line + short
    elif position == "middle":
        data = short + long_line + short
    elif position == "last":
        data = short + long_line.rstrip(b"\n")
    else:  # starts just before a multiple of the limit and ends just after the next one
        data = b"x" * 995 + b"\n" + b"y" * 1003 + b"\n" + short
    with pytest.raises(UnsafeInput) as refused:
        decode_text(data, "children.csv", limits)
    assert refused.value.problem.code == "line_too_long"


def test_lines_up_to_the_limit_are_accepted():
    limits = Limits(line_bytes=1000)
    data = (b"a" * 1000 + b"\n") * 5 + b"b" * 1000
    assert len(decode_text(data, "children.csv", limits)) == len(data)


def _stored_zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_a_workbook_of_many_parts_each_just_under_a_megabyte_over_the_ratio_is_refused():
    # The finding: 50 parts each just under 1 MB at ratio ~430 passed (only parts over
    # 1 MB were checked) and took 59 s of server work.
    parts = {"xl/workbook.xml": b"<workbook/>"}
    parts.update({f"xl/media/part{i}.xml": b" " * (1024 * 1024 - 10) for i in range(50)})
    with pytest.raises(UnsafeInput) as refused:
        check_zip(_stored_zip(parts), "extract.xlsx", Limits())
    assert refused.value.problem.code == "zip_bomb"


def test_the_ratio_applies_to_the_whole_archive_too():
    # Each part alone is under the ratio of 50; together they are far over it.
    varied = bytes(range(256)) * 40
    parts = {"xl/workbook.xml": varied, "xl/a.xml": b"a" * 200_000, "xl/b.xml": varied}
    limits = Limits(zip_ratio=50)
    data = _stored_zip(parts)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        ratios = [e.file_size / e.compress_size for e in archive.infolist()]
    assert max(ratios) > 50  # sanity: the 'a' part alone is over too
    with pytest.raises(UnsafeInput):
        check_zip(data, "extract.xlsx", limits)


def _workbook(sheets: int, rows: int, columns: int) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for s in range(sheets):
        sheet = book.create_sheet(f"s{s}")
        for r in range(rows):
            sheet.append([f"v{r}-{c}" for c in range(columns)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_cells_of_a_workbook_are_capped_across_all_its_sheets():
    data = _workbook(sheets=3, rows=20, columns=10)  # 600 cells, 200 a sheet
    read_xlsx(data, "extract.xlsx", Limits(cells=600))
    with pytest.raises(UnsafeInput) as refused:
        read_xlsx(data, "extract.xlsx", Limits(cells=599))
    assert refused.value.problem.code == "too_many_cells"


def test_a_workbook_declaring_more_cells_than_the_cap_is_refused_before_its_rows_are_read():
    data = _workbook(sheets=1, rows=3, columns=3)

    def declare_huge(content: bytes) -> bytes:
        return content.replace(b'<dimension ref="A1:C3"/>', b'<dimension ref="A1:XFD1048576"/>')

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "xl/worksheets/sheet1.xml":
                assert b'<dimension ref="A1:C3"/>' in content
                content = declare_huge(content)
            target.writestr(entry.filename, content)
    with pytest.raises(UnsafeInput) as refused:
        read_xlsx(out.getvalue(), "extract.xlsx", Limits())
    assert refused.value.problem.code == "too_many_cells"
