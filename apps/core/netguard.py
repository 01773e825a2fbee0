"""One address rule for outbound HTTP to URLs that users typed: webhook subscriptions and literal
URLs in automated steps may reach public addresses only.

Not public: this machine (loopback, 0.0.0.0, `localhost`), private networks (10/8, 172.16/12,
192.168/16, fc00::/7), link-local, shared, multicast and reserved ranges, IPv6 forms that embed
one of those, and cloud metadata services (169.254.169.254, fd00:ec2::254, 168.63.129.16,
metadata.google.internal, ...). Otherwise a subscriber or a definition could read the metadata
service's credentials or an internal admin page through the answer operators are shown.

The rule is applied twice:
- when a URL is saved (`url_problem`): a literal address, a local or metadata name, or a name that
  resolves to a non-public address is refused with a sentence naming the address and the problem;
- when it is called (`guarded_opener`): the name is resolved once, every address it resolves to
  is checked, and the socket connects to a checked address (the Host header and TLS SNI keep the
  name). A DNS answer that changes between the check and the connection (DNS rebinding) cannot
  switch the target. A refusal raises `AddressRefused` before any connection is made.

`settings.WMS_OUTBOUND_ALLOWED_HOSTS` lets named hosts or networks (CIDR) through anyway: a receiver
on this machine in development, the tests' local server, a known internal system. Metadata
services are never let through. Base URLs an administrator configures for steps
(`{{endpoint.NAME}}`) are trusted as they are and do not go through this module.
"""

import http.client
import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"}
)
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure wire server (a public address, but not one to call)
    )
)
# RFC 6761: these names are this machine whatever a resolver says.
LOCAL_NAME_ADDRESS = ipaddress.ip_address("127.0.0.1")
NAT64 = ipaddress.ip_network("64:ff9b::/96")

MSG_METADATA_NAME = "{host} is a cloud metadata service: it can never be called from here."
MSG_NOT_PUBLIC = "{host} is {kind}: only public addresses can be called from here."
MSG_RESOLVES_NOT_PUBLIC = "{host} resolves to {address}, {kind}: only public addresses can be called from here."
MSG_NO_HOST = "The URL names no host."

KIND_METADATA = "a cloud metadata address"
KIND_LOOPBACK = "this machine (loopback)"
KIND_UNSPECIFIED = "this machine (unspecified address)"
KIND_LINK_LOCAL = "a link-local address"
KIND_PRIVATE = "a private network address"
KIND_MULTICAST = "a multicast address"
KIND_OTHER = "not a public address"


class AddressRefused(OSError):
    """A call to a non-public address, refused before connecting. An OSError, so urllib wraps
    it as URLError(reason=AddressRefused) like any connection failure; callers look for it."""


def address_kind(address) -> str | None:
    """Why an IP address may not be called (a phrase), or None when it is public."""
    ip = ipaddress.ip_address(str(address).split("%", 1)[0])  # an IPv6 zone id does not matter
    if ip in METADATA_ADDRESSES:
        return KIND_METADATA
    if ip.version == 6:
        # The IPv4 address inside an IPv4-mapped, 6to4, Teredo or NAT64 address is where it goes.
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return address_kind(inner)
    if ip.is_loopback:
        return KIND_LOOPBACK
    if ip.is_unspecified:
        return KIND_UNSPECIFIED
    if ip.is_link_local:
        return KIND_LINK_LOCAL
    if ip.is_private:
        return KIND_PRIVATE
    if ip.is_multicast:
        return KIND_MULTICAST
    if ip.is_reserved or not ip.is_global:
        return KIND_OTHER
    return None


def _allow_list() -> tuple[set[str], list]:
    names, networks = set(), []
    for entry in getattr(settings, "WMS_OUTBOUND_ALLOWED_HOSTS", None) or []:
        entry = str(entry).strip().lower()
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            if entry:
                names.add(entry.rstrip("."))
    return names, networks


def _literal(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _problem(host: str, address, kind: str) -> str:
    if _literal(host) is not None or _local_name(host):
        return MSG_NOT_PUBLIC.format(host=host, kind=kind)
    return MSG_RESOLVES_NOT_PUBLIC.format(host=host, address=address, kind=kind)


def _local_name(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def host_problem(host: str, addresses=()) -> str | None:
    """Why `host` may not be called (a sentence), or None. Without `addresses` only what the name
    itself says is judged (a literal address, localhost, a metadata name): no DNS is asked."""
    host = (host or "").strip().lower().rstrip(".")
    if not host:
        return MSG_NO_HOST
    bare = host.strip("[]")
    if bare in METADATA_HOSTS:
        return MSG_METADATA_NAME.format(host=host)
    names, networks = _allow_list()
    literal = _literal(bare)
    if literal is not None:
        addresses = [literal]
    elif _local_name(bare):
        addresses = [LOCAL_NAME_ADDRESS]
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
        kind = address_kind(ip)
        if kind is None:
            continue
        if kind != KIND_METADATA and (bare in names or any(ip in network for network in networks)):
            continue
        return _problem(bare, ip, kind)
    return None


def resolve(host: str, port: int | None) -> list[tuple]:
    """getaddrinfo for a TCP connection (looked up on the socket module at each call)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def url_problem(url: str, *, look_up: bool = True) -> str | None:
    """Why a URL may not be saved as a call target, or None. A name that does not resolve (yet)
    passes: it is checked again, resolved, on every call."""
    try:
        parts = urlsplit(str(url))
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return MSG_NO_HOST
    problem = host_problem(host)
    if problem or not look_up or _literal(host) is not None:
        return problem
    try:
        infos = resolve(host, port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        return None
    return host_problem(host, [info[4][0] for info in infos])


def checked_addresses(host: str, port: int) -> list[tuple]:
    """Resolve `host` once and return its addresses, all of them allowed; raise AddressRefused."""
    problem = host_problem(host)
    if problem:
        raise AddressRefused(problem)
    infos = resolve(host, port)
    problem = host_problem(host, [info[4][0] for info in infos])
    if problem:
        raise AddressRefused(problem)
    return infos


def guarded_create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **_):
    """socket.create_connection, connecting only to addresses checked by `checked_addresses`."""
    host, port = address
    error = None
    for family, kind, proto, _canonical, sockaddr in checked_addresses(host, port):
        sock = None
        try:
            sock = socket.socket(family, kind, proto)
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)  # NOTE: the checked address, never the name again
            return sock
        except OSError as failure:
            error = failure
            if sock is not None:
                sock.close()
    raise error or OSError(f"{host} resolves to no address")


class GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_create_connection


class GuardedHTTPSConnection(http.client.HTTPSConnection):
    """TLS is set up over the checked socket with the name: SNI and certificate check as usual."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_create_connection


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(GuardedHTTPSConnection, req, context=self._context, check_hostname=self._check_hostname)


def guarded_opener(*handlers) -> urllib.request.OpenerDirector:
    """A urllib opener that calls allowed addresses only. No proxy from the environment: the
    checked address must be the one connected to."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _GuardedHTTPHandler, _GuardedHTTPSHandler, *handlers
    )
