"""Benchmark: the wall and CPU time of the default `pytest` run, for one or more checkouts.

Runs each checkout's own test command (from its folder, with this interpreter, so that the
checkout is what pytest imports) the given number of times, alternating checkouts so that a
machine whose load changes treats them alike, and prints each run and the medians with the
load average. Asserts nothing. Goal (issue 21): the default run of this checkout at most half
the wall time of the run before (168 s wall for 68 s CPU on the shared 2-core machine).

Reproduce from the repository root, in the project's virtualenv (a second worktree of the old
main for the comparison; `--args` is what follows `python -m pytest` there):

    git worktree add /tmp/old-main <commit>
    python benchmarks/suite_time.py --runs 2 --checkout /tmp/old-main --args=-q \\
        --checkout . --args="-q -n auto"
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Subject:
    checkout: Path
    args: list[str]
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(subject: Subject) -> str:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *subject.args]
    env = {**os.environ, "PYTHONPATH": str(subject.checkout)}
    cpu_before, started = children_cpu(), time.monotonic()
    done = subprocess.run(
        command,
        cwd=subject.checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    wall, cpu = time.monotonic() - started, children_cpu() - cpu_before
    subject.walls.append(wall)
    subject.cpus.append(cpu)
    lines = done.stdout.strip().splitlines() or ["(no output)"]
    failed = "".join(f"\n        {line}" for line in lines if line.startswith(("FAILED", "ERROR")))
    return f"{wall:7.1f} s wall {cpu:7.1f} s CPU  exit {done.returncode}  {lines[-1]}{failed}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", action="append", type=Path, required=True)
    parser.add_argument("--args", action="append", default=[], help="pytest arguments")
    parser.add_argument("--runs", type=int, default=2)
    options = parser.parse_args()
    if len(options.args) != len(options.checkout):
        parser.error("give one --args per --checkout")
    subjects = [
        Subject(checkout.resolve(), shlex.split(args))
        for checkout, args in zip(options.checkout, options.args, strict=True)
    ]
    for index in range(options.runs):
        for subject in subjects:
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            line = run_once(subject)
            print(f"run {index + 1} {subject.checkout} {shlex.join(subject.args)}: {line}")
            print(f"        load average before the run: {load}", flush=True)
    for subject in subjects:
        print(
            f"median {subject.checkout} {shlex.join(subject.args)}: "
            f"{statistics.median(subject.walls):.1f} s wall, "
            f"{statistics.median(subject.cpus):.1f} s CPU"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
