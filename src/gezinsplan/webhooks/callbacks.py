"""Where a webhook may be sent: a public HTTPS address, never into our own network (SSRF).

The host is resolved with the system's resolver, as the HTTP client will resolve it, so the
odd spellings of an address (``2130706433``, ``0x7f.1``, ``[::ffff:127.0.0.1]``) are judged
by the address they reach. Every address the host resolves to must be public: one private
address among public ones is enough for a rebinding resolver to hand it out later. The
worker checks again before every POST, since what a name resolves to changes.

``webhooks_allow_loopback`` lets development and tests receive on ``http://localhost``;
production refuses loopback whatever that setting says.
"""

import re
import socket
from ipaddress import IPv4Address, IPv6Address, ip_address
from urllib.parse import urlsplit

from gezinsplan.config import Settings
from gezinsplan.errors import Unprocessable

FIELD = "callbackUrl"
MAX_LENGTH = 2000
# The characters RFC 3986 allows in a URI; a backslash, a space or a control character is
# read differently by different parsers, so such a URL is refused before it is parsed.
URI_CHARACTERS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
DEFAULT_PORTS = {"https": 443, "http": 80}

IPAddress = IPv4Address | IPv6Address


def _refuse(reason: str, detail: str) -> Unprocessable:
    return Unprocessable.field(FIELD, reason, detail)


def _parts(url: str) -> tuple[str, str, int]:
    """The URL's scheme, host and port, once it is an absolute URL without userinfo or
    fragment."""
    if len(url) > MAX_LENGTH:
        raise _refuse("too long", f"The callback URL may be at most {MAX_LENGTH} characters.")
    if not URI_CHARACTERS.match(url):
        raise _refuse("not a URL", "The callback URL has characters a URL may not hold.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsed here so a malformed port is refused here
    except ValueError as exc:
        raise _refuse("not a URL", "The callback URL is not a valid absolute URL.") from exc
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise _refuse("not a URL", "The callback URL must be an absolute https:// URL.")
    if "@" in parts.netloc:
        raise _refuse("userinfo", "The callback URL may not hold a user name or password.")
    if "#" in url:
        raise _refuse("fragment", "The callback URL may not have a fragment (#...).")
    return parts.scheme, parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme]


def _resolve(host: str, port: int) -> set[IPAddress]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        found = []
    if not found:
        raise _refuse("does not resolve", "The callback URL's host does not resolve.")
    # The scope of a link-local IPv6 address ("fe80::1%eth0") is not part of the address.
    return {ip_address(str(info[4][0]).split("%", 1)[0]) for info in found}


def _forms(address: IPAddress) -> list[IPAddress]:
    """The address and any IPv4 address it carries (mapped, 6to4, Teredo)."""
    forms: list[IPAddress] = [address]
    if isinstance(address, IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour]
        if address.teredo is not None:
            embedded.append(address.teredo[1])
        forms += [inner for inner in embedded if inner is not None]
    return forms


def _is_loopback(address: IPAddress) -> bool:
    return any(form.is_loopback for form in _forms(address))


def _is_public(address: IPAddress) -> bool:
    """Globally reachable unicast: not private, loopback, link-local (the cloud metadata
    service), multicast, reserved, unspecified, shared (CGNAT 100.64.0.0/10) or site-local."""
    return all(
        form.is_global
        and not (
            form.is_multicast
            or form.is_reserved
            or form.is_loopback
            or form.is_link_local
            or form.is_unspecified
            or (isinstance(form, IPv6Address) and form.is_site_local)
        )
        for form in _forms(address)
    )


def check_callback(url: str, settings: Settings) -> None:
    """Refuse (422 on ``callbackUrl``) a URL a webhook may not be sent to."""
    scheme, host, port = _parts(url)
    loopback_allowed = settings.webhooks_allow_loopback and settings.environment != "production"
    if scheme == "http" and not loopback_allowed:
        raise _refuse("https required", "The callback URL must use https://.")
    addresses = _resolve(host, port)
    for address in addresses:
        if _is_loopback(address) and loopback_allowed:
            continue
        if not _is_public(address):
            raise _refuse(
                "not a public address",
                "The callback URL's host is not a public internet address.",
            )
    if scheme == "http" and not all(_is_loopback(a) for a in addresses):
        raise _refuse("https required", "Only a loopback callback may use http://.")
