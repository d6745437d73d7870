"""The top-of-range read as the Step Functions loop makes it: `snapshot --checkpoint
--time-budget` run again and again until it completes, each run under GNU time for its peak
memory (the journal of a resumable read is held in memory and sealed into the checkpoint,
so this is the function's memory, not the one-shot read's). The result must equal the
one-shot snapshot of the same strategy that `bench/directory.sh --top` wrote.

    bench/directory.sh --top per-principal        # first: the data and the one-shot snapshot
    .venv/bin/python bench/directory_sliced.py [--budget SECONDS] [--strategy STRATEGY]

Exit status: 0 if the sliced read completed and equals the one-shot snapshot; 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import directory_report as bench  # noqa: E402  (a sibling script, not a package)

DATA = Path("bench/data/directory-top")
BINARY = "target/release/idc-credential-report"
RATE = "1000"  # as directory.sh --top: the emulator's quotas and the tool's flags raised
INCOMPLETE = 3  # the exit code of a run stopped by its time budget


def without_capture_time(path: Path) -> dict:
    snapshot = json.loads(path.read_text())
    snapshot.pop("captured_at", None)
    return snapshot


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=25, help="seconds per run")
    parser.add_argument("--strategy", default="per-principal")
    args = parser.parse_args()
    one_shot = DATA / f"snapshot-{args.strategy}.json"
    if not one_shot.exists():
        sys.exit(f"{one_shot} is missing: run bench/directory.sh --top {args.strategy} first")
    sliced, checkpoint = DATA / "sliced.json", DATA / "sliced.checkpoint.json"
    for stale in (sliced, checkpoint):
        stale.unlink(missing_ok=True)
    emulator, port = bench.start_emulator(
        ".venv/bin/python", DATA / "snapshot.json", DATA / "emulator-config.json",
        DATA / "calls-sliced.jsonl", DATA / "emulator-sliced.log")
    runs, peaks, code = 0, [], INCOMPLETE
    try:
        while code == INCOMPLETE and runs < 100:
            runs += 1
            memory = DATA / f"memory-sliced-{runs}.txt"
            started = time.monotonic()
            done = subprocess.run(
                [bench.GNU_TIME, "-f", "%M", "-o", str(memory), BINARY, "snapshot",
                 "--output", str(sliced), "--assignment-strategy", args.strategy,
                 "--checkpoint", str(checkpoint), "--time-budget", str(args.budget),
                 "--sso-admin-rps", RATE, "--identitystore-rps", RATE,
                 "--organizations-rps", RATE],
                env=bench.tool_env(port), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
            code = done.returncode
            peaks.append(bench.peak_mb(memory) or 0.0)
            last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or [""])[-1]
            print(f"run {runs}: exit {code}, {time.monotonic() - started:.1f} s, "
                  f"{peaks[-1]:.0f} MiB: {last}", flush=True)
    finally:
        bench.stop_emulator(emulator)
    calls = len(bench.read_calls(DATA / "calls-sliced.jsonl"))
    same = code == 0 and without_capture_time(sliced) == without_capture_time(one_shot)
    print(f"{runs} runs of {args.budget} s, {calls} calls, peak memory {max(peaks):.0f} MiB; "
          f"the snapshot {'equals' if same else 'DIFFERS FROM'} the one-shot read's")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
