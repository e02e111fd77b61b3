"""Figures for issue 19: the requests `plan` and `doctor` send, counted at the emulator.

Prints figures, it asserts nothing (tests/doctor/ asserts the behaviour). One web deployment
spec, against the emulator served on 127.0.0.1 (every timer at 0, no rate limit):

- `plan` with the flow named by id, then by name: which listings it reads;
- `doctor` and `doctor --write-probe`: how many requests, how many of them writes.

Reproduce from the repository root, in the project's virtualenv:

    python benchmarks/least_privilege.py
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

from reconciler.cli import run
from reconciler.sandbox import SandboxApp, SandboxConfig, WebDeploymentKnobs, serve_in_thread
from reconciler.sandbox.webdeployments.flows import flow_object

SPEC = "kind: webDeployment\nname: Shop\ndeployment: {{allowAllDomains: true, flow: {flow}}}\n"


def main() -> None:
    flow_id = flow_object("Sales Inbound Message")["id"]
    workspace = Path(tempfile.mkdtemp(prefix="least-privilege-"))
    os.chdir(workspace)
    (workspace / "channels").mkdir()
    spec = workspace / "channels" / "web.yaml"
    config = SandboxConfig(rate_limit_per_minute=0, webdeployments=WebDeploymentKnobs.instant())
    app = SandboxApp(config)
    with serve_in_thread(app) as server:
        os.environ.update(
            GENESYS_API_URL=server.url,
            GENESYS_LOGIN_URL=server.url,
            GENESYS_CLIENT_ID="bench",
            GENESYS_CLIENT_SECRET="bench-secret",
            RECONCILER_RATE_PER_MINUTE="60000",
        )
        runs = [
            ("plan (flow by id)", f"{{id: {flow_id}}}", ["plan"]),
            ("plan (flow by name)", "{name: Sales Inbound Message}", ["plan"]),
            ("doctor", "{name: Sales Inbound Message}", ["doctor"]),
            ("doctor --write-probe", "{name: Sales Inbound Message}", ["doctor", "--write-probe"]),
        ]
        for label, flow, args in runs:
            spec.write_text(SPEC.format(flow=flow), encoding="utf-8")
            app.stats.reset()
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                code = run(args)
            requests = app.stats.requests
            writes = sum(
                n for key, n in requests.items() if not key.startswith(("GET", "POST /oauth"))
            )
            listed = sorted(key for key in requests if key.startswith("GET ") and "{" not in key)
            print(f"{label}: exit {code}, {app.stats.total} requests ({writes} writes)")
            print(f"  listings read: {', '.join(k.removeprefix('GET ') for k in listed)}")


if __name__ == "__main__":
    main()
