"""Benchmark: how fast the CLI starts, as a user runs it (a new process each time).

Times `reconciler --help`, `reconciler --version` and `reconciler validate` of one file (a
copy of the README's channels/support.yaml, in a temporary folder so that the checkout on
PYTHONPATH is the one timed), and lists the heavy modules each one imported. Prints medians,
it asserts nothing. Goal (issue 14): `validate` of one file <= 150 ms wall (256 ms before), and
neither `validate` nor `--help` imports httpx or asyncio.

Reproduce from the repository root, in the project's virtualenv:

    python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import whole

ROOT = Path(__file__).resolve().parent.parent
TODAY_VALIDATE_ONE_FILE_WALL = 0.256
HEAVY = ("httpx", "asyncio", "ruamel", "jsonschema", "reconciler.executor")

PROBE = """
import json, sys
from reconciler.cli import run
run(sys.argv[1:])
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def heavy_imports(args: list[str], cwd: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    modules = json.loads(done.stderr.strip().splitlines()[-1])
    return sorted({heavy for heavy in HEAVY for name in modules if name.startswith(heavy)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    commands = {
        "--help": ["--help"],
        "--version": ["--version"],
        "validate (one file)": ["validate", "channels/support.yaml"],
    }
    print(f"start-up, {args.runs} runs each, medians (one new process a run):")
    medians: dict[str, whole.Run] = {}
    with tempfile.TemporaryDirectory(prefix="reconciler-startup-") as tmp:
        work = Path(tmp)
        (work / "channels").mkdir()
        shutil.copy(ROOT / "channels" / "support.yaml", work / "channels" / "support.yaml")
        for label, argv in commands.items():
            medians[label] = time_command(label, argv, work, args.runs)
    print("target (issue 14):")
    wall = medians["validate (one file)"].wall
    label = "validate of one file, wall"
    print(whole.target_line(label, wall * 1000, "ms", 150, TODAY_VALIDATE_ONE_FILE_WALL * 1000))
    print(f"reproduce: python benchmarks/startup.py --runs {args.runs}")
    return 0


def time_command(label: str, argv: list[str], work: Path, runs: int) -> whole.Run:
    whole.run(whole.reconciler(*argv), work)  # warm the file cache and .pyc files
    median = whole.medians([whole.run(whole.reconciler(*argv), work) for _ in range(runs)])
    imported = ", ".join(heavy_imports(argv, work)) or "none"
    print(
        f"  {label:<20} wall {median.wall * 1000:6.1f} ms  CPU {median.cpu * 1000:6.1f} ms  "
        f"exit {median.code}  heavy imports: {imported}"
    )
    return median


if __name__ == "__main__":
    sys.exit(main())
