"""Kill soak: ``reconciler apply`` killed with SIGKILL at random moments under faults, rerun
until converged, then the three figures that must be zero, per kind.

Two scenarios, one per kind (``--kind``, both by default): channels (below), and web
deployments, where one action is several writes (a create: the configuration, its publish,
the deployment; an update that publishes: the draft, the publish, the deployment's move; a
rename; a prune: the deployment, then the configuration), so a kill between two of them is
the case that matters. For web deployments the sandbox's commits are read per write (each
configuration create, draft replace, publish, deployment create/update/delete, configuration
delete), and each must be named by an audit record: a committed step of an ``action`` line, or
of an ``action.recovered`` line (the next run settles each step intent a killed run left).

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

    python benchmarks/kill_soak.py [--kind channel|webDeployment|both] [--actions 300]
        [--pairs 40] [--kills 8] [--wd-kills 20] [--fault-rate 0.15] [--seed 1]

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
    WebDeploymentKnobs,
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

    kind: str = "channel"

    def render(self) -> str:
        planned = ", ".join(f"{n} {k}s" for k, n in self.actions.items())
        return "\n".join(
            [
                f"kill soak [{self.kind}]: {sum(self.actions.values())} actions ({planned}), "
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


# -- web deployments -------------------------------------------------------------------------

CONFIG_KIND = "webDeploymentConfiguration"
DEPLOYMENT_KIND = "webDeployment"
WD_EVENT = {
    "create": "channel.provisioned",
    "update": "channel.updated",
    "delete": "channel.deleted",
    "adopt": "channel.adopted",
}


def wd_spec_text(name: str, colour: str, renamed_from: str | None = None) -> str:
    lines = [
        "kind: webDeployment",
        f"name: {name}",
        *([f"renamedFrom: [{renamed_from}]"] if renamed_from else []),
        f"description: Chat for {name}",
        "configuration:",
        "  languages: [en-us]",
        "  defaultLanguage: en-us",
        f'  messenger: {{enabled: true, styles: {{primaryColor: "{colour}"}}}}',
        "deployment:",
        "  allowAllDomains: true",
        "  flow: {name: Sales Inbound Message}",
    ]
    return "\n".join(lines) + "\n"


@dataclass(slots=True)
class WdCommitLog:
    """Every write the sandbox committed to configurations and deployments, one entry per
    write: ``(step, id, version)``, from snapshots after each commit."""

    recording: bool = False
    configs: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    deployments: dict[str, str] = field(default_factory=dict)
    commits: list[tuple[str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, state: SandboxState) -> None:
        with self.lock:
            configs = {
                cid: (
                    str(record["draft"].get("dateModified")),
                    tuple(str(v["version"]) for v in record["versions"]),
                )
                for cid, record in state.objects(CONFIG_KIND).items()
            }
            deployments = {
                did: str(d.get("dateModified")) for did, d in state.objects(DEPLOYMENT_KIND).items()
            }
            if self.recording:
                self._diff(configs, deployments)
            self.configs, self.deployments = configs, deployments

    def _diff(
        self, configs: dict[str, tuple[str, tuple[str, ...]]], deployments: dict[str, str]
    ) -> None:
        for cid, (modified, versions) in configs.items():
            before = self.configs.get(cid)
            if before is None:
                self.commits.append(("configuration.create", cid, ""))
                before = (modified, ())
            elif before[0] != modified:
                self.commits.append(("configuration.draft", cid, ""))
            for version in versions:
                if version not in before[1]:
                    self.commits.append(("configuration.publish", cid, version))
        for cid in self.configs.keys() - configs.keys():
            self.commits.append(("configuration.delete", cid, ""))
        for did, modified in deployments.items():
            if did not in self.deployments:
                self.commits.append(("deployment.create", did, ""))
            elif self.deployments[did] != modified:
                self.commits.append(("deployment.update", did, ""))
        for did in self.deployments.keys() - deployments.keys():
            self.commits.append(("deployment.delete", did, ""))


def _step_key(step: dict[str, Any]) -> tuple[str, str, str]:
    name = str(step.get("step", ""))
    if name.startswith("configuration."):
        object_id = str(step.get("configurationId", ""))
    else:
        object_id = str(step.get("deploymentId", ""))
    version = str(step.get("version", "")) if name == "configuration.publish" else ""
    return (name, object_id, version)


def _write_wd_specs(folder: Path, specs: dict[str, tuple[str, str | None]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    for index, (name, (colour, former)) in enumerate(sorted(specs.items())):
        text = wd_spec_text(name, colour, former)
        (folder / f"w{index:04d}.yaml").write_text(text, encoding="utf-8")


def run_wd_kill_soak(
    workdir: Path,
    *,
    pairs: int = 40,
    kills: int = 20,
    fault_rate: float = 0.1,
    seed: int = 1,
    kill_window: float = 2.5,
    max_reruns: int = 8,
) -> KillReport:
    """The web deployment scenario in ``workdir``: ``pairs`` managed pairs made by a clean
    apply, then specs that create half as many again, update (and so publish) 30%, rename 15%
    and prune 20% of them, applied under ``kills`` SIGKILLs and faults."""
    started = time.monotonic()
    rng = random.Random(seed)
    existing = [f"Pair {i:03d}" for i in range(pairs)]
    order = existing[:]
    rng.shuffle(order)
    n_update, n_rename, n_prune = int(pairs * 0.3), int(pairs * 0.15), int(pairs * 0.2)
    updated = set(order[:n_update])
    renamed = order[n_update : n_update + n_rename]
    pruned = set(order[n_update + n_rename : n_update + n_rename + n_prune])
    final: dict[str, tuple[str, str | None]] = {}
    for name in existing:
        if name in pruned or name in renamed:
            continue
        final[name] = ("#112233" if name in updated else "#0D6EFD", None)
    for index, old in enumerate(renamed):
        final[f"Renamed {index:03d}"] = ("#0D6EFD", old)
    for index in range(pairs // 2):
        final[f"New {index:03d}"] = ("#445566", None)
    report = KillReport(
        actions={"create": pairs // 2, "update": n_update + n_rename, "delete": n_prune},
        kind="webDeployment",
    )
    folder = workdir / "channels"
    _write_wd_specs(folder, dict.fromkeys(existing, ("#0D6EFD", None)))
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
    commits = WdCommitLog()
    app = SandboxApp(
        SandboxConfig(
            credentials=(CLIENT_ID, CLIENT_SECRET),
            rate_limit_per_minute=0,
            latency_ms=10.0,
            seed=seed,
            webdeployments=WebDeploymentKnobs().scaled(0.01),
        ),
        SandboxState(),
        on_commit=commits,
    )
    receiver = Receiver(WEBHOOK_SECRET, transient=10, outage=set())
    audit = workdir / "audit.jsonl"
    with serve_in_thread(app) as server, serve_receiver(receiver) as hook_url:
        env = _child_env(server.url, hook_url)
        seeded = _reconciler(["apply", "--yes", "channels"], workdir, env).wait(timeout=300)
        if seeded != 0:
            report.problems.append(f"the seeding apply exited {seeded}")
        commits(app.state)
        commits.recording = True
        app.set_faults(faults)  # from now on: the seeding apply ran without faults
        _write_wd_specs(folder, final)
        for _ in range(kills):
            child = _reconciler(APPLY, workdir, env)
            time.sleep(rng.uniform(0.1, kill_window))
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
    _measure_wd(report, app, commits, receiver, audit, set(final))
    report.seconds = time.monotonic() - started
    return report


def _measure_wd(
    report: KillReport,
    app: SandboxApp,
    commits: WdCommitLog,
    receiver: Receiver,
    audit: Path,
    wanted: set[str],
) -> None:
    deployments = app.state.objects(DEPLOYMENT_KIND).values()
    configs = app.state.objects(CONFIG_KIND).values()
    names = Counter(str(d["name"]).casefold() for d in deployments)
    config_names = Counter(str(c["draft"]["name"]).casefold() for c in configs)
    report.duplicates = sum(n - 1 for n in names.values() if n > 1) + sum(
        n - 1 for n in config_names.values() if n > 1
    )
    if set(names) != {n.casefold() for n in wanted} or set(config_names) != set(names):
        report.problems.append("the org does not hold exactly the specified pairs")
    audited: set[tuple[str, str, str]] = set()
    successes: list[tuple[str, str]] = []
    for line in _records(audit):
        record = line.get("record") or {}
        kind = line.get("kind")
        if kind == "action":
            for step in record.get("steps") or []:
                audited.add(_step_key(step))
        elif kind == "action.recovered":
            report.recovered += 1
            for step in record.get("steps") or []:
                if step.get("committed"):
                    audited.add(_step_key(step))
        else:
            continue
        if record.get("status") == "succeeded" and record.get("channel_id"):
            successes.append((str(record.get("kind")), str(record["channel_id"])))
    report.commits = len(commits.commits)
    for step, object_id, version in commits.commits:
        if (step, object_id, version) not in audited:
            report.unaudited += 1
            what = f"{step} of {object_id}" + (f" (version {version})" if version else "")
            report.problems.append(f"committed {what} not audited")
    accepted: dict[tuple[str, str], set[str]] = defaultdict(set)
    for delivery in receiver.deliveries:
        if not (delivery.verified and 200 <= delivery.status < 300):
            continue
        event = json.loads(delivery.body)
        report.events_accepted += 1
        cid = event.get("data", {}).get("channelId")
        if cid:
            accepted[(event["type"], cid)].add(delivery.webhook_id)
    for op, cid in successes:
        if not accepted.get((WD_EVENT.get(op, ""), cid)):
            report.undelivered += 1
            report.problems.append(f"{op} of {cid}: no event accepted")
    report.ids_per_change_max = max((len(ids) for ids in accepted.values()), default=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=("channel", "webDeployment", "both"), default="both")
    parser.add_argument("--actions", type=int, default=300, help="channel actions")
    parser.add_argument("--pairs", type=int, default=40, help="web deployments at the start")
    parser.add_argument("--kills", type=int, default=8, help="SIGKILLs of the channel soak")
    parser.add_argument("--wd-kills", type=int, default=20, help="of the web deployment soak")
    parser.add_argument("--fault-rate", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work folders")
    args = parser.parse_args(argv)
    reports: list[KillReport] = []
    if args.kind in ("channel", "both"):
        workdir = Path(tempfile.mkdtemp(prefix="kill-soak-"))
        reports.append(
            run_kill_soak(
                workdir,
                actions=args.actions,
                kills=args.kills,
                fault_rate=args.fault_rate,
                seed=args.seed,
            )
        )
        print(reports[-1].render())
        if args.keep:
            print(f"work folder: {workdir}")
    if args.kind in ("webDeployment", "both"):
        workdir = Path(tempfile.mkdtemp(prefix="kill-soak-wd-"))
        reports.append(
            run_wd_kill_soak(
                workdir,
                pairs=args.pairs,
                kills=args.wd_kills,
                fault_rate=args.fault_rate,
                seed=args.seed,
            )
        )
        print(reports[-1].render())
        if args.keep:
            print(f"work folder: {workdir}")
    print(
        "per kind: "
        + "; ".join(
            f"{r.kind}: {r.duplicates} duplicates, {r.unaudited} unaudited writes, "
            f"{r.undelivered} lost events"
            for r in reports
        )
    )
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
