"""Benchmark: the requests a plan of N web deployments plus P supported-content profiles makes
(deployments naming the profiles by name), for several N, to show that they do not grow with N
beyond the listing pages.

For each N: a fresh emulator on 127.0.0.1 (the server of ``reconciler sandbox serve``, in a
thread) at a real org's rate limit (300 requests a minute per token); ``reconciler apply``
creates the P profiles (so the audit-log ledger knows them as this owner's), then N managed
pairs are seeded directly, each deployment using profile ``i % P``, and N matching specs are
written naming their profile by name. ``reconciler plan`` is then run as its own process; the
script prints its requests by endpoint, their total, the plan's summary and the wall time.
Prints figures, asserts nothing.

Reproduce from the repository root, in the project's virtualenv:

    python benchmarks/plan_messaging.py                         # N = 100 and 500, P = 50
    python benchmarks/plan_messaging.py --pairs 500 --pairs 1000 --profiles 50
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from reconciler.kinds.webdeployment_rules import add_marker
from reconciler.sandbox import SandboxApp, SandboxConfig, WebDeploymentKnobs, serve_in_thread
from reconciler.sandbox.messaging_knobs import MessagingKnobs
from reconciler.sandbox.webdeployments.flows import flow_object
from reconciler.sandbox.webdeployments.seeding import seed_pair

CREDENTIALS = ("cid-bench-msg", "sek-bench-msg-BADGER")
OWNER = "reconciler"
RATE_PER_MINUTE = 300
FLOW = "Sales Inbound Message"


def profile_name(j: int) -> str:
    return f"Profile {j:03d}"


def env_for(url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GENESYS_", "RECONCILER_"))},
        "GENESYS_API_URL": url,
        "GENESYS_LOGIN_URL": url,
        "GENESYS_CLIENT_ID": CREDENTIALS[0],
        "GENESYS_CLIENT_SECRET": CREDENTIALS[1],
        "RECONCILER_RATE_PER_MINUTE": str(RATE_PER_MINUTE),
    }


def reconciler(workdir: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=workdir,
        env=env_for(url),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode not in (0, 2):
        raise SystemExit(f"reconciler {' '.join(args)} failed: {done.stderr.strip()}")
    return done


def write_profiles(folder: Path, profiles: int) -> None:
    documents = [
        f"kind: supportedContent\nname: {profile_name(j)}\nmediaTypes:\n  allow:\n"
        f"    inbound: [image/*, text/x-{j}]\n    outbound: [image/*]\n"
        for j in range(profiles)
    ]
    (folder / "profiles.yaml").write_text("---\n".join(documents), encoding="utf-8")


def seed_and_write_pairs(app: SandboxApp, folder: Path, pairs: int, profiles: int) -> None:
    ids = {p["name"]: p["id"] for p in app.state.objects("supportedContent").values()}
    documents = []
    for i in range(pairs):
        name, description = f"Store {i:05d}", f"Chat of store {i}"
        seed_pair(
            app,
            name,
            configuration={"description": add_marker(description, OWNER)},
            deployment={
                "description": add_marker(description, OWNER),
                "allowAllDomains": False,
                "allowedDomains": [f"shop{i}.example.eu"],
                "flow": {"id": flow_object(FLOW)["id"]},
                "supportedContent": {"id": ids[profile_name(i % profiles)]},
            },
        )
        documents.append(
            f"kind: webDeployment\nname: {name}\ndescription: {description}\ndeployment:\n"
            f"  allowedDomains: [shop{i}.example.eu]\n  flow: {{name: {FLOW}}}\n"
            f"  supportedContent: {{name: {profile_name(i % profiles)}}}\n"
        )
    (folder / "stores.yaml").write_text("---\n".join(documents), encoding="utf-8")


def one(pairs: int, profiles: int) -> tuple[Counter[str], str, float]:
    config = SandboxConfig(
        credentials=CREDENTIALS,
        seed=7,
        rate_limit_per_minute=RATE_PER_MINUTE,
        webdeployments=WebDeploymentKnobs.instant(),
        messaging=MessagingKnobs(max_supported_content=profiles + 10),
    )
    app = SandboxApp(config)
    with tempfile.TemporaryDirectory(prefix="bench-msg-") as tmp, serve_in_thread(app) as server:
        workdir = Path(tmp)
        folder = workdir / "channels"
        folder.mkdir()
        write_profiles(folder, profiles)
        reconciler(workdir, server.url, "apply", "--yes")
        seed_and_write_pairs(app, folder, pairs, profiles)
        app.stats.reset()
        started = time.perf_counter()
        done = reconciler(workdir, server.url, "plan", "--detailed-exitcode")
        wall = time.perf_counter() - started
        summary = next((ln for ln in done.stdout.splitlines() if ln.startswith("Plan:")), "")
        return Counter(app.stats.requests), summary, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, action="append")
    parser.add_argument("--profiles", type=int, default=50)
    args = parser.parse_args()
    sizes = args.pairs or [100, 500]
    if min(sizes) < 1 or args.profiles < 1:
        parser.error("--pairs and --profiles must be at least 1")
    for pairs in sizes:
        requests, summary, wall = one(pairs, args.profiles)
        api = {k: v for k, v in requests.items() if "/oauth/" not in k}
        print(f"N = {pairs} web deployments, P = {args.profiles} profiles")
        for key, count in sorted(api.items()):
            print(f"  {count:6d}  {key}")
        print(f"  {sum(api.values()):6d}  API requests in all; wall {wall:.1f}s")
        print(f"  {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
