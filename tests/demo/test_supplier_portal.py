"""The demo supplier portal: its own login, the search a UI step's guard uses, the order entry
form (and its "changed" layout), the "slow" mode, and the operators' console."""

import pytest
from django.conf import settings
from django.test import override_settings

from apps.demo import supplier
from apps.demo.models import SupplierOrder, SupplierPortalSettings
from apps.demo.selectors import MSG_SUPPLIER_NOT_ALLOWED

PORTAL = "/demo/supplier/portal/"
LOGIN = "/demo/supplier/portal/login/"
NEW = "/demo/supplier/portal/orders/new/"
ORDER = {"po_number": "PO-4711", "amount": "1250.00", "currency": "USD", "note": "Deliver to dock 2"}


@pytest.fixture
def buyer(client, db):
    """The test client signed in to the portal with the credentials from settings."""
    secrets = settings.WMS_SECRETS
    answer = client.post(
        LOGIN, {"username": secrets["SUPPLIER_PORTAL_USER"], "password": secrets["SUPPLIER_PORTAL_PASSWORD"]}
    )
    assert answer.status_code == 302 and answer["Location"] == PORTAL
    return client


def test_the_portal_signs_in_with_its_own_credentials_not_the_wms_ones(client, demo):
    assert client.get(PORTAL)["Location"] == LOGIN
    client.force_login(demo["admin"])  # signed in to the WMS is not signed in to the portal
    assert client.get(PORTAL)["Location"] == LOGIN
    page = client.get(LOGIN).content.decode()
    assert 'id="username"' in page and 'id="password"' in page and 'type="submit"' in page
    refused = client.post(LOGIN, {"username": "buyer", "password": "wrong"})
    assert refused.status_code == 200 and "<h1>Login failed</h1>" in refused.content.decode()
    assert client.get(PORTAL)["Location"] == LOGIN
    wms_password = client.post(LOGIN, {"username": "admin", "password": "demo"})
    assert "<h1>Login failed</h1>" in wms_password.content.decode()


def test_a_signed_in_buyer_sees_the_orders_page_and_can_log_off(buyer):
    page = buyer.get(PORTAL).content.decode()
    assert "<h1>Orders</h1>" in page and 'id="search"' in page and 'id="search-go"' in page
    assert 'id="results"' not in page  # nothing searched yet: no results to mistake for a hit
    assert buyer.post("/demo/supplier/portal/logout/")["Location"] == LOGIN
    assert buyer.get(PORTAL)["Location"] == LOGIN


@override_settings(WMS_SECRETS={})
def test_without_configured_credentials_nobody_signs_in(client, db):
    answer = client.post(LOGIN, {"username": "", "password": ""})
    assert "<h1>Login failed</h1>" in answer.content.decode()


def test_an_order_saved_shows_its_number_and_the_search_finds_it_by_po(buyer):
    form = buyer.get(NEW).content.decode()
    for element in ('id="po-number"', 'id="amount"', 'select id="currency"', 'id="note"', 'id="save"'):
        assert element in form
    saved = buyer.post(NEW, ORDER, follow=True)
    order = SupplierOrder.objects.get()
    page = saved.content.decode()
    assert "<h1>Order saved</h1>" in page and f'<span id="order-number">{order.number}</span>' in page
    assert order.number == f"SO-{order.pk:06d}" and order.entered_by == settings.WMS_SECRETS["SUPPLIER_PORTAL_USER"]
    assert (order.po_number, str(order.amount), order.currency) == ("PO-4711", "1250.00", "USD")
    found = buyer.get(PORTAL, {"q": "po-4711"}).content.decode()
    assert 'id="results"' in found and '<td class="po-number">PO-4711</td>' in found
    other = buyer.get(PORTAL, {"q": "PO-471"}).content.decode()  # exact PO numbers only
    assert 'id="results"' in other and "No orders found." in other and 'class="po-number"' not in other


