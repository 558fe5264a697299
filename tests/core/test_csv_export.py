"""core.csv_export: streamed CSV whose cells a spreadsheet never runs."""

import csv
import io

import pytest

from core.csv_export import BOM, csv_lines, safe_cell, streaming_csv


def read(lines) -> list[list[str]]:
    text = "".join(lines)
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :])))


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil")',
        "+1+2",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "＝1+1",
        "\x00=cmd|' /C calc'!A0",
    ],
)
def test_text_a_spreadsheet_would_run_as_a_formula_is_prefixed_with_a_quote(value):
    cell = safe_cell(value)
    assert cell.startswith("'")
    assert "\x00" not in cell


def test_plain_text_numbers_and_empties_pass_as_they_are():
    assert safe_cell("violence; spam") == "violence; spam"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell(-0.25) == -0.25
    assert safe_cell(3) == 3
    assert safe_cell(None) == ""
    assert safe_cell(True) == "yes"


def test_nul_characters_are_dropped():
    assert safe_cell("a\x00b") == "ab"


def test_quotes_commas_and_newlines_survive_a_round_trip():
    rows = read(csv_lines(["note"], [['said "no", twice\nthen left']]))
    assert rows == [["note"], ['said "no", twice\nthen left']]


def test_the_header_is_neutralised_too():
    assert read(csv_lines(["=cmd"], []))[0] == ["'=cmd"]


def test_rows_are_pulled_from_the_iterator_only_as_the_response_is_read():
    pulled = []

    def rows():
        for n in range(3):
            pulled.append(n)
            yield [n]

    response = streaming_csv(filename="x.csv", header=["n"], rows=rows())
    assert response.streaming
    assert pulled == []
    chunks = iter(response.streaming_content)
    next(chunks)  # the header
    assert pulled == []
    next(chunks)
    assert pulled == [0]
    assert b"".join(chunks).decode() == "1\r\n2\r\n"
    assert pulled == [0, 1, 2]


def test_the_download_names_a_plain_filename_and_is_not_cached():
    response = streaming_csv(filename='dé"cisions\r\n.csv', header=["n"], rows=[])
    assert response["Content-Disposition"] == 'attachment; filename="d--cisions--.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
