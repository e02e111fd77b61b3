"""The inputs ``plan``, ``drift`` and ``apply`` share: declared once, resolved once.

``@planning_inputs()`` declares the shared arguments and options (PATH..., ``--env``,
``--target``, ``--out``, ``--owner``, ``--prune``, the safety thresholds and, for plan and
apply, ``--adopt``) and hands the command one ``PlanningInputs``, built by ``build_inputs``:
the spec paths (``channels/`` when none is given), the chosen environment file, the artifact
folder and the ``PlanOptions``. ``import`` shares ``--env`` and the owner resolution.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from reconciler.artifacts import DEFAULT_OUT_DIR, file_safe
from reconciler.cli.app import global_options, sandbox_option
from reconciler.cli.options import DEFAULT_PATH as DEFAULT_PATH
from reconciler.cli.options import env_option as env_option
from reconciler.environments import (
    Environment,
    connection_env,
    load_environment,
    resolve_owner,
    spec_context,
)
from reconciler.errors import SpecError, UsageError
from reconciler.interpolate import SpecContext
from reconciler.planner import DEFAULT_OWNER, PlanOptions, Thresholds
from reconciler.planner.thresholds import (
    DEFAULT_MAX_DELETE_PCT,
    DEFAULT_MAX_UPDATE_PCT,
    DEFAULT_MIN_EXISTING,
)
from reconciler.render.diagnostics import ordered

if TYPE_CHECKING:
    from reconciler.genesys.settings import Settings

MAX_OWNER_LENGTH = 256  # a customAttributes value holds at most 256 characters


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanningInputs:
    """What a planning command was given, resolved: no click type in sight."""

    paths: tuple[Path, ...]
    environment: Environment | None
    out_dir: Path
    options: PlanOptions
    context: SpecContext  # what specs resolve against (--env variables, the process env)
    connection_env: dict[str, str]  # the process env plus the --env file's region
    sandbox: bool  # --sandbox, before or after the command name

    @property
    def env_name(self) -> str | None:
        """The ``--env`` chosen, if any."""
        return None if self.environment is None else self.environment.name

    def settings(self) -> Settings:
        """Where the org is: ``--sandbox`` or the connection variables, seen through ``--env``
        (its own sandbox org, its name in the headers)."""
        from reconciler.genesys.settings import resolve_settings

        return resolve_settings(self.connection_env, sandbox=self.sandbox, env_name=self.env_name)

    @property
    def shapes_plan(self) -> bool:
        """--prune, --adopt or --target given: choices a saved plan has already made."""
        return self.options.prune or self.options.adopt or bool(self.options.targets)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanningFlags:
    """The shared flags as click parsed them (before defaults are resolved)."""

    paths: tuple[Path, ...]
    env_name: str | None
    targets: tuple[str, ...]
    out_dir: Path
    owner: str
    prune: bool
    adopt: bool
    max_update_pct: float
    max_delete_pct: float
    safety_min_existing: int


def build_inputs(ctx: click.Context, flags: PlanningFlags) -> PlanningInputs:
    """The one place the shared flags become ``PlanningInputs`` (and ``PlanOptions``).

    A missing ``channels/`` folder is a usage error before the environment file is read.
    """
    paths = flags.paths
    if not paths:
        if not Path(DEFAULT_PATH).is_dir():
            raise UsageError(
                f"no PATH given and no {DEFAULT_PATH}/ folder in the current directory"
            )
        paths = (Path(DEFAULT_PATH),)
    environment = chosen_environment(flags.env_name)
    options = PlanOptions(
        owner=owner_for(ctx, flags.owner, environment),
        prune=flags.prune,
        adopt=flags.adopt,
        thresholds=Thresholds(
            min_existing=flags.safety_min_existing,
            max_update_pct=flags.max_update_pct,
            max_delete_pct=flags.max_delete_pct,
        ),
        targets=flags.targets,
    )
    out_dir = flags.out_dir
    if environment is not None and ctx.get_parameter_source("out_dir") in (
        None,
        ParameterSource.DEFAULT,
    ):
        out_dir = out_dir / file_safe(environment.name)  # artifacts/<env>: never shared
    return PlanningInputs(
        paths=paths,
        environment=environment,
        out_dir=out_dir,
        options=options,
        context=spec_context(environment, os.environ),
        connection_env=connection_env(os.environ, environment),
        sandbox=global_options(ctx).sandbox,
    )


def check_owner(ctx: click.Context, param: click.Parameter, value: str) -> str:
    owner = value.strip()
    if not owner or len(owner) > MAX_OWNER_LENGTH or owner != value:
        raise click.BadParameter(
            f"must be 1 to {MAX_OWNER_LENGTH} characters without surrounding spaces"
        )
    return owner


def owner_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--owner`` (or RECONCILER_OWNER), checked; ``help_text`` says what it does here."""
    return click.option(
        "--owner",
        envvar="RECONCILER_OWNER",
        default=DEFAULT_OWNER,
        show_default=True,
        callback=check_owner,
        help=help_text,
    )


