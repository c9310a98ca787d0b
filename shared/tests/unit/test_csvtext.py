"""Uploaded CSV: any line ending, rows with their lines, and one readable error for a bad file."""

import csv

import pytest

from cxshared.csvtext import CsvError, CsvRows


def test_a_lone_carriage_return_ends_a_line_as_in_a_spreadsheet_export():
    rows = CsvRows("id,name\r1,Ana\r2,Bo\r")
    assert rows.fieldnames == ["id", "name"]
    assert [row for _, row in rows] == [{"id": "1", "name": "Ana"}, {"id": "2", "name": "Bo"}]


def test_each_row_comes_with_the_line_it_ends_on():
    text = 'id,note\n1,plain\n\n2,"two\nlines"\n3,last\n'
    assert [(line, row["id"]) for line, row in CsvRows(text)] == [(2, "1"), (5, "2"), (6, "3")]


def test_a_field_beyond_the_limit_is_one_error_naming_its_line():
    text = "id,note\n1,short\n2," + "x" * (csv.field_size_limit() + 1) + "\n"
    with pytest.raises(CsvError, match=r"^line 3: field larger than field limit"):
        list(CsvRows(text))


def test_a_header_beyond_the_limit_is_an_error_on_line_one():
    with pytest.raises(CsvError, match=r"^line 1:"):
        CsvRows("x" * (csv.field_size_limit() + 1))
