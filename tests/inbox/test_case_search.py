"""The auditors' case search by text (issue 12): the request number, the requester and the values
of the case data (never a field's name), on SQLite and PostgreSQL alike; test cases only when asked."""

import pytest

from apps.cases.services import case_start_test
from apps.definitions.selectors import version_live
from apps.definitions.services import draft_create_from
from apps.inbox.selectors import case_search


def found(**filters) -> set[int]:
    return set(case_search(**filters).values_list("pk", flat=True))


@pytest.fixture
def cases(start_purchase, users):
    return {
        "acme": start_purchase(vendor="ACME Ltd", description="Two laptops for the design team"),
        "initech": start_purchase(vendor="Initech", description="Printer paper", actor=users["frank"]),
        "umlaut": start_purchase(vendor="Müller GmbH", cost_center="CC-7"),
    }


def test_text_matches_a_data_value_in_any_case(cases):
    assert found(q="acme") == {cases["acme"].pk}
    assert found(q="LAPTOPS") == {cases["acme"].pk}, "the description is searched too"
    assert found(q="Müller") == {cases["umlaut"].pk}


def test_text_never_matches_a_fields_name_only(cases):
    assert found(q="vendor") == set() and found(q="description") == set()


def test_text_matches_the_request_number_and_the_requester(cases):
    acme = cases["acme"]
    assert found(q=f"#{acme.pk}") == {acme.pk}
    assert acme.pk in found(q=str(acme.pk))
    assert found(q="frank") == {cases["initech"].pk}


def test_every_word_must_match_somewhere(cases):
    assert found(q="acme laptops") == {cases["acme"].pk}
    assert found(q="acme printer") == set()
    assert found(q="initech frank") == {cases["initech"].pk}


def test_text_search_combines_with_the_other_filters(cases):
    assert found(q="acme", requester="frank") == set()
    assert found(q="initech", workflow="purchase-approval", requester="frank") == {cases["initech"].pk}


def test_a_request_number_too_long_for_the_database_finds_nothing_and_does_not_fail(cases):
    assert found(q="#" + "9" * 30) == set()


def test_test_cases_are_left_out_unless_asked_for(cases, users):
    draft = draft_create_from(version=version_live(key="purchase-approval"), actor=users["olivia"])
    test = case_start_test(
        version=draft, data={"amount": "5", "vendor": "ACME Ltd", "cost_center": "C"}, actor=users["olivia"]
    )
    assert found(q="acme") == {cases["acme"].pk}
    assert found(q="acme", tests="include") == {cases["acme"].pk, test.pk}
    assert found(q="acme", tests="only") == {test.pk}


def test_the_search_page_has_a_text_box_and_finds_by_it(signed_in, cases):
    audrey = signed_in("audrey")
    page = audrey.get("/audit/cases/").content.decode()
    assert 'name="q"' in page and 'name="tests"' in page
    page = audrey.get("/audit/cases/?q=initech").content.decode()
    assert f"/cases/{cases['initech'].pk}/" in page and f"/cases/{cases['acme'].pk}/" not in page
    fragment = audrey.get("/audit/cases/?q=%23" + str(cases["acme"].pk), HTTP_HX_REQUEST="true").content.decode()
    assert f"/cases/{cases['acme'].pk}/" in fragment and "<h1>" not in fragment


def test_a_too_long_text_is_refused_naming_the_box(signed_in, cases):
    page = signed_in("audrey").get("/audit/cases/?q=" + "x" * 201).content.decode()
    assert "Ensure this value has at most 200 characters" in page


def test_my_requests_search_by_text_among_my_own_only(signed_in, cases, start_purchase):
    alice = signed_in("alice")
    page = alice.get("/requests/?q=laptops").content.decode()
    assert f"/cases/{cases['acme'].pk}/" in page and f"/cases/{cases['umlaut'].pk}/" not in page
    assert 'name="q" value="laptops"' in page
    assert "None of your requests matches “initech”" in alice.get("/requests/?q=initech").content.decode(), (
        "frank's request is not alice's"
    )
