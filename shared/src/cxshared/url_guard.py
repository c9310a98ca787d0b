"""Refuse webhook URLs that point inside the network (SSRF).

A URL is resolved and every address it resolves to must be public: not private, loopback,
link-local (169.254.169.254, the cloud metadata address, is link-local), shared, reserved,
multicast or unspecified, also when written as an IPv4-mapped IPv6 address. The check runs when a
URL is saved and again when it is sent to, and the request then goes to the address that was
checked (so a DNS answer that changes in between cannot redirect it).
"""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass

import httpx

Resolver = Callable[[str, int], list[str]]


class UnsafeUrl(ValueError):
    pass


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
        elif ip.teredo is not None:
            return False
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class SafeTarget:
    url: httpx.URL
    address: str | None  # the checked address to connect to; None when private URLs are allowed


def check_url(url: str, *, allow_private: bool, resolver: Resolver = system_resolver) -> SafeTarget:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise UnsafeUrl("is not a valid URL") from exc
    if parsed.scheme not in ("http", "https"):
        raise UnsafeUrl("must use http or https")
    if not parsed.host:
        raise UnsafeUrl("has no host")
    if parsed.userinfo:
        raise UnsafeUrl("must not carry credentials; use the signing secret instead")
    if allow_private:
        return SafeTarget(parsed, None)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        addresses = [parsed.host] if _is_ip(parsed.host) else resolver(parsed.host, port)
    except OSError as exc:
        raise UnsafeUrl(f"host {parsed.host!r} does not resolve") from exc
    if not addresses:
        raise UnsafeUrl(f"host {parsed.host!r} does not resolve")
    for address in addresses:
        if not is_public_address(address):
            raise UnsafeUrl(f"resolves to a non-public address ({address})")
    return SafeTarget(parsed, addresses[0])


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def pinned_request(
    target: SafeTarget, *, content: bytes, headers: dict[str, str]
) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """The URL, headers and httpx extensions that send to the checked address."""
    if target.address is None or _is_ip(target.url.host):
        return target.url, headers, {}
    host_header = target.url.netloc.decode("ascii")
    url = target.url.copy_with(host=target.address)
    extensions = {"sni_hostname": target.url.host} if target.url.scheme == "https" else {}
    return url, {**headers, "Host": host_header}, extensions
