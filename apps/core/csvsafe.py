"""A text cell a spreadsheet shows and never runs (OWASP "CSV Injection").

A value typed by a requester or another system may start like a formula (`=HYPERLINK(...)`):
it gets a leading apostrophe. A plain number such as -12.5 or +3 is left as it is. Callers turn
their values into text first (each export has its own spelling of None, booleans and lists)."""

import re

# What a spreadsheet reads as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def formula_safe(text: str) -> str:
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def formula_restored(text: str) -> str:
    """A cell read back from a file `formula_safe` wrote: its leading apostrophe taken off again
    (an import of an export gives the value that was exported)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START) and not PLAIN_NUMBER.match(text[1:]):
        return text[1:]
    return text
