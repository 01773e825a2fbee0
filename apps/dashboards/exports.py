"""A panel as CSV: its tables one after the other, each under its caption, the numbers as the
page shows them unrounded. Labels come from people and other systems (a stage key, a step's name,
a person's name), so a cell that a spreadsheet would run as a formula gets a leading apostrophe
(OWASP, "CSV Injection"), as the case search's export does."""

from apps.core.csvsafe import formula_safe

from .panels import Panel


def cell_text(value) -> str:
    return formula_safe("" if value is None else str(value))


def csv_rows(panel: Panel) -> list[list[str]]:
    rows: list[list[str]] = []
    for table in panel.tables:
        if rows:
            rows.append([])
        rows.append([cell_text(f"{panel.title}: {table.caption}")])
        rows.append([cell_text(c) for c in table.columns])
        rows.extend([cell_text(cell.value) for cell in row] for row in table.rows)
    return rows
