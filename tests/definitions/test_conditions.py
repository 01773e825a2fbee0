"""The routing condition language: every operator, groups, and the words it explains with."""

import pytest

from apps.definitions.conditions import evaluate

DATA = {"amount": "1500.00", "vendor": "ACME Ltd", "risk": "high", "tags": ["it", "urgent"], "note": ""}


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("amount", ">=", "1500", True),
        ("amount", ">", 1500, False),
        ("amount", "<", "2000", True),
        ("amount", "<=", "1499.99", False),
        ("amount", "=", "1500", True),
        ("amount", "!=", "1500", False),
        ("risk", "=", "high", True),
        ("risk", "in", ["medium", "high"], True),
        ("risk", "not in", ["medium", "high"], False),
        ("vendor", "contains", "acme", True),
        ("tags", "contains", "urgent", True),
        ("note", "is empty", None, True),
        ("missing", "is empty", None, True),
        ("vendor", "is not empty", None, True),
        ("missing", ">=", "1", False),
        ("missing", "!=", "x", True),
    ],
)
def test_operators(field, op, value, expected):
    assert evaluate({"field": field, "op": op, "value": value}, DATA).result is expected


def test_numbers_compare_as_numbers_not_text():
    assert evaluate({"field": "amount", "op": ">", "value": "900"}, {"amount": "1000"}).result is True


def test_groups_combine_with_all_and_any_and_explain_themselves():
    condition = {
        "any": [
            {"field": "amount", "op": ">=", "value": "10000"},
            {
                "all": [
                    {"field": "risk", "op": "=", "value": "high"},
                    {"field": "vendor", "op": "contains", "value": "acme"},
                ]
            },
        ]
    }
    trace = evaluate(condition, DATA)
    assert trace.result is True
    assert trace.text == "amount 1500.00 >= 10000 or (risk = high and vendor contains acme)"
    assert [c["result"] for c in trace.clauses] == [False, True, True]


def test_no_condition_is_always_true():
    assert evaluate(None, DATA).result is True
