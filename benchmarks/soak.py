"""Soak: 1,000 channels, creates, updates and deletes under 20% injected faults, then proof.

The org starts with managed channels seeded directly into the sandbox; the specs then keep
some unchanged, change some (updates), add new ones (creates) and leave some out (deletes
with ``--prune``). ``reconciler apply`` runs in this process against the sandbox served over a
real socket on 127.0.0.1 (``serve_in_thread``) with a fault plan: 503/502/504, spurious 429,
writes committed and their connection dropped, and responses slower than the client's
timeout (``RECONCILER_HTTP_TIMEOUT``). Webhooks go to a receiver on 127.0.0.1 that verifies
every signature with ``standardwebhooks``, answers 503 to some deliveries (the sink retries)
and refuses every event of a few channels until the end (they stay in the outbox until
``reconciler webhooks redeliver``).

One apply may end with failures under faults (retries exhausted); the promise is convergence,
so apply is rerun, at most ``max_runs`` times, until every action succeeds. Then:

- the final live state equals the specs (``plan --prune --detailed-exitcode`` says nothing to
  do, and a direct comparison of every stored body with the body expected from its spec);
- no channel name is held twice;
- every run audited each executed action exactly once, and the audit log verifies;
- every webhook event was delivered at least once, always under one ``webhook-id`` with one
  body;
- the next plan is all noop.

    python benchmarks/soak.py [--channels 1000] [--fault-rate 0.2] [--seed 1] [--runs 1]

Exit status 0 when every invariant holds, 1 otherwise. ``run_soak`` is what the test suite
calls at a small size (tests/reliability/test_soak.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from reconciler.audit import verify_file
from reconciler.cli import run
from reconciler.kinds.channel import MANAGED_BY_KEY, SERVER_FIELDS
from reconciler.sandbox import FaultPlan, SandboxApp, SandboxConfig, SandboxState, serve_in_thread

CLIENT_ID = "soak-client"
CLIENT_SECRET = "soak-secret-not-real"
WEBHOOK_SECRET = "whsec_c29hay1zb2FrLXNvYWstc29hay1zb2FrLXNvYWstc29haw=="
OWNER = "reconciler"
ENV_KEYS = (
    "GENESYS_ENVIRONMENT",
    "GENESYS_CLIENT_ID",
    "GENESYS_CLIENT_SECRET",
    "GENESYS_API_URL",
    "GENESYS_LOGIN_URL",
    "RECONCILER_HTTP_TIMEOUT",
    "RECONCILER_RATE_PER_MINUTE",
    "RECONCILER_MAX_ATTEMPTS",
    "RECONCILER_OWNER",
    "RECONCILER_SANDBOX",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SoakConfig:
    """The scenario. Shares of ``channels`` (the final spec count): ``existing`` of them are
    in the org at the start, of which ``update_share`` change; ``delete_share`` more channels
    exist only in the org and are pruned."""

    channels: int = 1000
    existing_share: float = 0.6
    update_share: float = 0.3
    delete_share: float = 0.1
    fault_rate: float = 0.2
    seed: int = 1
    timeout_seconds: float = 1.0
    slow_seconds: float = 1.5
    retry_after_seconds: int = 1
    rate_per_minute: int = 60000
    parallelism: int = 8
    max_runs: int = 5
    webhook_transient_failures: int = 20
    webhook_outage_channels: int = 10

    def faults(self) -> FaultPlan:
        """The fault rate split over the kinds: 5xx 40%, 429 25%, drop 25%, slow 10%."""
        rate = self.fault_rate
        return FaultPlan(
            seed=self.seed,
            error_5xx=rate * 0.40,
            rate_limit_429=rate * 0.25,
            drop_after_commit=rate * 0.25,
            slow=rate * 0.10,
            slow_seconds=self.slow_seconds,
            retry_after_seconds=self.retry_after_seconds,
        )


@dataclass(slots=True, kw_only=True)
class SoakReport:
    """Figures and invariant checks of one soak; ``ok`` when every check held."""

    config: SoakConfig
    planned: dict[str, int] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    webhooks: dict[str, int] = field(default_factory=dict)
    apply_seconds: float = 0.0
    total_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(self.checks.values())

    def check(self, name: str, held: bool, problem: str = "") -> None:
        self.checks[name] = held
        if not held:
            self.problems.append(f"{name}: {problem}" if problem else name)


# -- the scenario --------------------------------------------------------------------------


def body(name: str, queue: str, *, marker: bool) -> dict[str, Any]:
    """A channel body as the spec states it, with the ownership marker when ``marker``."""
    widget: dict[str, Any] = {"widgetId": f"w-{name[-4:]}", "theme": "default"}
    if marker:
        widget["customAttributes"] = {MANAGED_BY_KEY: OWNER}
    return {
        "name": name,
        "description": f"soak channel {name}",
        "webMessagingWidgetConfiguration": widget,
        "securityPolicy": {
            "enabled": True,
            "allowedOrigins": ["https://www.example.com"],
            "requireConsent": True,
        },
        "routingConfiguration": {"queueId": queue},
    }


def spec_text(name: str, queue: str) -> str:
    return json.dumps(body(name, queue, marker=False)) + "\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """Names and queues: the org at the start, and the specs (the desired end state)."""

    initial: dict[str, str]
    desired: dict[str, str]

    @classmethod
    def build(cls, config: SoakConfig) -> Scenario:
        count = config.channels
        existing = round(count * config.existing_share)
        updated = round(existing * config.update_share)
        deleted = round(count * config.delete_share)
        names = [f"Soak {i:05d}" for i in range(count + deleted)]
        rng = random.Random(config.seed)
        rng.shuffle(names)
        kept, gone = names[:count], names[count:]
        initial = dict.fromkeys(kept[:existing], "q-old")
        initial.update(dict.fromkeys(gone, "q-old"))
        desired = dict.fromkeys(kept[:existing], "q-old")
        desired.update(dict.fromkeys(kept[:updated], "q-new"))
        desired.update(dict.fromkeys(kept[existing:], "q-new"))
        return cls(initial=initial, desired=desired)

    def expected_actions(self) -> dict[str, int]:
        return {
            "create": sum(1 for n in self.desired if n not in self.initial),
            "update": sum(
                1 for n, q in self.desired.items() if n in self.initial and self.initial[n] != q
            ),
            "delete": sum(1 for n in self.initial if n not in self.desired),
        }


# -- the webhook receiver ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    webhook_id: str
    body: bytes
    verified: bool
    status: int


class Receiver:
    """Verifies every delivery; 503 to the first ``transient`` ones; 410 (not retried, so
    the event stays pending) to every event about an ``outage`` channel while ``outage_on``."""

    def __init__(self, secret: str, *, transient: int, outage: set[str]) -> None:
        self._webhook = Webhook(secret)
        self.transient = transient
        self.outage = outage
        self.outage_on = True
        self.deliveries: list[Delivery] = []
        self.lock = threading.Lock()

    def handle(self, headers: dict[str, str], payload: bytes) -> int:
        try:
            self._webhook.verify(payload, headers)
            verified = True
        except WebhookVerificationError:
            verified = False
        try:
            channel = json.loads(payload).get("data", {}).get("channelName")
        except (ValueError, AttributeError):
            channel = None
        with self.lock:
            if not verified:
                status = 401
            elif self.outage_on and channel in self.outage:
                status = 410
            elif self.transient > 0:
                self.transient -= 1
                status = 503
            else:
                status = 204
            self.deliveries.append(
                Delivery(headers.get("webhook-id", ""), payload, verified, status)
            )
        return status


class _ReceiverServer(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True


@contextlib.contextmanager
def serve_receiver(receiver: Receiver) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            payload = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = receiver.handle({k.lower(): v for k, v in self.headers.items()}, payload)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = _ReceiverServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# -- running -------------------------------------------------------------------------------


@contextlib.contextmanager
def environment(values: dict[str, str], cwd: Path) -> Iterator[None]:
    """Set exactly ``values`` among ENV_KEYS and chdir to ``cwd``; restore both after."""
    saved = {key: os.environ.get(key) for key in ENV_KEYS}
    old_cwd = Path.cwd()
    for key in ENV_KEYS:
        os.environ.pop(key, None)
    os.environ.update(values)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _quiet_run(args: list[str]) -> int:
    """The CLI in this process, its output kept out of the figures."""
    with (
        open(os.devnull, "w") as sink,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        return run(args)


def run_soak(config: SoakConfig, workdir: Path) -> SoakReport:
    """Run the scenario in ``workdir`` (files stay there for inspection); never raises for a
    broken invariant: it is a failed check in the report."""
    report = SoakReport(config=config)
    scenario = Scenario.build(config)
    report.planned = scenario.expected_actions()
    started = time.monotonic()
    folder = workdir / "channels"
    folder.mkdir(parents=True, exist_ok=True)
    for index, (name, queue) in enumerate(sorted(scenario.desired.items())):
        (folder / f"c{index:05d}.yaml").write_text(spec_text(name, queue), encoding="utf-8")
    state = SandboxState()
    seeder = SandboxApp(SandboxConfig(rate_limit_per_minute=0), state)
    seeder.seed_channels(body(n, q, marker=True) for n, q in sorted(scenario.initial.items()))
    app = SandboxApp(
        SandboxConfig(
            credentials=(CLIENT_ID, CLIENT_SECRET),
            rate_limit_per_minute=config.rate_per_minute,
            faults=config.faults(),
            seed=config.seed,
        ),
        state,
    )
    changing = sorted(n for n, q in scenario.desired.items() if scenario.initial.get(n) != q)
    pick = min(config.webhook_outage_channels, len(changing))
    outage = set(random.Random(config.seed + 1).sample(changing, k=pick))
    receiver = Receiver(WEBHOOK_SECRET, transient=config.webhook_transient_failures, outage=outage)
    audit_path = workdir / "audit.jsonl"
    outbox_path = workdir / "outbox.jsonl"
    with serve_in_thread(app) as server, serve_receiver(receiver) as hook_url:
        values = {
            "GENESYS_CLIENT_ID": CLIENT_ID,
            "GENESYS_CLIENT_SECRET": CLIENT_SECRET,
            "GENESYS_API_URL": server.url,
            "GENESYS_LOGIN_URL": server.url,
            "RECONCILER_HTTP_TIMEOUT": str(config.timeout_seconds),
            "RECONCILER_RATE_PER_MINUTE": str(config.rate_per_minute),
            "WEBHOOK_URL": hook_url,
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        with environment(values, workdir):
            apply_started = time.monotonic()
            _apply_until_converged(config, report, audit_path, outbox_path)
            report.apply_seconds = time.monotonic() - apply_started
            report.faults = dict(sorted(app.stats.faults.items()))
            report.statuses = {str(k): v for k, v in sorted(app.stats.statuses.items())}
            report.requests = app.stats.total
            receiver.outage_on = False
            redeliver = _quiet_run(["webhooks", "redeliver", "--outbox", str(outbox_path)])
            report.check("webhooks redeliver exits 0", redeliver == 0, f"exit {redeliver}")
            plan_code = _quiet_run(
                ["plan", "--prune", "--detailed-exitcode", "--out", "final-plan", "channels"]
            )
        _check_state(report, scenario, app)
        _check_plan(report, workdir / "final-plan" / "plan.json", plan_code)
    _check_audit(report, audit_path)
    _check_webhooks(report, receiver, audit_path)
    report.total_seconds = time.monotonic() - started
    return report


def _apply_until_converged(
    config: SoakConfig, report: SoakReport, audit_path: Path, outbox_path: Path
) -> None:
    for number in range(1, config.max_runs + 1):
        out = Path(f"run-{number}")
        began = time.monotonic()
        code = _quiet_run(
            [
                "apply",
                "--yes",
                "--prune",
                "--force",
                "--parallelism",
                str(config.parallelism),
                "--audit-log",
                str(audit_path),
                "--outbox",
                str(outbox_path),
                "--out",
                str(out),
                "channels",
            ]
        )
        seconds = time.monotonic() - began
        try:
            document = json.loads((out / "apply.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            document = {}
        report.runs.append(
            {
                "run": number,
                "exit": code,
                "seconds": round(seconds, 2),
                "run_id": document.get("run_id", ""),
                "actions": [
                    (a["kind"], a["name"], a["status"]) for a in document.get("actions", [])
                ],
                "attempted": document.get("attempted", 0),
                "succeeded": document.get("succeeded", 0),
                "failed": document.get("failed", 0),
            }
        )
        if code == 0:
            break
    last = report.runs[-1]["exit"] if report.runs else None
    report.check(
        f"apply converged within {config.max_runs} runs",
        last == 0,
        f"last exit {last} after {len(report.runs)} runs",
    )
    first = Counter(kind for kind, _, _ in report.runs[0]["actions"]) if report.runs else {}
    report.check(
        "the first run planned the expected creates, updates and deletes",
        dict(first) == {k: v for k, v in report.planned.items() if v},
        f"planned {dict(first)}, expected {report.planned}",
    )


def _check_state(report: SoakReport, scenario: Scenario, app: SandboxApp) -> None:
    stored = list(app.state.channels.values())
    keys = Counter(str(c["name"]).casefold() for c in stored)
    doubles = sorted(k for k, n in keys.items() if n > 1)
    report.check("no duplicate channel", not doubles, f"held twice: {doubles[:5]}")
    by_name = {str(c["name"]): c for c in stored}
    missing = sorted(set(scenario.desired) - set(by_name))
    extra = sorted(set(by_name) - set(scenario.desired))
    wrong = sorted(
        name
        for name, queue in scenario.desired.items()
        if name in by_name
        and {k: v for k, v in by_name[name].items() if k not in SERVER_FIELDS}
        != body(name, queue, marker=True)
    )
    report.check(
        "live state equals the specs (direct comparison)",
        not (missing or extra or wrong),
        f"missing {missing[:5]}, extra {extra[:5]}, different {wrong[:5]}",
    )


def _check_plan(report: SoakReport, plan_path: Path, code: int) -> None:
    try:
        actions = json.loads(plan_path.read_text(encoding="utf-8")).get("actions", [])
    except (OSError, ValueError):
        actions = None
    kinds = Counter(a.get("action") for a in actions or [])
    report.check(
        "the next plan is all noop",
        code == 0 and actions is not None and set(kinds) <= {"noop"},
        f"plan exit {code}, kinds {dict(kinds)}",
    )


def _check_audit(report: SoakReport, audit_path: Path) -> None:
    try:
        verified = verify_file(audit_path)
        intact, why = verified.partial_line is None, "a partial last line"
    except Exception as exc:  # any failure is a finding, not a crash of the benchmark
        intact, why = False, str(exc)
    report.check("the audit log verifies", intact, why)
    code = _quiet_run(["audit", "verify", str(audit_path)])
    report.check("reconciler audit verify exits 0", code == 0, f"exit {code}")
    records = _records(audit_path)
    for entry in report.runs:
        lines = [
            (r["record"]["kind"], r["record"]["name"], r["record"]["status"])
            for r in records
            if r.get("kind") == "action" and r.get("runId") == entry["run_id"]
        ]
        report.check(
            f"run {entry['run']}: every executed action audited exactly once",
            bool(entry["run_id"]) and Counter(lines) == Counter(entry["actions"]),
            f"{len(lines)} action lines for {len(entry['actions'])} actions",
        )


def _records(path: Path) -> list[dict[str, Any]]:
    records = []
    with contextlib.suppress(OSError):
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                records.append(json.loads(line))
    return records


def _check_webhooks(report: SoakReport, receiver: Receiver, audit_path: Path) -> None:
    emitted = {
        r["record"]["webhookId"]
        for r in _records(audit_path)
        if r.get("kind") == "webhook" and isinstance(r.get("record"), dict)
    }
    bodies: dict[str, set[bytes]] = defaultdict(set)
    accepted: set[str] = set()
    ids_per_event: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for delivery in receiver.deliveries:
        bodies[delivery.webhook_id].add(delivery.body)
        if 200 <= delivery.status < 300:
            accepted.add(delivery.webhook_id)
        event = json.loads(delivery.body)
        data = event.get("data", {})
        if "channelName" in data:
            ids_per_event[(data.get("runId", ""), data["channelName"], event["type"])].add(
                delivery.webhook_id
            )
    report.webhooks = {
        "events": len(emitted),
        "deliveries": len(receiver.deliveries),
        "refused_503": sum(1 for d in receiver.deliveries if d.status == 503),
        "refused_410": sum(1 for d in receiver.deliveries if d.status == 410),
        "accepted": len(accepted),
    }
    report.check(
        "every delivery's signature verifies",
        all(d.verified for d in receiver.deliveries),
        "a signature failed standardwebhooks verification",
    )
    undelivered = sorted(emitted - accepted)
    report.check(
        "every webhook event delivered at least once",
        bool(emitted) and not undelivered,
        f"{len(undelivered)} of {len(emitted)} never accepted",
    )
    unstable = sorted(i for i, b in bodies.items() if len(b) > 1)
    split = sorted(k for k, ids in ids_per_event.items() if len(ids) > 1)
    report.check(
        "each event keeps one webhook-id and one body",
        not unstable and not split,
        f"ids with several bodies {unstable[:3]}, events with several ids {split[:3]}",
    )
    refused = {d.webhook_id for d in receiver.deliveries if d.status == 410}
    report.check(
        "the outage's events were kept and redelivered",
        (bool(refused) or not receiver.outage) and refused <= accepted,
        f"refused {len(refused)}, of which {len(refused - accepted)} never accepted",
    )


# -- printing ------------------------------------------------------------------------------


def render(reports: list[SoakReport], command: str) -> str:
    first = reports[0]
    config = first.config
    lines = [
        f"soak: {config.channels} channels, planned {first.planned}, "
        f"{config.fault_rate:.0%} faults (seed {config.seed}), client timeout "
        f"{config.timeout_seconds}s, slow responses {config.slow_seconds}s, "
        f"rate {config.rate_per_minute}/min, parallelism {config.parallelism}",
    ]
    for index, report in enumerate(reports, 1):
        runs = ", ".join(
            f"#{r['run']} exit {r['exit']} {r['succeeded']}/{r['attempted']} ok in {r['seconds']}s"
            for r in report.runs
        )
        lines += [
            f"repetition {index}: {len(report.runs)} apply run(s) to converge: {runs}",
            f"  requests to the sandbox: {report.requests}; statuses {report.statuses}",
            f"  faults that fired: {report.faults}",
            f"  webhooks: {report.webhooks}",
            f"  apply time {report.apply_seconds:.1f}s, whole soak {report.total_seconds:.1f}s",
        ]
    lines.append(
        f"median apply time {statistics.median(r.apply_seconds for r in reports):.1f}s, "
        f"median runs to converge {statistics.median(len(r.runs) for r in reports)}"
    )
    lines.append("invariants:")
    names = list(first.checks)
    for name in names:
        held = all(r.checks.get(name, False) for r in reports)
        lines.append(f"  [{'ok' if held else 'FAILED'}] {name}")
    for report in reports:
        lines += [f"  problem: {p}" for p in report.problems]
    lines.append(f"reproduce: {command}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=1, help="repetitions (median is printed)")
    parser.add_argument("--timeout", type=float, default=1.0, help="RECONCILER_HTTP_TIMEOUT")
    parser.add_argument("--slow-seconds", type=float, default=1.5)
    parser.add_argument("--keep", type=Path, default=None, help="keep the files in this folder")
    args = parser.parse_args(argv)
    config = SoakConfig(
        channels=args.channels,
        fault_rate=args.fault_rate,
        seed=args.seed,
        timeout_seconds=args.timeout,
        slow_seconds=args.slow_seconds,
    )
    reports = []
    for repetition in range(args.runs):
        if args.keep is not None:
            folder = args.keep / f"rep-{repetition + 1}"
            folder.mkdir(parents=True, exist_ok=True)
            reports.append(run_soak(config, folder))
        else:
            with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
                reports.append(run_soak(config, Path(tmp)))
    command = (
        f"python benchmarks/soak.py --channels {args.channels} --fault-rate {args.fault_rate} "
        f"--seed {args.seed} --runs {args.runs} --timeout {args.timeout} "
        f"--slow-seconds {args.slow_seconds}"
    )
    print(render(reports, command))
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
