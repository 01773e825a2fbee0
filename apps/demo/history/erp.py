"""The demo ERP (and ticketing desk) served inside the seeding process, for the steps of the demo history.

The history runs before `make run` starts the web server, so the ERP the invoice step calls is
served here: the real demo ERP views (apps.demo.views) on a loopback port, in a thread, for as
long as the history runs. Nothing leaves the machine; the calls, invoices and their modes are the
same rows the ERP console shows.
"""

import threading
from contextlib import contextmanager
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test.utils import override_settings

ERP_URLCONF = "apps.demo.history.erp_urls"
ERP_TOKEN = "demo-history-erp-token"
TICKETING_TOKEN = "demo-history-ticketing-token"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):
        return None


class _ErpOnly(WSGIHandler):
    """Django, answering only the demo ERP's URLs (whether or not WMS_DEMO_ERP mounts them)."""

    def get_response(self, request):
        request.urlconf = ERP_URLCONF
        return super().get_response(request)


@contextmanager
def erp_in_process():
    """Serve the demo ERP (and the demo ticketing desk) on 127.0.0.1 while the block runs, with
    WMS_ENDPOINTS["ERP"] and ["TICKETING"] pointing at them."""
    server = make_server("127.0.0.1", 0, _ErpOnly(), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/demo/erp"
    tickets = f"http://127.0.0.1:{server.server_port}/demo/tickets/api"
    endpoints = {**(getattr(settings, "WMS_ENDPOINTS", {}) or {}), "ERP": base, "TICKETING": tickets}
    secrets = {
        **(getattr(settings, "WMS_SECRETS", {}) or {}),
        "ERP_TOKEN": ERP_TOKEN,
        "TICKETING_TOKEN": TICKETING_TOKEN,
    }
    hosts = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    try:
        with override_settings(WMS_ENDPOINTS=endpoints, WMS_SECRETS=secrets, ALLOWED_HOSTS=hosts):
            yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
