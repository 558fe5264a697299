"""CSV downloads: a header and rows in, a streamed response out.

Rows are written as the response is sent, so an export of a million rows
holds one chunk of them in memory; pass an iterator (`.iterator(chunk_size=…)`
reads through a server-side cursor). Every cell is made safe to open in a
spreadsheet: text a spreadsheet would run as a formula is prefixed with `'`
(OWASP's advice on CSV injection), and NUL characters, which break readers,
are dropped.
"""

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse

# What starts a formula in Excel, LibreOffice or Google Sheets, full-width
# forms included (some locales' Excel reads them too); tab and CR too, which
# some spreadsheets strip before looking at the next character.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# Excel reads a file without it as the locale's code page, not UTF-8.
BOM = "\ufeff"


def safe_cell(value) -> str | int | float:
    """One cell: numbers as they are, None as empty, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value).replace("\x00", "")
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like object csv.writer writes one line to, handed straight back."""

    def write(self, line: str) -> str:
        return line


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterable[str]:
    """The file, a line at a time: the BOM with the header, then each row."""
    writer = csv.writer(_Line())
    yield BOM + writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def streaming_csv(*, filename: str, header: Iterable[str], rows: Iterable[Iterable]):
    """A download of `rows` under `header`, streamed as it is written."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_plain(filename)}"'
    # Downloads of people's decisions stay out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


def _plain(filename: str) -> str:
    """The name as a header may carry it: ASCII letters, digits, `.-_` only."""
    kept = "".join(c if c.isascii() and (c.isalnum() or c in ".-_") else "-" for c in filename)
    return kept or "export.csv"