def test_the_same_po_entered_twice_makes_two_orders_both_found(buyer):
    buyer.post(NEW, ORDER)
    buyer.post(NEW, ORDER)
    found = buyer.get(PORTAL, {"q": "PO-4711"}).content.decode()
    assert SupplierOrder.objects.count() == 2 and found.count('<td class="po-number">PO-4711</td>') == 2


def test_a_bad_order_is_refused_naming_the_field(buyer):
    answer = buyer.post(NEW, {**ORDER, "amount": "lots", "currency": "XYZ"})
    page = answer.content.decode()
    assert answer.status_code == 400 and supplier.MSG_AMOUNT_INVALID in page
    assert "The currency must be one of EUR, USD, GBP, CHF." in page
    assert 'value="PO-4711"' in page and not SupplierOrder.objects.exists()


def test_changed_mode_renames_the_po_field(buyer):
    SupplierPortalSettings.objects.create(pk=1, mode="changed")
    form = buyer.get(NEW).content.decode()
    assert 'id="purchase-order"' in form and 'id="po-number"' not in form
    saved = buyer.post(NEW, {**ORDER, "po_number": "", "purchase_order": "PO-9"}, follow=True)
    assert "<h1>Order saved</h1>" in saved.content.decode()
    assert SupplierOrder.objects.get().po_number == "PO-9"


@override_settings(WMS_DEMO_SUPPLIER_SLOW_SECONDS=0.25)
def test_slow_mode_holds_every_portal_page(client, db, monkeypatch):
    slept = []
    monkeypatch.setattr(supplier.time, "sleep", slept.append)
    client.get(LOGIN)
    assert slept == []
    SupplierPortalSettings.objects.create(pk=1, mode="slow")
    client.get(LOGIN)
    client.get(PORTAL)
    assert slept == [0.25, 0.25]


def test_an_operator_sees_the_console_switches_the_mode_and_clears_orders(client, demo, buyer):
    buyer.post(NEW, ORDER)
    client.force_login(demo["oscar"])
    page = client.get("/demo/supplier/").content.decode()
    assert "PO-4711" in page and "Switch to changed" in page and "Clear orders" in page
    assert settings.WMS_SECRETS["SUPPLIER_PORTAL_PASSWORD"] not in page
    answer = client.post("/demo/supplier/mode/", {"mode": "changed"}, follow=True)
    assert supplier.MSG_MODE_SET.format(mode="changed") in answer.content.decode()
    assert SupplierPortalSettings.objects.get().mode == "changed"
    assert SupplierPortalSettings.objects.get().changed_by == demo["oscar"]
    unknown = client.post("/demo/supplier/mode/", {"mode": "on_fire"}, follow=True).content.decode()
    assert supplier.MSG_MODE_UNKNOWN.format(mode="on_fire", modes="ok, changed, slow") in unknown
    cleared = client.post("/demo/supplier/orders/clear/", follow=True).content.decode()
    assert supplier.MSG_CLEARED.format(count=1) in cleared and "No orders entered yet." in cleared
    assert not SupplierOrder.objects.exists()


def test_others_may_not_see_or_switch_the_console(client, demo, buyer):
    buyer.post(NEW, ORDER)
    client.force_login(demo["alice"])
    refused = client.get("/demo/supplier/")
    assert refused.status_code == 403 and MSG_SUPPLIER_NOT_ALLOWED in refused.content.decode()
    assert client.post("/demo/supplier/mode/", {"mode": "slow"}).status_code == 403
    assert client.post("/demo/supplier/orders/clear/").status_code == 403
    assert not SupplierPortalSettings.objects.exists() and SupplierOrder.objects.count() == 1
    client.logout()
    assert client.get("/demo/supplier/")["Location"].startswith(settings.LOGIN_URL)


def test_the_more_menu_links_the_console_for_operators_only(client, demo):
    client.force_login(demo["oscar"])
    assert 'href="/demo/supplier/"' in client.get("/inbox/").content.decode()
    client.force_login(demo["alice"])
    assert 'href="/demo/supplier/"' not in client.get("/inbox/").content.decode()
