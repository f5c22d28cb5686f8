"""Where a response came from, kept only as keyed hashes (HMAC-SHA256 with the service's secret key)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from msgspec import Struct

DEVICE_COOKIE = "survey_device"  # a random id the form sets once per browser; never stored as it is


class Origin(Struct, frozen=True, kw_only=True):
    device_hash: str | None = None
    network_hash: str | None = None


def keyed_hash(secret_key: str, kind: str, value: str) -> str:
    """HMAC-SHA256 of `value` under the secret key, separated by `kind` so a device id never matches an address."""
    return hmac.new(secret_key.encode(), f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()


def network_of(address: str) -> str:
    """The network an address stands for: itself for IPv4, its /64 for IPv6 (one device rotates inside it)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def origin_of(secret_key: str, device: str | None, address: str | None) -> Origin:
    return Origin(
        device_hash=keyed_hash(secret_key, "device", device) if device else None,
        network_hash=keyed_hash(secret_key, "network", network_of(address)) if address else None,
    )
