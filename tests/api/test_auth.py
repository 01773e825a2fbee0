"""Signing in to the API: tokens, sessions, and what anonymous callers get."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.cases.models import Case
from tests.api.conftest import start_case, token_for

TOKEN_URL = "/api/v1/auth/token/"
PROTECTED = [
    ("get", "/api/v1/workflows/"),
    ("get", "/api/v1/cases/"),
    ("post", "/api/v1/cases/"),
    ("get", "/api/v1/cases/1/"),
    ("get", "/api/v1/tasks/"),
    ("post", "/api/v1/tasks/1/claim/"),
    ("post", "/api/v1/tasks/1/release/"),
    ("post", "/api/v1/tasks/1/complete/"),
]


def test_token_for_valid_credentials_authenticates_later_requests(demo):
    client = APIClient()
    response = client.post(TOKEN_URL, {"username": "alice", "password": "demo"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert token and Token.objects.get(key=token).user == demo["alice"]

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/workflows/").status_code == 200


def test_token_is_stable_across_sign_ins(demo):
    first = APIClient().post(TOKEN_URL, {"username": "bob", "password": "demo"}, format="json").json()["token"]
    second = APIClient().post(TOKEN_URL, {"username": "bob", "password": "demo"}, format="json").json()["token"]
    assert first == second
    assert Token.objects.filter(user=demo["bob"]).count() == 1


def test_token_accepts_form_encoded_credentials(demo):
    response = APIClient().post(TOKEN_URL, {"username": "alice", "password": "demo"})
    assert response.status_code == 200
    assert response.json()["token"]


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "alice", "password": "wrong"},
        {"username": "nobody", "password": "demo"},
        {"username": "alice", "password": "demo "},
    ],
)
def test_bad_credentials_get_401_and_no_token(demo, credentials):
    response = APIClient().post(TOKEN_URL, credentials, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "token" not in response.json()
    assert response.json()["detail"]
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    "payload, missing",
    [
        ({"username": "alice"}, ["password"]),
        ({"password": "demo"}, ["username"]),
        ({}, ["password", "username"]),
    ],
)
def test_missing_credentials_fields_get_400_naming_them(demo, payload, missing):
    response = APIClient().post(TOKEN_URL, payload, format="json")
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == missing
    assert not Token.objects.exists()


def test_malformed_json_to_token_endpoint_is_400(demo):
    response = APIClient().post(TOKEN_URL, '{"username": "alice", ', content_type="application/json")
    assert response.status_code == 400
    assert "Malformed" in response.json()["detail"]


def test_token_endpoint_only_accepts_post(demo):
    assert APIClient().get(TOKEN_URL).status_code == 405


@pytest.mark.parametrize("method, url", PROTECTED)
def test_anonymous_requests_are_refused(demo, method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")
    assert response.status_code in (401, 403)
    assert Case.objects.count() == 0


def test_anonymous_gets_401_with_token_challenge(demo):
    response = APIClient().get("/api/v1/cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("header", ["Token not-a-real-token", "Token ", "Bearer abc", "Token a b"])
def test_invalid_token_is_refused(demo, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/cases/").status_code in (401, 403)
    assert start_case(client).status_code in (401, 403)
    assert Case.objects.count() == 0


def test_session_login_works(demo):
    client = APIClient()
    assert client.login(username="alice", password="demo")
    response = start_case(client)
    assert response.status_code == 201
    assert client.get(f"/api/v1/cases/{response.json()['id']}/").status_code == 200
    assert Case.objects.get().requester == demo["alice"]


def test_force_login_session_works(demo):
    client = APIClient()
    client.force_login(demo["audrey"])
    assert client.get("/api/v1/tasks/").status_code == 200


def test_session_requests_need_csrf_token_for_writes(demo):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(demo["alice"])
    assert client.get("/api/v1/cases/").status_code == 200
    response = start_case(client)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Case.objects.count() == 0


def test_token_requests_need_no_csrf_token(demo):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for('alice')}")
    assert start_case(client).status_code == 201
    assert Case.objects.count() == 1
