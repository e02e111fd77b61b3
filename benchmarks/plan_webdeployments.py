"""Benchmark: what planning N ``kind: webDeployment`` specs costs against the org, beside a
per-object reader.

Seeds N managed pairs (a configuration published once, its deployment serving it) into the
sandbox emulator served on 127.0.0.1 (the server of ``reconciler sandbox serve``, in a thread)
with the rate limit of a real org (300 requests a minute per token), writes N matching specs,
and times ``reconciler plan`` run as its own process. Prints the requests by endpoint, their
total and the wall time (medians over the runs), and beside them what a reader that fetches
each object by itself makes, as the Terraform provider does: two reads per channel (the
configuration's latest version and the deployment), and the time those take at the same rate.
Prints figures, asserts nothing (issue 12).

Reproduce from the repository root, in the project's virtualenv:

    python benchmarks/plan_webdeployments.py                 # 500 pairs, 3 runs
    python benchmarks/plan_webdeployments.py --pairs 2000 --runs 5
    python benchmarks/plan_webdeployments.py --edited-pct 5    # 5% with unpublished UI edits
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from reconciler.kinds.webdeployment_rules import add_marker
from reconciler.sandbox import SandboxApp, SandboxConfig, WebDeploymentKnobs, serve_in_thread
from reconciler.sandbox.webdeployments.flows import flow_object
from reconciler.sandbox.webdeployments.seeding import seed_pair

CREDENTIALS = ("cid-bench-wd", "sek-bench-wd-MARMOT")
OWNER = "reconciler"
RATE_PER_MINUTE = 300
CONFIGURATIONS = "/api/v2/webdeployments/configurations"
FLOWS = ("Sales Inbound Message", "Support Inbound Message")


def name_of(i: int) -> str:
    return f"Store {i:05d}"


def domains_of(i: int) -> list[str]:
    return [f"shop{i}.example.eu", f"www{i}.example.eu"]


def colour_of(i: int) -> str:
    return f"#{(i * 2654435761) % 0xFFFFFF:06X}"


def seed_org(app: SandboxApp, pairs: int) -> None:
    for i in range(pairs):
        description = add_marker(f"Chat of store {i}", OWNER)
        seed_pair(
            app,
            name_of(i),
            configuration={
                "description": description,
                "languages": ["en-us", "de"],
                "defaultLanguage": "en-us",
                "messenger": {"enabled": True, "styles": {"primaryColor": colour_of(i)}},
            },
            deployment={
                "description": description,
                "allowAllDomains": False,
                "allowedDomains": domains_of(i),
                "flow": {"id": flow_object(FLOWS[i % 2])["id"]},
            },
        )


def edit_drafts(app: SandboxApp, pairs: int, edited_pct: float) -> int:
    """Edit the draft of every ``100 / edited_pct``-th pair without publishing it (an admin UI
    edit): the listing cannot say what such a pair serves is still its latest version, so
    the plan reads its versions. Returns how many were edited."""
    if edited_pct <= 0:
        return 0
    step = max(1, round(100 / edited_pct))
    records = {
        r["draft"]["name"]: r for r in app.state.objects("webDeploymentConfiguration").values()
    }
    edited = 0
    for i in range(0, pairs, step):
        record = records[name_of(i)]
        draft = {
            k: v
            for k, v in record["draft"].items()
            if k in ("name", "description", "languages", "defaultLanguage", "messenger")
        }
        draft["messenger"] = {**draft["messenger"], "styles": {"primaryColor": "#000000"}}
        reply = app.direct("PUT", f"{CONFIGURATIONS}/{record['id']}/versions/draft", draft)
        if reply.status != 200:
            raise SystemExit(f"editing the draft of {name_of(i)!r} failed: {reply.payload}")
        edited += 1
    return edited


def write_specs(folder: Path, pairs: int) -> None:
    """One file per hundred specs, each matching its seeded pair (so the plan is empty)."""
    folder.mkdir(parents=True)
    for start in range(0, pairs, 100):
        documents = [
            "\n".join(
                [
                    "kind: webDeployment",
                    f"name: {name_of(i)}",
                    f"description: Chat of store {i}",
                    "configuration:",
                    "  languages: [en-us, de]",
                    "  defaultLanguage: en-us",
                    "  messenger:",
                    "    enabled: true",
                    f'    styles: {{primaryColor: "{colour_of(i)}"}}',
                    "deployment:",
                    f"  allowedDomains: [{', '.join(domains_of(i))}]",
                    f"  flow: {{name: {FLOWS[i % 2]}}}",
                    "",
                ]
            )
            for i in range(start, min(start + 100, pairs))
        ]
        (folder / f"stores-{start // 100:03d}.yaml").write_text(
            "---\n".join(documents), encoding="utf-8"
        )


def plan_once(app: SandboxApp, url: str, workdir: Path) -> tuple[float, Counter[str], str]:
    """(wall seconds, requests by endpoint, the plan's summary line) of one ``reconciler plan``."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GENESYS_", "RECONCILER_"))},
        "GENESYS_API_URL": url,
        "GENESYS_LOGIN_URL": url,
        "GENESYS_CLIENT_ID": CREDENTIALS[0],
        "GENESYS_CLIENT_SECRET": CREDENTIALS[1],
        "RECONCILER_RATE_PER_MINUTE": str(RATE_PER_MINUTE),
    }
    app.stats.reset()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "--detailed-exitcode", "--out", "artifacts"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode not in (0, 2):
        raise SystemExit(f"reconciler plan failed ({done.returncode}): {done.stderr.strip()}")
    summary = next((ln for ln in done.stdout.splitlines() if ln.startswith("Plan:")), "")
    return wall, Counter(app.stats.requests), summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--edited-pct",
        type=float,
        default=0.0,
        help="share of pairs with an unpublished draft edit (each costs one versions read)",
    )
    args = parser.parse_args()
    if args.pairs < 1 or args.runs < 1:
        parser.error("--pairs and --runs must be at least 1")

    config = SandboxConfig(
        credentials=CREDENTIALS,
        seed=7,
        rate_limit_per_minute=RATE_PER_MINUTE,
        webdeployments=WebDeploymentKnobs.instant(),
    )
    app = SandboxApp(config)
    seeding = time.perf_counter()
    seed_org(app, args.pairs)
    edited = edit_drafts(app, args.pairs, args.edited_pct)
    seeding = time.perf_counter() - seeding

    walls: list[float] = []
    totals: list[int] = []
    by_endpoint: list[Counter[str]] = []
    summary = ""
    with tempfile.TemporaryDirectory(prefix="bench-wd-") as tmp, serve_in_thread(app) as server:
        workdir = Path(tmp)
        write_specs(workdir / "channels", args.pairs)
        for _ in range(args.runs):
            wall, requests, summary = plan_once(app, server.url, workdir)
            walls.append(wall)
            by_endpoint.append(requests)
            totals.append(sum(requests.values()))

    median = statistics.median
    per_object = 2 * args.pairs
    per_object_seconds = per_object / RATE_PER_MINUTE * 60
    print(
        f"reconciler plan of {args.pairs} webDeployment specs against {args.pairs} live pairs "
        f"(sandbox on 127.0.0.1, {RATE_PER_MINUTE} requests/min per token)"
    )
    print(
        f"python {platform.python_version()} on {platform.machine()}, {args.runs} runs, medians; "
        f"seeding took {seeding:.1f} s"
    )
    print(f"plan: {summary.removeprefix('Plan: ')}")
    print(f"pairs with an unpublished draft edit: {edited}")
    print("requests by endpoint (median per run):")
    endpoints = sorted({key for run in by_endpoint for key in run})
    for key in endpoints:
        print(f"  {median(run[key] for run in by_endpoint):>6g}  {key}")
    print(f"  {median(totals):>6g}  total")
    # Issue 24: planning reads only listing pages (cursor or page-number listings, the
    # token aside); anything read by id is named here.
    by_id = sorted(key for key in endpoints if "{" in key)
    print(
        "reads only listing pages (issue 24): "
        + ("yes" if not by_id else "NO, also " + ", ".join(by_id))
    )
    print(f"wall time of 'reconciler plan' (whole process): {median(walls):.2f} s")
    print(
        f"per-object reader (two reads per channel, as Terraform): {per_object} requests, "
        f"{per_object_seconds:.0f} s at {RATE_PER_MINUTE}/min "
        f"({per_object / max(median(totals), 1):.0f}x the requests)"
    )
    print(
        f"reproduce: python benchmarks/plan_webdeployments.py --pairs {args.pairs} "
        f"--runs {args.runs} --edited-pct {args.edited_pct:g}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
