"""Who may scrape /metrics: a bearer token (METRICS_TOKEN) or an address on the allow-list
(METRICS_ALLOWED_IPS). Neither configured: refused, except with DEBUG on (development)."""

import ipaddress
import secrets

from django.conf import settings

from apps.core.auth_guard import client_address


def _networks() -> list:
    networks = []
    for entry in settings.METRICS_ALLOWED_IPS:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue  # a typo in the list lets nobody in; never everybody
    return networks


def metrics_allowed(request) -> bool:
    token, networks = settings.METRICS_TOKEN, _networks()
    if not token and not settings.METRICS_ALLOWED_IPS:
        return settings.DEBUG
    if token:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and secrets.compare_digest(sent.strip().encode(), token.encode()):
            return True
    address = client_address(request)
    return address is not None and any(ipaddress.ip_address(address) in net for net in networks)
