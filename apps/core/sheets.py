"""Spreadsheets read row by row and written row by row (CSV and XLSX), never held whole.

A migration file may hold tens of thousands of rows: CSV is read through the `csv` module from
the open file, XLSX through openpyxl's read-only mode (tablib, which the case-list export uses,
loads a whole sheet first). Writing: CSV a line at a time, XLSX through openpyxl's write-only
workbook (rows go to a temporary file, not to memory). Cells are text; every text cell written
goes through `formula_safe`, so a spreadsheet never runs what a case's data holds, and every
cell read through `formula_restored`, so an export imports as the values it was made from.
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from .csvsafe import formula_restored, formula_safe
from .errors import ValidationFailed

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MSG_FORMAT = "Send a CSV or XLSX file (.csv or .xlsx), not '{name}'."
MSG_UNREADABLE = "The file cannot be read as {fmt}: {problem}"
MSG_EMPTY = "The file has no header row."
MSG_BROKEN = (
    "The file cannot be read as {fmt} at row {row}: {problem}. The rows before it were imported "
    "(a dry run wrote nothing); fix the file and import it again: what exists is skipped."
)


def sheet_format(name: str) -> str:
    """csv or xlsx, from the file's name; ValidationFailed naming the file otherwise."""
    lowered = (name or "").lower()
    for fmt in FORMATS:
        if lowered.endswith(f".{fmt}"):
            return fmt
    raise ValidationFailed(MSG_FORMAT.format(name=name), field_errors={"file": [MSG_FORMAT.format(name=name)]})


def _cell(value) -> str:
    """A cell as text: dates as ISO, whole numbers without ".0", empty as ""."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decoded(file) -> Iterator[str]:
    """The file's lines as text, each decoded on its own (a bad byte is found on its line)."""
    for number, raw in enumerate(file):
        yield raw.decode("utf-8-sig" if number == 0 else "utf-8")


def sheet_headers(file, *, fmt: str) -> list[str]:
    """The header row of a file (to map its columns before an import)."""
    return sheet_rows(file, fmt=fmt)[0]


def _csv_lines(file) -> Iterator[list[str]]:
    return csv.reader(_decoded(file))


def _xlsx_lines(file) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(file, read_only=True, data_only=True)
    try:
        for values in workbook.active.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        workbook.close()


def sheet_rows(file, *, fmt: str, mapping: dict[str, str] | None = None) -> tuple[list[str], Iterator[dict[str, str]]]:
    """(headers, rows): each row a dict header -> text, read as the caller iterates. Blank
    lines are left out; ValidationFailed if the file cannot be read or has no header row.
    `mapping` renames the file's headers (a header mapped to "" is left out)."""
    lines = _csv_lines(file) if fmt == "csv" else _xlsx_lines(file)
    try:
        headers = [_cell(h) for h in next(lines, [])]
    except Exception as problem:  # a broken upload is the sender's mistake: a 400, not a 500
        message = MSG_UNREADABLE.format(fmt=fmt.upper(), problem=problem)
        raise ValidationFailed(message, field_errors={"file": [message]}) from None
    while headers and not headers[-1]:
        headers.pop()  # trailing empty header cells (a spreadsheet's formatting)
    if not headers:
        raise ValidationFailed(MSG_EMPTY, field_errors={"file": [MSG_EMPTY]})
    if mapping is not None:
        headers = [mapping.get(h, h) for h in headers]

    def rows():
        number = 0
        while True:
            try:
                line = next(lines, None)
            except Exception as problem:  # undecodable bytes, a broken quote: the sender's mistake
                message = MSG_BROKEN.format(fmt=fmt.upper(), row=number + 1, problem=problem)
                raise ValidationFailed(message, field_errors={"file": [message]}) from None
            if line is None:
                return
            cells = [formula_restored(_cell(c)) for c in line]
            if not any(cells):
                continue
            number += 1
            yield {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers) if h}

    return headers, rows()


class _Echo:
    def write(self, value):
        return value


def csv_stream(headers: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text, a line at a time (for a StreamingHttpResponse); cells made formula-safe."""
    writer = csv.writer(_Echo())
    yield writer.writerow(headers)
    for row in rows:
        yield writer.writerow([formula_safe(_cell(v)) for v in row])


def xlsx_file(headers: list[str], rows: Iterable[list], *, title: str = "Cases"):
    """An XLSX file (a temporary file, positioned at its start), written row by row."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(headers)
    for row in rows:
        sheet.append([formula_safe(_cell(v)) for v in row])
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out