def chosen_environment(env_name: str | None) -> Environment | None:
    """The environment named by --env/RECONCILER_ENV (an empty value means none)."""
    if env_name is None or not env_name.strip():
        return None
    with spec_errors_reported():
        return load_environment(env_name.strip())


def owner_for(ctx: click.Context, owner: str, environment: Environment | None) -> str:
    """--owner or RECONCILER_OWNER when given, else the environment's owner, else the default."""
    source = ctx.get_parameter_source("owner")
    given = None if source in (None, ParameterSource.DEFAULT) else owner
    return resolve_owner(given, environment, DEFAULT_OWNER)


@contextlib.contextmanager
def spec_errors_reported() -> Iterator[None]:
    """List a SpecError's diagnostics on stderr (as ``validate`` does), then let it end the run."""
    try:
        yield
    except SpecError as exc:
        report_spec_errors(exc)
        raise


def report_spec_errors(exc: SpecError) -> None:
    """List invalid specs on stderr exactly as ``validate`` lists them."""
    for diagnostic in ordered(exc.diagnostics):
        click.echo(str(diagnostic), err=True)


def planning_inputs(
    *, adopt_help: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the shared inputs and call the command with one ``PlanningInputs`` first.

    ``adopt_help`` adds ``--adopt`` with that help text (plan and apply; drift never adopts).
    The command's own options follow the shared ones in ``--help``; with ``click.pass_context``
    under this decorator the command is called as ``command(ctx, inputs, **own_options)``.
    """

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def with_inputs(
            *,
            paths: tuple[Path, ...],
            env_name: str | None,
            targets: tuple[str, ...],
            out_dir: Path,
            owner: str,
            prune: bool,
            max_update_pct: float,
            max_delete_pct: float,
            safety_min_existing: int,
            adopt: bool = False,
            **own: Any,
        ) -> Any:
            flags = PlanningFlags(
                paths=paths,
                env_name=env_name,
                targets=targets,
                out_dir=out_dir,
                owner=owner,
                prune=prune,
                adopt=adopt,
                max_update_pct=max_update_pct,
                max_delete_pct=max_delete_pct,
                safety_min_existing=safety_min_existing,
            )
            return command(build_inputs(click.get_current_context(), flags), **own)

        decorators: list[Callable[[Any], Any]] = [
            sandbox_option,
            click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path)),
            env_option,
            click.option(
                "--target",
                "targets",
                multiple=True,
                metavar="GLOB",
                help="Limit the run to channels whose names match GLOB (fnmatch, any case); "
                "repeatable. The plan is then partial.",
            ),
            click.option(
                "--out",
                "out_dir",
                type=click.Path(file_okay=False, path_type=Path),
                default=DEFAULT_OUT_DIR,
                show_default=True,
                help="Folder for the JSON and markdown artifacts [with --env NAME: "
                "artifacts/NAME].",
            ),
            owner_option(
                "Owner id in the x-managed-by marker; env RECONCILER_OWNER; else the "
                "--env file's owner."
            ),
            click.option(
                "--prune",
                is_flag=True,
                help="Delete channels that carry this owner's marker and have no spec.",
            ),
            click.option(
                "--max-update-pct",
                type=click.FloatRange(0, 100),
                default=DEFAULT_MAX_UPDATE_PCT,
                show_default=True,
                help="Unsafe when updates touch more than this share of the managed channels.",
            ),
            click.option(
                "--max-delete-pct",
                type=click.FloatRange(0, 100),
                default=DEFAULT_MAX_DELETE_PCT,
                show_default=True,
                help="Unsafe when deletes touch more than this share of the managed channels.",
            ),
            click.option(
                "--safety-min-existing",
                type=click.IntRange(min=0),
                default=DEFAULT_MIN_EXISTING,
                show_default=True,
                help="Thresholds apply once this many managed channels exist.",
            ),
        ]
        if adopt_help is not None:
            decorators.append(click.option("--adopt", is_flag=True, help=adopt_help))
        wrapped: Callable[..., Any] = with_inputs
        for decorator in reversed(decorators):
            wrapped = decorator(wrapped)
        return wrapped

    return decorate
