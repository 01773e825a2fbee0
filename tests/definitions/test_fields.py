"""Checking submitted values against field specs."""

import pytest

from apps.core.errors import ValidationFailed
from apps.definitions.fields import clean_data
from apps.definitions.library import PURCHASE_APPROVAL

FIELDS = PURCHASE_APPROVAL["spec"]["fields"]


def errors_for(data):
    with pytest.raises(ValidationFailed) as error:
        clean_data(FIELDS, data)
    return error.value.field_errors


def test_valid_data_is_normalised_and_defaults_applied():
    cleaned = clean_data(FIELDS, {"amount": 12.5, "vendor": "  ACME "})
    assert cleaned == {"amount": "12.50", "vendor": "ACME", "vendor_risk": "low"}


def test_each_bad_field_is_named_with_its_problem():
    errors = errors_for({"amount": "0", "vendor_risk": "extreme", "colour": "red"})
    assert errors == {
        "amount": ["Must be greater than 0."],
        "vendor": ["This field is required."],
        "vendor_risk": ["Choose one of: low, medium, high."],
        "colour": ["Unknown field: this workflow has no such field."],
    }


@pytest.mark.parametrize("amount", ["abc", "NaN", "Infinity", True, "1.234"])
def test_amount_must_be_a_number_with_two_decimals(amount):
    assert "amount" in errors_for({"amount": amount, "vendor": "x"})


def test_data_must_be_an_object():
    with pytest.raises(ValidationFailed) as error:
        clean_data(FIELDS, ["amount", 5])
    assert "data" in error.value.field_errors


def test_a_not_past_date_is_checked_against_today_only_when_sent():
    from datetime import date

    fields = [{"name": "ends", "type": "date", "label": "Ends", "required": True, "not_past": True}]
    today = date(2026, 12, 3)
    with pytest.raises(ValidationFailed) as error:
        clean_data(fields, {"ends": "2026-12-02"}, today=today)
    assert error.value.field_errors == {"ends": ["Ends cannot be in the past: enter 2026-12-03 or later."]}
    assert clean_data(fields, {"ends": "2026-12-03"}, today=today) == {"ends": "2026-12-03"}
    # A date kept from the case (a resubmission that leaves it) and a check without today pass.
    assert clean_data(fields, {}, base={"ends": "2026-01-01"}, intake=False, today=today) == {"ends": "2026-01-01"}
    assert clean_data(fields, {"ends": "2026-01-01"}) == {"ends": "2026-01-01"}
