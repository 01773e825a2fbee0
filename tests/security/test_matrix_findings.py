"""Holes the authorization matrix found, each kept closed by a test of what a person would see."""

import pytest


@pytest.mark.django_db
def test_an_empty_request_form_is_refused_with_the_missing_fields_not_a_server_error(client, demo):
    """A POST without any field (a form posted by hand, or a browser that sent nothing) was a 500:
    the unbound form could not show the service's field errors."""
    client.force_login(demo["alice"])
    response = client.post("/requests/new/purchase-approval/")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Amount" in body and "required" in body.lower()


@pytest.mark.django_db
def test_the_impact_preview_replays_cases_whose_manager_approves(client, demo, start_purchase):
    """The impact page was a 500 for any workflow with cases to replay: the routing preview's
    stand-in case had no requester id for the segregation-of-duties rule to compare with."""
    from apps.definitions.selectors import version_live
    from apps.definitions.services import draft_create_from

    start_purchase(amount="5000")
    draft_create_from(version=version_live(key="purchase-approval"), actor=demo["olivia"])
    client.force_login(demo["olivia"])
    response = client.get("/builder/purchase-approval/impact/")
    assert response.status_code == 200
    assert "Replayed the last 1 open and 0 closed cases" in response.content.decode()

    tester = client.get(
        "/builder/purchase-approval/tester/", {"run": "1", "amount": "5000", "vendor": "ACME", "requester": "alice"}
    )
    assert tester.status_code == 200
    assert "bob" in tester.content.decode()  # tried as alice: her manager approves


@pytest.mark.django_db
def test_the_api_does_not_tell_a_non_operator_whether_a_step_exists(demo):
    """Repairs in the API answered 404 for a step id that does not exist and 403 for one that
    does, so anyone signed in could count the exception queue; reading a step, and the portal,
    already answer 403 either way."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=demo['alice']).key}")
    for action, body in [("retry", {}), ("skip", {"reason": "x"}), ("assign", {"username": "bob"})]:
        response = client.post(f"/api/v1/exceptions/999999/{action}/", body, format="json")
        assert response.status_code == 403, (action, response.status_code)
    response = client.post("/api/v1/exceptions/999999/cancel/", {}, format="json")
    assert response.status_code == 403  # refused before the body is read: no 400 for a missing reason
