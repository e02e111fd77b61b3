"""Benchmark: N web deployment creates, then N content updates, then N prunes, against the
rate-limit floor, with shared status polls beside the per-object polling of before.

The emulator of ``reconciler sandbox serve`` (the same HTTP server, on 127.0.0.1, in a thread
of this process so its request counters can be read between phases) runs at the contract's
timings (draft Pending 2 s, deployment Pending 12 s, 404 for 1-2 s after a create, Deleting
for 3 s; ``--time-scale`` multiplies them) with a rate limit per token (default 300 requests a
minute). Each phase is one ``reconciler apply --yes`` process:

- creates: N ``kind: webDeployment`` specs on an empty org (a configuration, its publish and
  its deployment: 3 writes each);
- updates: every spec's configuration changed (a draft write, a publish and a deployment
  move: 3 writes each);
- prunes: every spec removed, ``--prune --force`` (a deployment and its configuration
  deleted: 2 writes each).

Per phase it prints the requests the emulator counted (per action, and the writes among
them), the wall time of the whole command, and its ratio to the floor: the phase's writes
divided by the rate, plus one activation wait (draft and deployment Pending for creates and
updates; the deployment's and the configuration's Deleting for prunes). Both ways of waiting
run in the same invocation, each on a fresh emulator: ``shared`` (the default: objects that
wait for a status are checked together through the listings) and ``per-object`` (one status
read per waiting object, ``RECONCILER_STATUS_POLLS=per-object``). Prints figures, asserts
nothing.

Reproduce from the repository root, in the project's virtualenv:

    python benchmarks/apply_webdeployments.py                     # N = 40, 300/min, both modes
    python benchmarks/apply_webdeployments.py --n 200 --modes shared
    python benchmarks/apply_webdeployments.py --n 40 --rate 300 --time-scale 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from reconciler.sandbox import SandboxApp, SandboxConfig, WebDeploymentKnobs, serve_in_thread

CREDENTIALS = ("cid-bench-apply-wd", "sek-bench-apply-wd-OTTER")
FLOWS = ("Sales Inbound Message", "Support Inbound Message")
MODES = ("shared", "per-object")
PHASES = ("creates", "updates", "prunes")
#: Targets of issue 24 (N = 40: requests per create and ratio; N = 200: ratio).
TARGETS = {40: (4.0, 1.3), 200: (None, 1.2)}


def name_of(i: int) -> str:
    return f"Bench Store {i:04d}"


def spec_of(i: int, colour: str) -> str:
    return "\n".join(
        [
            "kind: webDeployment",
            f"name: {name_of(i)}",
            f"description: Chat of store {i}",
            "configuration:",
            "  languages: [en-us]",
            "  defaultLanguage: en-us",
            "  messenger:",
            "    enabled: true",
            f'    styles: {{primaryColor: "{colour}"}}',
            "deployment:",
            f"  allowedDomains: [shop{i}.example.eu]",
            f"  flow: {{name: {FLOWS[i % 2]}}}",
            "",
        ]
    )


def write_specs(folder: Path, n: int, colour: str | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    # For the prunes, one spec outside --target (a folder must hold a spec): every store goes.
    text = spec_of(n, "#000000").replace(name_of(n), "Not Benchmarked")
    if colour is not None:
        text = "---\n".join(spec_of(i, colour) for i in range(n))
    (folder / "stores.yaml").write_text(text, encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    actions: int
    requests: Counter[str]
    wall: float
    execution: float
    rate_wait: float
    succeeded: int
    failed: int

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    @property
    def writes(self) -> int:
        return sum(c for k, c in self.requests.items() if not k.startswith(("GET ", "POST /oauth")))


def run_phase(
    app: SandboxApp, url: str, workdir: Path, phase: str, mode: str, rate: int, parallelism: int
) -> Phase:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GENESYS_", "RECONCILER_"))},
        "GENESYS_API_URL": url,
        "GENESYS_LOGIN_URL": url,
        "GENESYS_CLIENT_ID": CREDENTIALS[0],
        "GENESYS_CLIENT_SECRET": CREDENTIALS[1],
        "RECONCILER_RATE_PER_MINUTE": str(rate),
        "RECONCILER_STATUS_POLLS": mode,
    }
    env.pop("WEBHOOK_URL", None)
    command = [sys.executable, "-m", "reconciler", "apply", "--yes", "--out", "artifacts"]
    command += ["--parallelism", str(parallelism)]
    if phase == "prunes":
        command += ["--prune", "--force", "--target", "Bench Store *"]
    elif phase == "updates":
        command += ["--force"]
    app.stats.reset()
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=3600, check=False
    )
    wall = time.perf_counter() - started
    report_path = workdir / "artifacts" / "apply.json"
    if done.returncode != 0 or not report_path.is_file():
        raise SystemExit(
            f"{mode} {phase}: reconciler apply failed ({done.returncode}): "
            f"{done.stderr.strip()[-2000:]}"
        )
    report = json.loads(report_path.read_text(encoding="utf-8"))
    statuses = Counter(a["status"] for a in report["actions"])
    return Phase(
        name=phase,
        actions=len(report["actions"]),
        requests=Counter(app.stats.requests),
        wall=wall,
        execution=report["duration_ms"] / 1000.0,
        rate_wait=float(report.get("rate_wait_seconds", 0.0) or 0.0),
        succeeded=statuses["succeeded"],
        failed=statuses["failed"],
    )


def run_mode(args: argparse.Namespace, mode: str) -> list[Phase]:
    config = SandboxConfig(
        credentials=CREDENTIALS,
        seed=11,
        rate_limit_per_minute=args.rate,
        webdeployments=WebDeploymentKnobs().scaled(args.time_scale),
    )
    app = SandboxApp(config)
    phases = []
    with tempfile.TemporaryDirectory(prefix="bench-apply-wd-") as tmp, serve_in_thread(app) as srv:
        workdir = Path(tmp)
        for phase, colour in zip(PHASES, ("#112233", "#445566", None), strict=True):
            write_specs(workdir / "channels", args.n, colour)
            result = run_phase(app, srv.url, workdir, phase, mode, args.rate, args.parallelism)
            phases.append(result)
            print(
                f"  [{mode}] {phase}: {result.wall:.1f} s, {result.total} requests",
                file=sys.stderr,
                flush=True,
            )
    return phases


def activation_wait(phase: str, knobs: WebDeploymentKnobs) -> float:
    if phase == "prunes":
        return 2 * knobs.delete_visible_s
    return knobs.config_draft_activate_s + knobs.deployment_activate_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="web deployments per phase")
    parser.add_argument("--rate", type=int, default=300, help="requests per minute per token")
    parser.add_argument("--time-scale", type=float, default=1.0, help="contract timers times this")
    parser.add_argument("--parallelism", type=int, default=8, help="apply --parallelism")
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help=f"comma-separated, of {', '.join(MODES)} (default: both)",
    )
    parser.add_argument("--breakdown", action="store_true", help="requests by endpoint too")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if args.n < 1 or args.rate < 1 or args.time_scale < 0 or not modes:
        parser.error("--n and --rate must be at least 1, --time-scale >= 0, --modes non-empty")
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        parser.error(f"--modes: unknown mode {unknown[0]!r}; use {', '.join(MODES)}")
    knobs = WebDeploymentKnobs().scaled(args.time_scale)
    results = {mode: run_mode(args, mode) for mode in modes}

    print(
        f"reconciler apply of {args.n} web deployments per phase against the sandbox on "
        f"127.0.0.1: {args.rate} requests/min per token, contract timings x{args.time_scale:g}, "
        f"--parallelism {args.parallelism}"
    )
    print(f"python {platform.python_version()} on {platform.machine()}")
    print(
        "floor = writes / rate + one activation wait "
        f"(creates, updates: {activation_wait('creates', knobs):g} s; "
        f"prunes: {activation_wait('prunes', knobs):g} s)"
    )
    header = (
        f"{'mode':<11}{'phase':<9}{'actions':>8}{'requests':>9}{'req/act':>8}{'writes':>7}"
        f"{'wall s':>8}{'floor s':>8}{'ratio':>7}{'rate wait s':>12}  outcome"
    )
    print(header)
    for mode, phases in results.items():
        for p in phases:
            floor = p.writes / (args.rate / 60.0) + activation_wait(p.name, knobs)
            per_action = p.total / max(p.actions, 1)
            print(
                f"{mode:<11}{p.name:<9}{p.actions:>8}{p.total:>9}{per_action:>8.1f}{p.writes:>7}"
                f"{p.wall:>8.1f}{floor:>8.1f}{p.wall / floor:>7.2f}{p.rate_wait:>12.1f}  "
                f"{p.succeeded} succeeded, {p.failed} failed"
            )
    if args.breakdown:
        for mode, phases in results.items():
            for p in phases:
                print(f"requests by endpoint, {mode} {p.name}:")
                for key, count in sorted(p.requests.items()):
                    print(f"  {count:>6}  {key}")
    target = TARGETS.get(args.n)
    if target is not None and "shared" in results and args.rate == 300:
        max_per_create, max_ratio = target
        creates = results["shared"][0]
        verdicts = []
        if max_per_create is not None:
            per_create = creates.total / max(creates.actions, 1)
            ok = per_create <= max_per_create
            verdicts.append(
                f"<= {max_per_create:g} requests per create: {per_create:.1f} "
                f"({'met' if ok else 'NOT MET'})"
            )
        for p in results["shared"]:
            ratio = p.wall / (p.writes / (args.rate / 60.0) + activation_wait(p.name, knobs))
            ok = ratio <= max_ratio
            verdicts.append(
                f"{p.name} <= {max_ratio:g}x floor: {ratio:.2f} ({'met' if ok else 'NOT MET'})"
            )
        print(f"targets (issue 24, N = {args.n}): " + "; ".join(verdicts))
    print(
        f"reproduce: python benchmarks/apply_webdeployments.py --n {args.n} --rate {args.rate} "
        f"--time-scale {args.time_scale:g} --parallelism {args.parallelism} "
        f"--modes {','.join(modes)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
