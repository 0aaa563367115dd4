"""IP geolocation, offline: one small interface, two backends, and anonymiser lists.

The default backend reads the country data that ships inside the ``geoip2fast`` wheel; a
MaxMind-format ``.mmdb`` file (GeoLite2/GeoIP2 Country or City, or any compatible database)
replaces it with ``--mmdb``. Tor exit and VPN lists are plain files, one address or CIDR range
a line, ``#`` for comments: addresses on them carry no weight.
"""

from __future__ import annotations

import ipaddress
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from tasman.core.errors import InputError


class IpLocator(ABC):
    name: str

    @abstractmethod
    def country(self, ip: str) -> str | None:
        """ISO alpha-2 of a public address, or None when the database does not know it."""


class Geoip2FastLocator(IpLocator):
    name = "geoip2fast (embedded)"

    def __init__(self) -> None:
        from geoip2fast import GeoIP2Fast

        # the IPv4+IPv6 file of the wheel; loading takes ~0.1 s
        self._db: Any = GeoIP2Fast(geoip2fast_data_file="geoip2fast-ipv6.dat.gz")

    def country(self, ip: str) -> str | None:
        cc = str(self._db.lookup(ip).country_code or "")
        return cc if len(cc) == 2 and cc.isalpha() else None


class MmdbLocator(IpLocator):
    def __init__(self, path: Path) -> None:
        import maxminddb

        try:
            self._db: Any = maxminddb.open_database(str(path))
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            raise InputError(f"cannot open MaxMind database {str(path)!r}: {exc}") from exc
        self.name = f"mmdb {path.name}"

    def country(self, ip: str) -> str | None:
        try:
            rec = self._db.get(ip)
        except ValueError:
            return None
        if not isinstance(rec, dict):
            return None
        for key in ("country", "registered_country"):
            iso = (rec.get(key) or {}).get("iso_code") if isinstance(rec.get(key), dict) else None
            if iso:
                return str(iso).upper()
        return None


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressList:
    """A named list of addresses and ranges (Tor exits, a VPN provider's ranges)."""

    def __init__(self, label: str, networks: list[Network]) -> None:
        self.label = label
        self.networks = networks

    @classmethod
    def read(cls, label: str, path: Path) -> AddressList:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            raise InputError(f"cannot read {label} list {str(path)!r}: {exc.strerror}") from exc
        nets: list[Network] = []
        for n, line in enumerate(lines, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            try:
                nets.append(ipaddress.ip_network(text, strict=False))
            except ValueError as exc:
                raise InputError(f"{path.name} line {n}: {text!r} is not an IP address or range") from exc
        return cls(label, nets)

    def contains(self, ip: str) -> bool:
        addr = ipaddress.ip_address(ip)
        return any(addr.version == net.version and addr in net for net in self.networks)
