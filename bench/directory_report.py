"""The directory-enumeration benchmark's driver: runs `idc-credential-report snapshot` against
the moto emulator once per assignment strategy, checks each written snapshot against the one
the emulator was loaded with, and prints calls, time and the quota-bound floor side by side.

Why a floor: the emulator enforces AWS's request quotas, so no client can read the directory
faster than the busiest quota bucket allows (calls in that bucket / its rate). Wall time over
that floor is what the tool's own pacing, retries and concurrency cost. The naive enumeration
(ListAccountAssignments for every account x permission set, what most scripts do) is shown
for scale: its floor is what a client without a strategy would need.

At the top of the range (`--raised-rate`), the emulator cannot serve the run at AWS's quotas
in reasonable time (42,000 ListAccountAssignments alone are 35 minutes at 20/s), so the
emulator and the tool both run at the raised rate, and the time at AWS's quotas is computed
from the calls counted, with the tool's phases (`TOOL_PHASES`): what one phase waits for adds
up, what runs at the same time under separate quotas does not. Each run's peak memory is
measured with GNU time (`/usr/bin/time -f %M`).

Called by bench/directory.sh, which builds the binaries and generates the data:

    .venv/bin/python bench/directory_report.py --data DIR --binary PATH
        [--raised-rate RATE] [STRATEGY ...]

Exit status: 0 if every run succeeded and wrote the input directory back; 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EMULATOR = ROOT / "tests" / "emulators" / "moto_server.py"
sys.path.insert(0, str(EMULATOR.parent))
# The launcher's own quotas, so the floor is computed with exactly what it enforces.
from moto_server import DEFAULT_RATES, PER_API_QUOTA_SERVICES  # noqa: E402

STRATEGIES = ("auto", "per-permission-set", "per-principal")
# The documented quotas (tests/emulators/README.md); organizations keeps the launcher's default.
CONFIG = {"rates": {"sso-admin": 20, "identitystore": 20}}
REGION = "us-east-1"
# The APIs that list assignments: what the naive enumeration replaces by accounts x sets calls.
ASSIGNMENT_LISTING = {
    ("sso-admin", "ListAccountAssignments"),
    ("sso-admin", "ListAccountsForProvisionedPermissionSet"),
    ("sso-admin", "ListAccountAssignmentsForPrincipal"),
}
SERVICE_ORDER = ("sso-admin", "identitystore", "organizations", "sts")
PAGE = 100  # ListAccountAssignments' largest MaxResults
THROTTLED = 400  # how the launcher answers a call over its quota (and nothing else here)
TARGET_WALL_RATIO = 1.2
TARGET_NAIVE_SHARE = 0.1
TARGET_PEAK_MB = 512  # the function's memory at the top of the range
EXAMPLES = 3  # differences shown per section
GNU_TIME = "/usr/bin/time"
# A Lambda invocation lasts at most 15 minutes; the reader stops a minute before (its margin).
INVOCATION_BUDGET = 15 * 60 - 60
# The order in which the tool reads (src/directory/aws/mod.rs): phases one after another; in
# a phase, chains at the same time; in a chain, steps one after another (ListGroupMemberships
# needs the groups listed, DescribePermissionSet the sets). The chains of a phase use separate
# quota buckets, so a phase lasts as long as its slowest chain.
TOOL_PHASES: tuple[tuple[tuple[tuple[str, str], ...], ...], ...] = (
    ((("sso-admin", "ListInstances"),),),
    ((("sso-admin", "ListPermissionSets"), ("sso-admin", "DescribePermissionSet")),
     (("identitystore", "ListUsers"),),
     (("identitystore", "ListGroups"), ("identitystore", "ListGroupMemberships")),
     (("organizations", "ListAccounts"),)),
    ((("sso-admin", "ListAccountsForProvisionedPermissionSet"),
      ("sso-admin", "ListAccountAssignments"),
      ("sso-admin", "ListAccountAssignmentsForPrincipal")),),
)


# ------------------------------------------------------------------------------------------
# Running the emulator and the tool
# ------------------------------------------------------------------------------------------

def start_emulator(python: str, snapshot: Path, config: Path, calls_log: Path,
                   log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Starts the launcher and waits for its one line `{"port": N, ...}`."""
    calls_log.unlink(missing_ok=True)  # the launcher appends: a stale log would count twice
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(
            [python, str(EMULATOR), "--port", "0", "--snapshot", str(snapshot),
             "--config", str(config), "--calls-log", str(calls_log), "--region", REGION],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
    line = _read_line(proc, timeout=120)
    if not line:
        stop_emulator(proc)
        raise RuntimeError(f"the emulator did not start; see {log}")
    return proc, int(json.loads(line)["port"])


def _read_line(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    """The first stdout line, or b"" if none came in time (readline alone could block)."""
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return got[0] if got else b""


def stop_emulator(proc: subprocess.Popen[bytes]) -> None:
    """Closing stdin is the launcher's stop signal; SIGTERM if it does not listen."""
    if proc.stdin:
        proc.stdin.close()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.wait(timeout=30)


def tool_env(port: int) -> dict[str, str]:
    """The emulator's endpoint and dummy credentials, and nothing from the user's AWS setup
    (a profile, a session token or a service-specific endpoint would send calls elsewhere)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


@dataclass
class Run:
    strategy: str
    ok: bool = False
    wall: float = 0.0
    peak_mb: float | None = None  # the tool's peak resident memory
    tool_calls: str = "?"     # the calls the tool says it made (its last line)
    used: str = "?"           # the strategy the tool reports it used
    stderr_tail: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    @property
    def answered(self) -> Counter[tuple[str, str]]:
        """Calls per (service, operation) that passed the quota: the calls the strategy needs."""
        return Counter((c["service"], c["operation"]) for c in self.calls
                       if c["status"] != THROTTLED and c["service"] != "unknown")

    @property
    def throttled(self) -> int:
        return sum(1 for c in self.calls if c["status"] == THROTTLED)


def run_strategy(args: argparse.Namespace, strategy: str, config: Path,
                 expected: dict[str, Any]) -> Run:
    """One strategy against a fresh emulator (fresh buckets, fresh calls log)."""
    data: Path = args.data
    calls_log = data / f"calls-{strategy}.jsonl"
    output = data / f"snapshot-{strategy}.json"
    output.unlink(missing_ok=True)
    run = Run(strategy)
    print(f"running --assignment-strategy {strategy} ...", file=sys.stderr, flush=True)
    emulator, port = start_emulator(args.python, data / "snapshot.json", config, calls_log,
                                    data / f"emulator-{strategy}.log")
    memory = data / f"memory-{strategy}.txt"
    try:
        run.ok, run.wall, stderr = run_tool(args, port, strategy, output, memory)
    finally:
        stop_emulator(emulator)
    run.peak_mb = peak_mb(memory)
    run.stderr_tail = "\n".join(stderr.strip().splitlines()[-8:])
    match = re.search(r"assignments \(([a-z-]+):", stderr)
    run.used = match.group(1) if match else "?"
    counted = re.search(r"; (\d+) calls in [0-9.]+ s", stderr)
    run.tool_calls = counted.group(1) if counted else "?"
    run.calls = read_calls(calls_log)
    if run.ok:
        reference = visible_to(run.used, expected)
        run.differences = compare(reference, json.loads(output.read_text()))
    return run


def visible_to(strategy: str, expected: dict[str, Any]) -> dict[str, Any]:
    """What a strategy can list: per principal cannot ask about deleted users and groups, so
    their assignments are out of its reach by design (the tool warns about it in the manifest)."""
    if strategy != "per-principal":
        return expected
    directory = {u["user_id"] for u in expected.get("users") or []} | {
        g["group_id"] for g in expected.get("groups") or []}
    held = [a for a in expected.get("assignments") or [] if a["principal_id"] in directory]
    return {**expected, "assignments": held}


def run_tool(args: argparse.Namespace, port: int, strategy: str, output: Path,
             memory: Path) -> tuple[bool, float, str]:
    """(succeeded, wall seconds, stderr) of one `snapshot` run, under GNU time, which writes
    the peak resident memory (KiB) to `memory`."""
    memory.unlink(missing_ok=True)
    command = [GNU_TIME, "-f", "%M", "-o", str(memory), args.binary, "snapshot",
               "--output", str(output), "--assignment-strategy", strategy]
    if args.raised_rate:
        rate = f"{args.raised_rate:g}"
        command += ["--sso-admin-rps", rate, "--identitystore-rps", rate,
                    "--organizations-rps", rate]
    timeout = args.timeout
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, env=tool_env(port), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        stderr = (e.stderr or b"").decode("utf-8", "replace")
        return False, time.monotonic() - started, f"{stderr}\n(timed out after {timeout:.0f} s)"
    wall = time.monotonic() - started
    return done.returncode == 0, wall, done.stderr.decode("utf-8", "replace")


def peak_mb(memory: Path) -> float | None:
    """GNU time's %M (KiB) in MiB; None if the run left no figure."""
    try:
        lines = memory.read_text().split()
        return int(lines[-1]) / 1024
    except (OSError, ValueError, IndexError):
        return None


def read_calls(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# ------------------------------------------------------------------------------------------
# Quota floors
# ------------------------------------------------------------------------------------------

RATES: dict[str, float | None] = {**DEFAULT_RATES, **CONFIG["rates"]}


def bucket(service: str, operation: str) -> str:
    """The launcher's quota scope: per API for identitystore and organizations."""
    return f"{service}:{operation}" if service in PER_API_QUOTA_SERVICES else service


def rate(service: str, operation: str) -> float | None:
    return RATES.get(f"{service}:{operation}", RATES.get(service))


def lower_bound(calls: Counter[tuple[str, str]]) -> tuple[float, str]:
    """max over quota buckets of calls / rate, and the bucket that sets it. The first second's
    burst (a full bucket) lets a run beat it by up to one second."""
    per_bucket: Counter[str] = Counter()
    rates: dict[str, float] = {}
    for (service, operation), n in calls.items():
        r = rate(service, operation)
        if r and r > 0:
            per_bucket[bucket(service, operation)] += n
            rates[bucket(service, operation)] = r
    if not per_bucket:
        return 0.0, "-"
    return max((n / rates[b], b) for b, n in per_bucket.items())


def phased_bound(calls: Counter[tuple[str, str]]) -> float:
    """The floor with the tool's order (`TOOL_PHASES`): the phases add up, a phase lasts as
    long as its slowest chain, a chain's steps add up (calls / rate each). Calls to APIs
    outside the phases are left out (a floor may only be low)."""
    total = 0.0
    for phase in TOOL_PHASES:
        total += max(sum(calls.get(api, 0) / (rate(*api) or math.inf) for api in chain)
                     for chain in phase)
    return total


def unplaced(calls: Counter[tuple[str, str]]) -> list[str]:
    placed = {api for phase in TOOL_PHASES for chain in phase for api in chain}
    return sorted(f"{s} {o}" for s, o in calls if (s, o) not in placed)


def invocations(bound: float) -> int:
    """15-minute invocations the resumable loop needs, each reading for its budget."""
    return max(1, math.ceil(bound / INVOCATION_BUDGET))


def naive_calls(reference: Counter[tuple[str, str]],
                expected: dict[str, Any]) -> Counter[tuple[str, str]]:
    """The same listing calls as `reference`, with the assignments listed for every account x
    permission set instead: one page each, and a further page per 100 assignments of a pair."""
    per_pair = Counter((a[0], a[1]) for a in canonical(expected)["assignments"])
    pages = len(expected["accounts"]) * len(expected["permission_sets"])
    pages += sum((n - 1) // PAGE for n in per_pair.values())
    naive = Counter({k: v for k, v in reference.items() if k not in ASSIGNMENT_LISTING})
    naive[("sso-admin", "ListAccountAssignments")] = pages
    return naive


# ------------------------------------------------------------------------------------------
# Snapshot comparison
# ------------------------------------------------------------------------------------------

def canonical(snapshot: dict[str, Any]) -> dict[str, set[Any]]:
    """Each section as a set, so order and the duplicate assignment do not matter; a missing
    optional field and a null one are the same; captured_at and instance_arn are left out."""
    def opt(item: dict[str, Any], key: str) -> Any:
        return item.get(key)

    return {
        "identity_store_id": {snapshot.get("identity_store_id")},
        "accounts": {(a["id"], opt(a, "name"), opt(a, "status"))
                     for a in snapshot.get("accounts") or []},
        "permission_sets": {(p["arn"], p["name"], opt(p, "description"))
                            for p in snapshot.get("permission_sets") or []},
        "users": {(u["user_id"], u["user_name"], opt(u, "display_name"), opt(u, "email"),
                   opt(u, "status"), instant(opt(u, "created_at")))
                  for u in snapshot.get("users") or []},
        "groups": {(g["group_id"], opt(g, "display_name"),
                    frozenset(g.get("member_user_ids") or []))
                   for g in snapshot.get("groups") or []},
        "assignments": {(a["account_id"], a["permission_set_arn"], a["principal_type"],
                         a["principal_id"])
                        for a in snapshot.get("assignments") or []},
    }


def instant(rfc3339: str | None) -> float | None:
    """The same instant however it is written (Z or +00:00, with or without fractions)."""
    if rfc3339 is None:
        return None
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def compare(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """What differs, section by section, with a few examples each."""
    want, have = canonical(expected), canonical(got)
    directory = {u["user_id"] for u in expected.get("users") or []} | {
        g["group_id"] for g in expected.get("groups") or []}
    differences = []
    for section in want:
        missing, extra = want[section] - have[section], have[section] - want[section]
        if missing or extra:
            line = f"{section}: {len(missing)} missing, {len(extra)} extra"
            if section == "assignments":
                deleted = sum(1 for a in missing if a[3] not in directory)
                line += f" ({deleted} of the missing name deleted users or groups)"
            differences.append(line)
            differences += [f"  missing {_short(m)}" for m in sorted(missing, key=str)[:EXAMPLES]]
            differences += [f"  extra   {_short(e)}" for e in sorted(extra, key=str)[:EXAMPLES]]
    listed = got.get("assignments") or []
    if len(listed) != len(have["assignments"]):
        differences.append(f"assignments: {len(listed) - len(have['assignments'])} listed twice")
    return differences


def _short(item: Any, width: int = 160) -> str:
    text = str(item)
    return text if len(text) <= width else text[: width - 3] + "..."


# ------------------------------------------------------------------------------------------
# The table
# ------------------------------------------------------------------------------------------

LABEL, COLUMN = 54, 19


def row(label: str, cells: list[str]) -> str:
    return f"{label:<{LABEL}}" + "".join(f"{c:>{COLUMN}}" for c in cells)


def describe(snapshot: dict[str, Any]) -> str:
    assignments = canonical(snapshot)["assignments"]
    pairs = {(a[0], a[1]) for a in assignments}
    groups = sum(1 for a in assignments if a[2] == "GROUP")
    return (f"{len(snapshot['accounts'])} accounts, {len(snapshot['permission_sets'])} "
            f"permission sets, {len(snapshot['users'])} users, {len(snapshot['groups'])} groups, "
            f"{len(assignments)} distinct assignments ({100 * groups / len(assignments):.0f}% to "
            f"groups) on {len(pairs)} (account, permission set) pairs")


def quotas() -> str:
    scope = {s: "per API" if s in PER_API_QUOTA_SERVICES else "all APIs together"
             for s in SERVICE_ORDER}
    return "; ".join(f"{s} {RATES[s]:g}/s {scope[s]}" for s in SERVICE_ORDER)


def print_report(runs: list[Run], naive: Counter[tuple[str, str]], expected: dict[str, Any],
                 raised_rate: float | None) -> None:
    naive_bound, naive_bucket = lower_bound(naive)
    bounds = [lower_bound(r.answered) for r in runs]
    phased = [phased_bound(r.answered) for r in runs]
    apis = sorted(set(naive).union(*(r.answered for r in runs)),
                  key=lambda k: (SERVICE_ORDER.index(k[0]) if k[0] in SERVICE_ORDER else 9, k[1]))
    naive_total = sum(naive.values())
    print()
    print(f"Directory: {describe(expected)}")
    if raised_rate:
        print(f"Emulated run: emulator quotas and the tool's rate flags raised to "
              f"{raised_rate:g}/s per bucket; the lower bounds are computed at AWS's quotas")
    print(f"{'AWS quotas' if raised_rate else 'Quotas'}: {quotas()}")
    print()
    print(row("", [r.strategy for r in runs] + ["naive"]))
    print(row("strategy used", [r.used for r in runs] + ["all pairs"]))
    print(row("command", ["ok" if r.ok else "FAILED" for r in runs] + [""]))
    print(row("snapshot equals input",
              [("yes" if not r.differences else "NO") if r.ok else "-" for r in runs] + [""]))
    print("calls per API (throttled ones excluded)")
    for api in apis:
        print(row(f"  {api[0]} {api[1]}", [str(r.answered.get(api, 0)) for r in runs]
                  + [str(naive.get(api, 0))]))
    print(row("calls, total", [str(sum(r.answered.values())) for r in runs] + [str(naive_total)]))
    print(row("  as the tool counts them", [r.tool_calls for r in runs] + [""]))
    print(row("throttled (HTTP 400)", [str(r.throttled) for r in runs] + [""]))
    wall = f"wall time at {raised_rate:g}/s, s" if raised_rate else "wall time, s"
    print(row(wall, [f"{r.wall:.1f}" for r in runs] + [""]))
    print(row("lower bound, s", [f"{b:.1f}" for b, _ in bounds] + [f"{naive_bound:.1f}"]))
    print(row("  set by bucket", [k for _, k in bounds] + [naive_bucket]))
    naive_phased = phased_bound(naive)
    print(row("lower bound in the tool's phases, s",
              [f"{b:.1f}" for b in phased] + [f"{naive_phased:.1f}"]))
    print(row(f"  15-min invocations ({INVOCATION_BUDGET} s each)",
              [str(invocations(b)) for b in phased] + [str(invocations(naive_phased))]))
    if not raised_rate:
        print(row("wall / lower bound",
                  [f"{r.wall / b:.2f}" if b else "-" for r, (b, _) in zip(runs, bounds)] + [""]))
    print(row("calls / naive calls",
              [f"{sum(r.answered.values()) / naive_total:.3f}" for r in runs] + ["1"]))
    print(row("peak memory (RSS), MiB",
              [f"{r.peak_mb:.0f}" if r.peak_mb is not None else "-" for r in runs] + [""]))
    print()
    for r, (b, _) in zip(runs, bounds):
        print_targets(r, b, naive_total, raised_rate)
    for r in runs:
        left_out = unplaced(r.answered)
        if left_out:
            print(f"{r.strategy}: not in the tool's phases, left out of its bound: {left_out}")
    for r in runs:
        print_problems(r)


def print_targets(r: Run, bound: float, naive_total: int, raised_rate: float | None) -> None:
    ratio = r.wall / bound if bound else float("inf")
    share = sum(r.answered.values()) / naive_total
    checks = [
        (f"no throttling error surfaced ({r.throttled} throttled calls retried)", r.ok),
        (f"{share:.3f} of the naive calls (target <= {TARGET_NAIVE_SHARE})",
         share <= TARGET_NAIVE_SHARE),
    ]
    if raised_rate:  # the wall time is at other quotas than the bound: no ratio
        peak = f"{r.peak_mb:.0f}" if r.peak_mb is not None else "?"
        checks.append((f"peak memory {peak} MiB (target <= {TARGET_PEAK_MB})",
                       r.peak_mb is not None and r.peak_mb <= TARGET_PEAK_MB))
    else:
        checks.insert(0, (f"wall {ratio:.2f}x the lower bound (target <= {TARGET_WALL_RATIO})",
                          r.ok and ratio <= TARGET_WALL_RATIO))
    print(f"targets, {r.strategy}: " + "; ".join(
        f"{text}: {'met' if met else 'MISSED'}" for text, met in checks))


def print_problems(r: Run) -> None:
    if not r.ok:
        print(f"\n{r.strategy}: the command failed; the end of its output:\n{r.stderr_tail}")
    if r.differences:
        print(f"\n{r.strategy}: the written snapshot differs from the input:")
        print("\n".join(r.differences))


# ------------------------------------------------------------------------------------------

def emulator_config(raised_rate: float | None) -> dict[str, Any]:
    """AWS's quotas, or every bucket the tool uses at the raised rate."""
    if not raised_rate:
        return CONFIG
    return {"rates": {s: raised_rate for s in ("sso-admin", "identitystore", "organizations")}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True,
                        help="folder holding snapshot.json; runs write their files here")
    parser.add_argument("--binary", required=True, help="idc-credential-report to run")
    parser.add_argument("--python", default=sys.executable, help="Python for the emulator")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    parser.add_argument("--raised-rate", type=float,
                        help="run the emulator's quotas and the tool's rate flags at this many "
                             "calls/s per bucket (at most 1000), and compute AWS's from the calls")
    # Checked here: argparse checks an empty `nargs="*"` list against `choices` and refuses it.
    parser.add_argument("strategies", nargs="*", metavar="STRATEGY",
                        help=f"any of {', '.join(STRATEGIES)} (default: all)")
    args = parser.parse_args()
    unknown = set(args.strategies) - set(STRATEGIES)
    if unknown:
        parser.error(f"unknown strategies {sorted(unknown)}: use {', '.join(STRATEGIES)}")
    args.strategies = args.strategies or list(STRATEGIES)
    if not os.access(GNU_TIME, os.X_OK):
        parser.error(f"{GNU_TIME} (GNU time, for peak memory) is missing: apt-get install time")

    expected = json.loads((args.data / "snapshot.json").read_text())
    config = args.data / "emulator-config.json"
    config.write_text(json.dumps(emulator_config(args.raised_rate)) + "\n")
    runs = [run_strategy(args, s, config, expected) for s in args.strategies]
    reference = next((r for r in runs if r.ok), runs[0])
    naive = naive_calls(reference.answered, expected)
    print_report(runs, naive, expected, args.raised_rate)
    return 0 if all(r.ok and not r.differences for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
