"""How fast ``synthdiv --help`` and ``synthdiv generate --help`` answer: median of fresh processes.

    .venv/bin/python benchmarks/bench_help.py [--runs 10] [--imports]

Each run starts a new interpreter with the console script, as a user's shell does, and waits
for it to exit; the median of ``--runs`` runs is the figure (the machine's other jobs move the
mean). ``--imports`` also prints the ten slowest imports of one ``--help`` (``-X importtime``,
cumulative microseconds), which is where to look when the time grows. Target: at most 0.25 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.25
COMMANDS = (["--help"], ["generate", "--help"])
# Imported by no --help: each costs tens of milliseconds (numpy ~30-80, pydantic ~70, rich ~50).
AVOIDABLE = ("numpy", "pydantic", "rich", "torch", "transformers")


def entry_point() -> list[str]:
    """The installed ``synthdiv`` script beside this interpreter, else ``python -m synthdiv.cli.main``."""
    script = Path(sys.executable).with_name("synthdiv")
    return [str(script)] if script.exists() else [sys.executable, "-m", "synthdiv.cli.main"]


def time_runs(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([*entry_point(), *args], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return times


def slowest_imports(count: int = 10) -> list[tuple[int, str]]:
    code = "from synthdiv.cli.main import main; main(['--help'])"
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:count]


def loaded_by_help(args: list[str]) -> list[str]:
    """Which of AVOIDABLE one ``synthdiv ARGS`` imports."""
    code = (f"import sys; from synthdiv.cli.main import main; main({args!r}); "
            f"print([m for m in {AVOIDABLE!r} if m in sys.modules], file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(proc.stderr.strip().splitlines()[-1].replace("'", '"'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--imports", action="store_true", help="also list the slowest imports of one --help")
    args = parser.parse_args()
    time_runs(["--help"], 1)  # warm the file cache and the .pyc files: the first run reads them from disk
    result = {"load_average": [round(x, 2) for x in os.getloadavg()], "runs": args.runs, "target_s": TARGET_S}
    for command in COMMANDS:
        times = time_runs(command, args.runs)
        result["synthdiv " + " ".join(command)] = {
            "median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3), "max_s": round(max(times), 3),
            "met": statistics.median(times) <= TARGET_S, "imports": loaded_by_help(command),
        }
    if args.imports:
        result["slowest_imports_us"] = [[us, name] for us, name in slowest_imports()]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
