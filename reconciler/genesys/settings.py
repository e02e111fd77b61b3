"""Connection settings for a Genesys Cloud org (or the sandbox), read from the environment.

Everything a user can get wrong here is a ``ConfigError`` of one line naming the variable, so
``reconciler plan`` without credentials says what to set instead of failing on the first request.

Variables (docs/api-notes.md#hosts):

    GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET   OAuth client credentials (not needed with sandbox)
    GENESYS_ENVIRONMENT                        region code (eu-west-1), bare domain
                                               (mypurecloud.ie) or ``sandbox``
    GENESYS_API_URL, GENESYS_LOGIN_URL         full-URL overrides; with both set,
                                               GENESYS_ENVIRONMENT is not needed
    RECONCILER_HTTP_TIMEOUT                    seconds per request (default 30)
    RECONCILER_MAX_ATTEMPTS                    attempts per request, retries included (default 5)
    RECONCILER_RATE_PER_MINUTE                 request budget before the server says otherwise
                                               (default 300)
    RECONCILER_CONCURRENCY                     parallel page requests (default 8)
    RECONCILER_STATUS_POLLS                    how waits for a status poll: ``shared`` (default:
                                               waiting objects checked together through the
                                               listings) or ``per-object`` (one read per object,
                                               the behaviour before; for comparison)

Keyword arguments of ``resolve_settings`` override the tunables' variables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from reconciler.errors import ConfigError
from reconciler.loopback import is_loopback_host

#: Region code to domain (the SDKs' region hosts).
REGIONS: Mapping[str, str] = {
    "us-east-1": "mypurecloud.com",
    "us-east-2": "use2.us-gov-pure.cloud",
    "us-west-2": "usw2.pure.cloud",
    "ca-central-1": "cac1.pure.cloud",
    "sa-east-1": "sae1.pure.cloud",
    "mx-central-1": "mxc1.pure.cloud",
    "eu-west-1": "mypurecloud.ie",
    "eu-west-2": "euw2.pure.cloud",
    "eu-central-1": "mypurecloud.de",
    "eu-central-2": "euc2.pure.cloud",
    "eusc-de-east-1": "edee1.eusc-pure.cloud",
    "me-central-1": "mec1.pure.cloud",
    "ap-south-1": "aps1.pure.cloud",
    "ap-southeast-1": "apse1.pure.cloud",
    "ap-southeast-2": "mypurecloud.com.au",
    "ap-northeast-1": "mypurecloud.jp",
    "ap-northeast-2": "apne2.pure.cloud",
    "ap-northeast-3": "apne3.pure.cloud",
}

SANDBOX = "sandbox"  # reconciler.audit.paths.SANDBOX_LABEL names the same label
#: Base URL of the in-process emulator; no request ever leaves the process.
SANDBOX_BASE_URL = "http://sandbox.localhost"
#: Built-in credentials of the sandbox (not secret: they open nothing but the emulator).
SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"  # noqa: S105
#: Where the embedded sandbox keeps its org without ``--env`` (``reconciler.sandbox`` and
#: ``genesys/factory.py`` say the same); with ``--env NAME`` each environment has its own org.
SANDBOX_STATE_DIR = Path(".reconciler")


def sandbox_state_path(env_name: str | None = None) -> Path:
    """The embedded sandbox's state file: ``.reconciler/sandbox.json``, or with ``--env NAME``
    ``.reconciler/sandbox-NAME.json``, so that dev and prod are two orgs, as they are for real."""
    if env_name is None:
        return SANDBOX_STATE_DIR / "sandbox.json"
    return SANDBOX_STATE_DIR / f"sandbox-{env_name}.json"


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class Secret:
    """A string that never shows itself: repr and str are masked; ``reveal()`` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    def __str__(self) -> str:
        return "********"

    def __format__(self, spec: str) -> str:
        return "********"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Where and how to reach the API. ``environment`` is a label for reports."""

    environment: str
    api_url: str
    login_url: str
    client_id: Secret
    client_secret: Secret
    is_sandbox: bool = False
    #: The embedded sandbox's state file (its org); None for a real org.
    sandbox_state: Path | None = None
    timeout_seconds: float = 30.0
    max_attempts: int = 5
    rate_per_minute: int = 300
    concurrency: int = 8
    status_polls: str = "shared"

    @property
    def token_url(self) -> str:
        return f"{self.login_url}/oauth/token"


class _Tunables(NamedTuple):
    timeout_seconds: float
    max_attempts: int
    rate_per_minute: int
    concurrency: int
    status_polls: str


#: Values of RECONCILER_STATUS_POLLS.
STATUS_POLLS = ("shared", "per-object")


def resolve_settings(
    env: Mapping[str, str],
    *,
    sandbox: bool = False,
    timeout_seconds: float | None = None,
    max_attempts: int | None = None,
    rate_per_minute: int | None = None,
    concurrency: int | None = None,
    env_name: str | None = None,
) -> Settings:
    """Settings from environment variables; ``sandbox=True`` is ``GENESYS_ENVIRONMENT=sandbox``.

    ``env_name`` (``--env``): the embedded sandbox then keeps that environment's own org and is
    labelled with its name; so is a sandbox served on loopback (``sandbox serve``), whose label
    would otherwise be its host. A loopback base URL needs no credentials: the sandbox's own are
    implied (``sandbox serve`` takes any, unless started with ``--client-id``). A real org's URL
    never gets them: its credentials stay required.
    """
    tunables = _Tunables(
        timeout_seconds=_number(env, "RECONCILER_HTTP_TIMEOUT", timeout_seconds, 30.0, float),
        max_attempts=int(_number(env, "RECONCILER_MAX_ATTEMPTS", max_attempts, 5, int)),
        rate_per_minute=int(_number(env, "RECONCILER_RATE_PER_MINUTE", rate_per_minute, 300, int)),
        concurrency=int(_number(env, "RECONCILER_CONCURRENCY", concurrency, 8, int)),
        status_polls=_status_polls(env),
    )
    environment = env.get("GENESYS_ENVIRONMENT", "").strip()
    if sandbox or environment.lower() == SANDBOX:
        return Settings(
            environment=env_name or SANDBOX,
            api_url=SANDBOX_BASE_URL,
            login_url=SANDBOX_BASE_URL,
            client_id=Secret(SANDBOX_CLIENT_ID),
            client_secret=Secret(SANDBOX_CLIENT_SECRET),
            is_sandbox=True,
            sandbox_state=sandbox_state_path(env_name),
            **tunables._asdict(),
        )
    client_id = env.get("GENESYS_CLIENT_ID", "").strip()
    client_secret = env.get("GENESYS_CLIENT_SECRET", "").strip()
    api_raw = env.get("GENESYS_API_URL", "").strip()
    login_raw = env.get("GENESYS_LOGIN_URL", "").strip()
    loopback = not environment and _loopback_url(api_raw) and _loopback_url(login_raw)
    if loopback:
        # `sandbox serve`: both base URLs on this machine, no region named. Nothing secret is
        # implied (the sandbox's built-in pair); a server that wants others says 401.
        client_id = client_id or SANDBOX_CLIENT_ID
        client_secret = client_secret or SANDBOX_CLIENT_SECRET
    missing = [
        name
        for name, value in (
            ("GENESYS_CLIENT_ID", client_id),
            ("GENESYS_CLIENT_SECRET", client_secret),
            ("GENESYS_ENVIRONMENT", environment or (api_raw and login_raw)),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            f"missing {', '.join(missing)}: set {'it' if len(missing) == 1 else 'them'} "
            "for a real org, or use --sandbox to try the embedded emulator"
        )
    label = ""
    api_url = login_url = ""
    if environment:
        domain = _domain(environment)
        label = environment.lower()
        api_url, login_url = f"https://api.{domain}", f"https://login.{domain}"
    if api_raw:
        api_url = _url("GENESYS_API_URL", api_raw)
    if login_raw:
        login_url = _url("GENESYS_LOGIN_URL", login_raw)
    if loopback and env_name:
        label = env_name  # the environment's name in every header, not "127.0.0.1"
    return Settings(
        environment=label or (urlsplit(api_url).hostname or api_url),
        api_url=api_url,
        login_url=login_url,
        client_id=Secret(client_id),
        client_secret=Secret(client_secret),
        **tunables._asdict(),
    )


def _status_polls(env: Mapping[str, str]) -> str:
    raw = env.get("RECONCILER_STATUS_POLLS", "").strip()
    if not raw:
        return STATUS_POLLS[0]
    if raw.lower() not in STATUS_POLLS:
        raise ConfigError(
            f"RECONCILER_STATUS_POLLS: expected one of {', '.join(STATUS_POLLS)}, got {raw[:30]!r}"
        )
    return raw.lower()


def _loopback_url(value: str) -> bool:
    """A base URL whose host is this machine (``http://127.0.0.1:PORT``): ``sandbox serve``."""
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:
        return False
    return bool(value) and is_loopback_host(host)


def _domain(value: str) -> str:
    lowered = value.lower()
    if lowered in REGIONS:
        return REGIONS[lowered]
    if _DOMAIN.match(lowered):
        return lowered
    raise ConfigError(
        f"GENESYS_ENVIRONMENT: unknown region or domain {value[:60]!r} (expected a region "
        "code such as eu-west-1, a domain such as mypurecloud.ie, or sandbox)"
    )


def _url(name: str, value: str) -> str:
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"{name}: not a valid URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigError(f"{name}: expected a full URL such as https://api.mypurecloud.ie")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(f"{name}: a base URL carries no credentials, query or fragment")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ConfigError(
            f"{name}: plain http is allowed only for loopback hosts (127.0.0.1, ::1, "
            f"localhost), not {host!r}; use https"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _number(
    env: Mapping[str, str],
    name: str,
    given: float | None,
    default: float,
    kind: type[int] | type[float],
) -> float:
    if given is not None:
        value: float = given
        where = name.lower().removeprefix("reconciler_")
    else:
        raw = env.get(name, "").strip()
        if not raw:
            return default
        where = name
        try:
            value = kind(raw)
        except ValueError:
            raise ConfigError(f"{name}: expected a number, got {raw[:30]!r}") from None
    if not value > 0:
        raise ConfigError(f"{where}: must be greater than 0")
    return value
