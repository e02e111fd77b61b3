"""``reconciler sandbox serve`` and ``reconciler sandbox reset``: the emulator as a command.

``serve`` turns flags into a SandboxConfig, serves on loopback until Ctrl-C (exit 130) or
SIGTERM (exit 0), and saves the org to ``--state`` after every write when given.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import click

from reconciler.cli.app import EXIT_OK, cli
from reconciler.errors import ConfigError, ReconcilerError, UsageError
from reconciler.genesys.settings import sandbox_state_path
from reconciler.loopback import is_loopback_host
from reconciler.sandbox import (
    DEFAULT_STATE_PATH,
    SCRIPT_ENTRIES,
    FaultPlan,
    SandboxApp,
    SandboxConfig,
    SandboxState,
    WebDeploymentKnobs,
    serve_in_thread,
)
from reconciler.sandbox.webdeployments.knobs import DELETE_IN_USE, FEATURES, FLOW_NAME_FILTERS

_PROBABILITY = click.FloatRange(0.0, 1.0)
#: An environment's name, as environments/<name>.yaml spells it.
ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_NON_NEGATIVE = click.FloatRange(min=0.0)


def _script(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    entries = tuple(entry.strip() for entry in value.split(","))
    unknown = [entry for entry in entries if entry not in SCRIPT_ENTRIES]
    if unknown:
        raise click.BadParameter(
            f"unknown entry {unknown[0]!r}; use a comma-separated list of "
            f"{', '.join(sorted(SCRIPT_ENTRIES))}"
        )
    return entries


@cli.group()
def sandbox() -> None:
    """The sandbox emulator of the Genesys APIs this tool uses (no org or credentials needed)."""


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address only.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="0 picks a free port; the URL is printed either way.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Load the org from this file and save it after every write. "
    "Default: in memory only (nothing is saved).",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=0),
    default=300,
    show_default=True,
    help="Requests per minute per token; 0 disables the limit.",
)
@click.option(
    "--latency-ms",
    type=_NON_NEGATIVE,
    default=0.0,
    show_default=True,
    help="Added to every response.",
)
@click.option(
    "--listing-lag",
    type=_NON_NEGATIVE,
    default=0.0,
    show_default=True,
    help="Seconds the listing lags behind writes.",
)
@click.option(
    "--token-ttl",
    type=click.IntRange(min=1),
    default=86400,
    show_default=True,
    help="Token lifetime (expires_in), seconds.",
)
@click.option(
    "--client-id", default=None, help="Accept only this client id (with --client-secret-env)."
)
@click.option(
    "--client-secret-env",
    default=None,
    metavar="VAR",
    help="Environment variable holding the only accepted client secret.",
)
@click.option("--fault-5xx", type=_PROBABILITY, default=0.0, help="Probability of a 502/503/504.")
@click.option("--fault-429", type=_PROBABILITY, default=0.0, help="Probability of a spurious 429.")
@click.option(
    "--fault-drop",
    type=_PROBABILITY,
    default=0.0,
    help="Probability a write is committed and its connection dropped.",
)
@click.option(
    "--fault-slow",
    type=_PROBABILITY,
    default=0.0,
    help="Probability a response is delayed by --slow-seconds.",
)
@click.option("--slow-seconds", type=_NON_NEGATIVE, default=30.0, show_default=True)
@click.option(
    "--fault-script",
    callback=_script,
    default=None,
    metavar="A,B,...",
    help=f"Faults for the first API requests, in order: {', '.join(sorted(SCRIPT_ENTRIES))}.",
)
@click.option(
    "--seed", type=int, default=None, help="Seed for faults, ids and tokens (repeatable runs)."
)
@click.option(
    "--wd-time-scale",
    type=_NON_NEGATIVE,
    default=1.0,
    show_default=True,
    help="Web Deployments: multiply the contract's timers (draft and deployment Pending, 404 "
    "after create, Deleting) by this; 0 makes everything readable and Active at once.",
)
@click.option(
    "--wd-publish-while-pending",
    is_flag=True,
    help="Web Deployments: publish succeeds while the draft is Pending (default: 400).",
)
@click.option(
    "--wd-follow-latest",
    is_flag=True,
    help="Web Deployments: deployments move to each newly published version (default: pinned).",
)
@click.option(
    "--wd-sticky-cursor",
    is_flag=True,
    help="Web Deployments: the last cursor page repeats its cursor in nextUri.",
)
@click.option(
    "--wd-delete-in-use",
    type=click.Choice(DELETE_IN_USE),
    default="refuse",
    show_default=True,
    help="Web Deployments: deleting a configuration a deployment uses is refused (409), or "
    "allowed (the deployment turns Error).",
)
@click.option("--wd-unique-names", is_flag=True, help="Web Deployments: duplicate names get 409.")
@click.option(
    "--wd-inactive-ignored",
    is_flag=True,
    help="Web Deployments: a deployment written with status Inactive keeps its status "
    "(default: it is deactivated).",
)
@click.option(
    "--wd-strict",
    is_flag=True,
    help="Web Deployments: unknown or read-only body fields get 400 (default: ignored).",
)
@click.option(
    "--wd-unavailable-feature",
    "wd_unavailable",
    type=click.Choice(FEATURES),
    multiple=True,
    help="Web Deployments: a configuration block the org lacks (repeatable); enabling it is a "
    "400 'feature is not yet implemented'.",
)
@click.option(
    "--wd-max-page-size",
    type=click.IntRange(1, 10000),
    default=300,
    show_default=True,
    help="Web Deployments: the largest cursor page served (a larger pageSize gets this many).",
)
@click.option(
    "--wd-versions-without-draft",
    is_flag=True,
    help="Web Deployments: the versions listing leaves out the DRAFT entry (default: listed).",
)
@click.option(
    "--wd-flows-name-filter",
    type=click.Choice(FLOW_NAME_FILTERS),
    default="substring",
    show_default=True,
    help="How the flows listing's name filter matches (any case for substring and prefix).",
)
@click.option(
    "--no-channels-api",
    is_flag=True,
    help="Do not serve the tutorial channels API (its paths 404), as a real org.",
)
@click.option(
    "--deny-permission",
    "denied_permissions",
    multiple=True,
    metavar="PERMISSION",
    help="A permission the client's role lacks (repeatable, e.g. architect:flow:view): "
    "requests that need it get 403.",
)
def serve(
    host: str,
    port: int,
    state_path: Path | None,
    rate_limit: int,
    latency_ms: float,
    listing_lag: float,
    token_ttl: int,
    client_id: str | None,
    client_secret_env: str | None,
    fault_5xx: float,
    fault_429: float,
    fault_drop: float,
    fault_slow: float,
    slow_seconds: float,
    fault_script: tuple[str, ...],
    seed: int | None,
    wd_time_scale: float,
    wd_publish_while_pending: bool,
    wd_follow_latest: bool,
    wd_sticky_cursor: bool,
    wd_delete_in_use: str,
    wd_unique_names: bool,
    wd_inactive_ignored: bool,
    wd_strict: bool,
    wd_unavailable: tuple[str, ...],
    wd_max_page_size: int,
    wd_versions_without_draft: bool,
    wd_flows_name_filter: str,
    no_channels_api: bool,
    denied_permissions: tuple[str, ...],
) -> int:
    """Serve the emulator over HTTP on 127.0.0.1 until Ctrl-C or SIGTERM.

    The token endpoint (POST /oauth/token) and the API (/api/v2/...) share one base URL:
    use it as both GENESYS_LOGIN_URL and GENESYS_API_URL. It serves the channels API and the
    Web Deployments API (configurations, deployments, flows, supported content); the --wd-*
    options set the latter's behaviours.
    """
    credentials = _credentials(client_id, client_secret_env)
    config = SandboxConfig(
        rate_limit_per_minute=rate_limit,
        latency_ms=latency_ms,
        listing_lag_seconds=listing_lag,
        token_ttl_seconds=token_ttl,
        credentials=credentials,
        seed=seed,
        faults=FaultPlan(
            seed=seed or 0,
            error_5xx=fault_5xx,
            rate_limit_429=fault_429,
            drop_after_commit=fault_drop,
            slow=fault_slow,
            slow_seconds=slow_seconds,
            script=fault_script,
        ),
        webdeployments=WebDeploymentKnobs()
        .scaled(wd_time_scale)
        .replace(
            publish_400_while_pending=not wd_publish_while_pending,
            follow_latest_on_publish=wd_follow_latest,
            sticky_last_cursor=wd_sticky_cursor,
            delete_in_use=wd_delete_in_use,
            unique_names=wd_unique_names,
            inactive_deactivates=not wd_inactive_ignored,
            strict_fields=wd_strict,
            unavailable_features=frozenset(wd_unavailable),
            max_page_size=wd_max_page_size,
            versions_list_draft=not wd_versions_without_draft,
            flows_name_filter=wd_flows_name_filter,
        ),
        channels_api=not no_channels_api,
        denied_permissions=frozenset(denied_permissions),
    )
    if not is_loopback_host(host):
        raise UsageError(
            f"--host: the sandbox serves only on a loopback address (127.0.0.1, ::1), not {host!r}"
        )
    state = SandboxState.load(state_path) if state_path is not None else SandboxState()
    app = SandboxApp(config, state, on_commit=_saver(state_path))
    stop = threading.Event()
    interrupted = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT:
            interrupted.set()
        stop.set()

    # Both installed explicitly: a parent that started us in the background may have left
    # SIGINT ignored, and Ctrl-C must still stop the server (exit 130; SIGTERM exits 0).
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with contextlib.ExitStack() as stack:
            server = stack.enter_context(serve_in_thread(app, host=host, port=port))
            click.echo(f"sandbox listening on {server.url}")
            sys.stdout.flush()
            while not stop.wait(0.2):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if interrupted.is_set():
        raise KeyboardInterrupt
    return EXIT_OK


def _credentials(client_id: str | None, secret_env: str | None) -> tuple[str, str] | None:
    if client_id is None and secret_env is None:
        return None
    if not client_id or not secret_env:
        raise UsageError("--client-id and --client-secret-env go together")
    secret = os.environ.get(secret_env, "")
    if not secret:
        raise UsageError(f"--client-secret-env: environment variable {secret_env} is not set")
    return (client_id, secret)


def _saver(path: Path | None) -> Callable[[SandboxState], None] | None:
    if path is None:
        return None

    def save(state: SandboxState) -> None:
        try:
            state.save(path)
        except ReconcilerError as exc:
            click.echo(f"warning: {exc}", err=True)

    return save


@sandbox.command()
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_STATE_PATH,
    show_default=True,
    help="The sandbox state file to empty.",
)
@click.option(
    "--env",
    "env_name",
    metavar="NAME",
    default=None,
    help="Empty the org of '--sandbox --env NAME' runs (.reconciler/sandbox-NAME.json) instead.",
)
@click.pass_context
def reset(ctx: click.Context, state_path: Path, env_name: str | None) -> int:
    """Empty the sandbox org kept in the state file (used by --sandbox runs; each --env has
    its own)."""
    if env_name is not None:
        if ctx.get_parameter_source("state_path") is not click.core.ParameterSource.DEFAULT:
            raise UsageError("--env and --state name the state file both: give one")
        if not ENV_NAME.fullmatch(env_name):
            raise UsageError(
                f"--env {env_name[:70]!r}: an environment name is letters, digits, '.', '_' and '-'"
            )
        state_path = sandbox_state_path(env_name)
    why = SandboxState.foreign(state_path)
    if why:
        raise ConfigError(
            f"{state_path} is not sandbox state ({why}); not reset: name the sandbox's state "
            "file, or remove this file yourself if that is what you mean"
        )
    try:
        removed = len(SandboxState.load(state_path))
    except ConfigError:
        removed = 0  # a corrupt file is exactly what reset is for
    SandboxState().save(state_path)
    click.echo(f"sandbox reset: {state_path} now holds an empty org ({removed} channels removed)")
    return EXIT_OK
