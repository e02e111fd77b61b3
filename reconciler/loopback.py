"""Which hosts count as this machine: the one rule for plain http (API and webhook URLs) and
for where the sandbox may listen.

Pure: no I/O.
"""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str) -> bool:
    """``localhost`` (any case, trailing dot allowed), 127.0.0.0/8 and ``::1`` (brackets
    allowed); nothing else, and never a name that would need a DNS lookup."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
