"""Kill soak: ``reconciler apply`` killed with SIGKILL at random moments under faults, rerun
until converged, then the three figures that must be zero.

The org (the sandbox over a real socket on 127.0.0.1, with injected 5xx, 429, writes committed
and their connection dropped, and slow answers) starts with managed channels; the specs ask
for creates, updates and deletes (``--prune``), 300 actions by default. ``apply`` runs as a
subprocess and is SIGKILLed at a seeded random moment, ``--kills`` times; then it is rerun
without kills until it exits 0 (at most ``--max-reruns`` times), and ``webhooks redeliver``
flushes what the last run left in the outbox. The sandbox records every write it commits
(``on_commit``), so the figures are measured against what really happened:

- duplicates: channel names held more than once at the end;
- committed writes without an audit line: a create, update (at its revision) or delete the
  sandbox committed that no ``action`` or ``action.recovered`` success in the audit log names;
- events never delivered: an audited success with no ``channel.*`` event accepted by the
  receiver for that channel.

    python benchmarks/kill_soak.py [--actions 300] [--kills 8] [--fault-rate 0.15] [--seed 1]

Exit status 0 when all three are 0, the org converged and the audit log verifies.
``run_kill_soak`` is what ``tests/reliability/test_kill_soak.py`` calls at a small size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from soak import (
    CLIENT_ID,
    CLIENT_SECRET,
    WEBHOOK_SECRET,
    Receiver,
    Scenario,
    SoakConfig,
    body,
    serve_receiver,
    spec_text,
)

from reconciler.audit import verify_file
from reconciler.sandbox import (
    FaultPlan,
    SandboxApp,
    SandboxConfig,
    SandboxState,
    serve_in_thread,
)

APPLY = ["apply", "--yes", "--prune", "--force", "--audit-log", "audit.jsonl"]
APPLY += ["--outbox", "outbox.jsonl", "--parallelism", "4", "channels"]


@dataclass(slots=True)
class CommitLog:
    """Every write the sandbox committed, from snapshots of its channels after each commit."""

    recording: bool = False
    before: dict[str, str] = field(default_factory=dict)
    commits: list[tuple[str, str, str]] = field(default_factory=list)  # (op, id, version)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self, state: SandboxState) -> dict[str, str]:
        return {cid: str(ch.get("version")) for cid, ch in state.channels.items()}

    def __call__(self, state: SandboxState) -> None:
        with self.lock:
            now = self.snapshot(state)
            if self.recording:
                for cid, version in now.items():
                    if cid not in self.before:
                        self.commits.append(("create", cid, version))
                    elif self.before[cid] != version:
                        self.commits.append(("update", cid, version))
                for cid, version in self.before.items():
                    if cid not in now:
                        self.commits.append(("delete", cid, version))
            self.before = now


@dataclass(slots=True, kw_only=True)
class KillReport:
    actions: dict[str, int]
    kills: int = 0
    reruns: int = 0
    converged: bool = False
    audit_intact: bool = False
    duplicates: int = 0
    unaudited: int = 0
    undelivered: int = 0
    recovered: int = 0
    commits: int = 0
    events_accepted: int = 0
    ids_per_change_max: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.converged
            and self.audit_intact
            and self.duplicates == 0
            and self.unaudited == 0
            and self.undelivered == 0
        )

    def render(self) -> str:
        planned = ", ".join(f"{n} {k}s" for k, n in self.actions.items())
        return "\n".join(
            [
                f"kill soak: {sum(self.actions.values())} actions ({planned}), "
                f"{self.kills} SIGKILLs, {self.reruns} rerun(s) to converge, {self.seconds:.1f}s",
                f"duplicates: {self.duplicates}",
                f"committed writes without an audit line: {self.unaudited} "
                f"(of {self.commits} committed; {self.recovered} recorded by recovery)",
                f"events never delivered: {self.undelivered} "
                f"({self.events_accepted} accepted; at most {self.ids_per_change_max} "
                "webhook-id per change)",
                f"converged: {self.converged}; audit log intact: {self.audit_intact}",
                *(f"problem: {p}" for p in self.problems[:20]),
            ]
        )


def _child_env(api_url: str, hook_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GENESYS_", "RECONCILER_", "WEBHOOK_"))
    }
    env.update(
        GENESYS_CLIENT_ID=CLIENT_ID,
        GENESYS_CLIENT_SECRET=CLIENT_SECRET,
        GENESYS_API_URL=api_url,
        GENESYS_LOGIN_URL=api_url,
        RECONCILER_RATE_PER_MINUTE="60000",
        RECONCILER_HTTP_TIMEOUT="1",
        WEBHOOK_URL=hook_url,
        WEBHOOK_SECRET=WEBHOOK_SECRET,
        PYTHONUNBUFFERED="1",
    )
    return env


def _reconciler(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _records(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_bytes().split(b"\n"):
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def run_kill_soak(
    workdir: Path,
    *,
    actions: int = 300,
    kills: int = 8,
    fault_rate: float = 0.15,
    seed: int = 1,
    latency_ms: float = 30.0,
    kill_window: float = 4.0,
    max_reruns: int = 8,
) -> KillReport:
    """The scenario in ``workdir``; a broken figure is a number in the report, never a raise."""
    started = time.monotonic()
    # 50% of the final specs exist at first, 60% of those change, 20% more are pruned:
    # creates + updates + deletes = 0.5 + 0.3 + 0.2 of the spec count.
    config = SoakConfig(
        channels=actions, existing_share=0.5, update_share=0.6, delete_share=0.2, seed=seed
    )
    scenario = Scenario.build(config)
    report = KillReport(actions=scenario.expected_actions())
    folder = workdir / "channels"
    folder.mkdir(parents=True, exist_ok=True)
    for index, (name, queue) in enumerate(sorted(scenario.desired.items())):
        (folder / f"c{index:05d}.yaml").write_text(spec_text(name, queue), encoding="utf-8")
    rate = fault_rate
    faults = FaultPlan(
        seed=seed,
        error_5xx=rate * 0.4,
        rate_limit_429=rate * 0.2,
        drop_after_commit=rate * 0.3,
        slow=rate * 0.1,
        slow_seconds=1.5,
        retry_after_seconds=0,
    )
    commits = CommitLog()
    app = SandboxApp(
        SandboxConfig(
            credentials=(CLIENT_ID, CLIENT_SECRET),
            rate_limit_per_minute=0,
            latency_ms=latency_ms,
            faults=faults,
            seed=seed,
        ),
        SandboxState(),
        on_commit=commits,
    )
    app.seed_channels(body(n, q, marker=True) for n, q in scenario.initial.items())
    commits(app.state)
    commits.recording = True
    rng = random.Random(seed)
    receiver = Receiver(WEBHOOK_SECRET, transient=20, outage=set())
    audit = workdir / "audit.jsonl"
    with serve_in_thread(app) as server, serve_receiver(receiver) as hook_url:
        env = _child_env(server.url, hook_url)
        for _ in range(kills):
            child = _reconciler(APPLY, workdir, env)
            time.sleep(rng.uniform(0.2, kill_window))
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                report.kills += 1
            child.wait(timeout=60)
        for _ in range(max_reruns):
            report.reruns += 1
            if _reconciler(APPLY, workdir, env).wait(timeout=600) == 0:
                break
        flush = ["webhooks", "redeliver", "--outbox", "outbox.jsonl"]
        _reconciler(flush, workdir, env).wait(timeout=300)
        plan = ["plan", "--prune", "--detailed-exitcode", "channels"]
        report.converged = _reconciler(plan, workdir, env).wait(timeout=300) == 0
    try:
        verify_file(audit)
        report.audit_intact = True
    except Exception as exc:
        report.problems.append(f"audit verify: {exc}")
    _measure(report, app, commits, receiver, audit)
    report.seconds = time.monotonic() - started
    return report


def _measure(
    report: KillReport, app: SandboxApp, commits: CommitLog, receiver: Receiver, audit: Path
) -> None:
    names = Counter(str(ch["name"]).casefold() for ch in app.state.channels.values())
    report.duplicates = sum(n - 1 for n in names.values() if n > 1)
    audited: dict[str, set[tuple[str, str]]] = defaultdict(set)  # op -> {(id, version)}
    successes: list[tuple[str, str]] = []  # (op, id)
    for line in _records(audit):
        record = line.get("record") or {}
        if line.get("kind") not in ("action", "action.recovered"):
            continue
        if record.get("status") != "succeeded" or not record.get("channel_id"):
            continue
        op, cid = str(record.get("kind")), str(record["channel_id"])
        audited[op].add((cid, str(record.get("version"))))
        audited[op + ":id"].add((cid, ""))
        successes.append((op, cid))
        report.recovered += line.get("kind") == "action.recovered"
    report.commits = len(commits.commits)
    for op, cid, version in commits.commits:
        if op == "update":
            found = (cid, version) in audited["update"] or (cid, version) in audited["adopt"]
        else:
            found = (cid, "") in audited[op + ":id"]
        if not found:
            report.unaudited += 1
            report.problems.append(f"committed {op} of {cid} (version {version}) not audited")
    accepted: dict[tuple[str, str], set[str]] = defaultdict(set)
    for delivery in receiver.deliveries:
        if not (delivery.verified and 200 <= delivery.status < 300):
            continue
        event = json.loads(delivery.body)
        report.events_accepted += 1
        cid = event.get("data", {}).get("channelId")
        if cid:
            accepted[(event["type"], cid)].add(delivery.webhook_id)
    event_type = {
        "create": "channel.provisioned",
        "update": "channel.updated",
        "delete": "channel.deleted",
        "adopt": "channel.adopted",
    }
    for op, cid in successes:
        if not accepted.get((event_type.get(op, ""), cid)):
            report.undelivered += 1
            report.problems.append(f"{op} of {cid}: no event accepted")
    report.ids_per_change_max = max((len(ids) for ids in accepted.values()), default=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", type=int, default=300)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--fault-rate", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="kill-soak-"))
    report = run_kill_soak(
        workdir, actions=args.actions, kills=args.kills, fault_rate=args.fault_rate, seed=args.seed
    )
    print(report.render())
    if args.keep:
        print(f"work folder: {workdir}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
