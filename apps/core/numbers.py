"""Numbers as people read them, one way everywhere: 5000.00 -> 5,000; 1234.5 -> 1,234.50.

Case data keeps decimals as strings ("5000.00"), specs keep thresholds as JSON numbers (1000):
the case page, the route explanation, the rule tester, the SOP and the diagram all write them
through `number`, so one request never reads "5,000.00" in one place and "5000" in another.
"""

from decimal import Decimal, InvalidOperation


def number(value) -> str:
    """A number with thousands separators; cents only when there are any. Anything that is not a
    finite number comes back as its text."""
    if isinstance(value, bool):
        return str(value)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    if amount == amount.to_integral():
        return f"{amount:,.0f}"
    return f"{amount:,.2f}"
