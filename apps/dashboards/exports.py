"""A panel as CSV: its tables one after the other, each under its caption, the numbers as the
page shows them unrounded. Labels come from people and other systems (a stage key, a step's name,
a person's name), so a cell that a spreadsheet would run as a formula gets a leading apostrophe
(OWASP, "CSV Injection"), as the case search's export does."""

import re

from .panels import Panel

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def cell_text(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def csv_rows(panel: Panel) -> list[list[str]]:
    rows: list[list[str]] = []
    for table in panel.tables:
        if rows:
            rows.append([])
        rows.append([cell_text(f"{panel.title}: {table.caption}")])
        rows.append([cell_text(c) for c in table.columns])
        rows.extend([cell_text(cell.value) for cell in row] for row in table.rows)
    return rows
