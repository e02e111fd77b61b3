"""Benchmark: plan 5,000 specs against 5,000 live channels, in-process and as whole commands.

Prints figures, it asserts nothing. Goals (issue 4): planning under 2 s of CPU on a 2-core
machine; listing costs 1 token request plus ceil(N/100) page requests. Goals (issue 14), for
the commands a user runs, each a new process (`reconciler --sandbox plan`, `reconciler
validate`) in a workspace of 100 channels a file: plan at 5,000 channels <= 2.0 s CPU,
validate at 20,000 <= 6 s CPU, peak memory of plan at 20,000 <= 335 MiB; each printed with its
ratio to the figure measured before issue 14 ("today").

Goal (issue 24): plan at 5,000 channels <= 1.0 s CPU (1.8 s before its work).

Reproduce from the repository root, in the project's virtualenv:

    python benchmarks/plan_5000.py            # 5 runs in-process, 3 of each command, 5% changed
    python benchmarks/plan_5000.py --runs 9 --channels 5000 --changed-pct 10
    python benchmarks/plan_5000.py --runs 1 --process-channels 5000,20000 --process-runs 3

In-process, the org is the embedded emulator mounted as an httpx transport (no socket, no rate
limit), so the listing figures measure the client and the emulator, not a network. The whole
commands use the `--sandbox` org of the workspace (`.reconciler/sandbox.json`).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import whole

from reconciler.artifacts import plan_json_text
from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, resolve_settings
from reconciler.model import ChannelSpec, SourceRef
from reconciler.planner import PlanOptions, build_plan, desired_body
from reconciler.render.plan_markdown import render_plan_markdown
from reconciler.render.plan_text import render_plan_text
from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxState, SandboxTransport


def make_body(i: int, description: str) -> dict[str, object]:
    return {
        "name": f"Channel {i:05d}",
        "description": description,
        "webMessagingWidgetConfiguration": {
            "widgetId": f"widget-{i}",
            "theme": "default",
            "customAttributes": {"brand": f"brand-{i % 7}", "lang": "en"},
        },
        "securityPolicy": {
            "enabled": True,
            "allowedOrigins": [f"https://site{i}.example.com", "https://www.example.com"],
            "requireConsent": True,
        },
        "routingConfiguration": {"queueId": f"queue-{i % 50}"},
    }


def make_org(n: int, changed_pct: float) -> tuple[list[ChannelSpec], SandboxState]:
    step = max(1, round(100 / changed_pct)) if changed_pct > 0 else n + 1
    specs, stored = [], []
    for i in range(n):
        spec_body = make_body(i, "desired")
        specs.append(
            ChannelSpec(
                name=str(spec_body["name"]),
                body=spec_body,
                source=SourceRef(file=f"channels/c{i // 100:03d}.yaml", line=1 + i % 100, col=1),
            )
        )
        live_body = desired_body(
            make_body(i, "edited" if i % step == 0 else "desired"), "reconciler"
        )
        channel_id = f"00000000-0000-4000-8000-{i:012d}"
        stored.append(
            {
                **live_body,
                "id": channel_id,
                "version": 1,
                "dateCreated": "2026-01-01T00:00:00.000Z",
                "dateModified": "2026-01-01T00:00:00.000Z",
                "selfUri": f"/api/v2/webmessaging/channels/{channel_id}",
            }
        )
    return specs, SandboxState(stored)


async def list_once(state: SandboxState) -> tuple[list, SandboxApp]:
    app = SandboxApp(
        SandboxConfig(
            credentials=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), rate_limit_per_minute=0
        ),
        state,
    )
    settings = resolve_settings({}, sandbox=True, rate_per_minute=1_000_000)
    async with GenesysBackend(settings, transport=SandboxTransport(app)) as client:
        live = await client.adapter("channel").list()
    return live, app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--channels", type=int, default=5000)
    parser.add_argument("--changed-pct", type=float, default=5.0)
    parser.add_argument(
        "--process-channels",
        default="5000,20000",
        help="comma-separated sizes for the whole-command runs ('' to skip them)",
    )
    parser.add_argument("--process-runs", type=int, default=3)
    parser.add_argument("--commands", default="plan,validate", help="which whole commands to time")
    args = parser.parse_args()
    if args.runs > 0:
        in_process(args)
    sizes = [int(size) for size in args.process_channels.split(",") if size.strip()]
    if sizes:
        commands = [name.strip() for name in args.commands.split(",") if name.strip()]
        whole_commands(sizes, args.process_runs, args.changed_pct, commands)
    print(
        f"reproduce: python benchmarks/plan_5000.py --runs {args.runs} --channels {args.channels} "
        f"--changed-pct {args.changed_pct:g} --process-channels '{args.process_channels}' "
        f"--process-runs {args.process_runs} --commands {args.commands}"
    )
    return 0


#: The figures issue 14 measured before its work ("today"), the base of the printed ratios.
TODAY_PLAN_5000_CPU = 7.1
TODAY_VALIDATE_20000_CPU = 23.0
TODAY_PEAK_20000_MIB = 335.0
#: Issue 24's "today": plan of 5,000 channels, whole process, before its work.
TODAY_24_PLAN_5000_CPU = 1.8


def whole_commands(sizes: list[int], runs: int, changed_pct: float, commands: list[str]) -> None:
    print(f"whole commands, {runs} run(s) each, medians (one new process a run):")
    results: dict[tuple[str, int], whole.Run] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as tmp:
            root = whole.make_workspace(Path(tmp), size, changed_pct)
            for name, argv in (
                ("plan", whole.reconciler("--sandbox", "plan")),
                ("validate", whole.reconciler("validate")),
            ):
                if name not in commands:
                    continue
                median = whole.medians([whole.run(argv, root) for _ in range(runs)])
                results[name, size] = median
                print(
                    f"  {name:<8} {size:>6} channels: CPU {median.cpu:7.3f} s  "
                    f"wall {median.wall:7.3f} s  peak {median.peak_mib:6.1f} MiB  "
                    f"exit {median.code}"
                )
    print("targets (issue 14):")
    if ("plan", 5000) in results:
        cpu = results["plan", 5000].cpu
        print(whole.target_line("plan, 5,000 channels, CPU", cpu, "s", 2.0, TODAY_PLAN_5000_CPU))
    if ("validate", 20000) in results:
        cpu = results["validate", 20000].cpu
        label = "validate, 20,000 channels, CPU"
        print(whole.target_line(label, cpu, "s", 6.0, TODAY_VALIDATE_20000_CPU))
    if ("plan", 20000) in results:
        peak = results["plan", 20000].peak_mib
        label = "plan, 20,000 channels, peak memory"
        print(whole.target_line(label, peak, "MiB", 335.0, TODAY_PEAK_20000_MIB))
    if ("plan", 5000) in results:
        print("target (issue 24):")
        cpu = results["plan", 5000].cpu
        label = "plan, 5,000 channels, CPU"
        print(whole.target_line(label, cpu, "s", 1.0, TODAY_24_PLAN_5000_CPU))


def in_process(args: argparse.Namespace) -> None:

    specs, state = make_org(args.channels, args.changed_pct)
    now = datetime.now(timezone.utc)
    list_cpu, plan_cpu, render_cpu, list_wall = [], [], [], []
    for _ in range(args.runs):
        wall, cpu = time.perf_counter(), time.process_time()
        live, app = asyncio.run(list_once(state))
        list_cpu.append(time.process_time() - cpu)
        list_wall.append(time.perf_counter() - wall)

        cpu = time.process_time()
        plan = build_plan(specs, live, options=PlanOptions(), environment="sandbox", now=now)
        plan_cpu.append(time.process_time() - cpu)

        cpu = time.process_time()
        plan_json_text(plan)
        render_plan_markdown(plan)
        render_plan_text(plan, color=False)
        render_cpu.append(time.process_time() - cpu)

    tokens = app.stats.requests["POST /oauth/token"]
    pages = app.stats.requests["GET /api/v2/webmessaging/channels"]
    expected_pages = math.ceil(len(live) / 100)
    median = statistics.median
    print(f"reconciler plan benchmark: {args.channels} specs vs {len(live)} live channels")
    print(f"python {platform.python_version()} on {platform.machine()}, {args.runs} runs, medians")
    print(f"actions: {plan.summary}")
    print(f"planning CPU (build_plan):       {median(plan_cpu):.3f} s   (goal < 2 s)")
    print(
        f"listing CPU (client + emulator): {median(list_cpu):.3f} s   "
        f"wall {median(list_wall):.3f} s"
    )
    print(f"artifacts CPU (json, md, text):  {median(render_cpu):.3f} s")
    print(
        f"listing requests (last run): {tokens} token + {pages} pages "
        f"(expected 1 + ceil({len(live)}/100) = 1 + {expected_pages})"
    )
    ok = median(plan_cpu) < 2.0 and tokens == 1 and pages == expected_pages
    print("result: " + ("within the goals" if ok else "OUTSIDE the goals"))


if __name__ == "__main__":
    sys.exit(main())
