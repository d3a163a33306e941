# The pool's benchmark (benches/pool.rs) at another commit beside the
# working tree's, run in turns on the same machine: on a noisy machine,
# one run of each says little, and the ratio within each pair of runs
# says more than either time.
#
#     python3 scripts/bench_against.py c22e56f            # 7 pairs of runs
#     PAIRS=15 ROUNDS=41 python3 scripts/bench_against.py c22e56f
#
# Builds the other commit's benchmark in a git worktree under
# target/bench-against/ (kept, with its own target directory, for the next
# time), and runs both with BENCH_SKIP_PYTHON=1. Prints, for each row
# both print, the median time of each side and the median and quartiles
# of the ratio (working tree over the other commit) across the pairs.
# Rows are matched by their label; a kill row takes the label of the pool
# row above it.
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNITS = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "ns": 1e-9}


def bench_binary(tree, target):
    """Builds tree's pool benchmark and returns the executable's path."""
    built = subprocess.run(
        ["cargo", "bench", "--bench", "pool", "--no-run", "--message-format=json"],
        cwd=tree,
        env={**os.environ, "CARGO_TARGET_DIR": str(target)},
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        sys.exit(f"error: {tree}: the benchmark does not build:\n{built.stderr[-2000:]}")
    for line in built.stdout.splitlines():
        if '"executable":"' in line and '"name":"pool"' in line:
            return re.search(r'"executable":"([^"]+)"', line).group(1)
    sys.exit(f"error: {tree}: cargo named no benchmark executable")


def rows(output):
    """{label: seconds} for each timed row the benchmark printed."""
    found, pool = {}, ""
    for line in output.splitlines():
        match = re.match(r"(.{46}) +([0-9.]+)(s|ms|µs|ns)\b", line)
        if not match:
            continue
        label = match.group(1).strip()
        if label.startswith("process pool"):
            pool = label
        elif label.startswith("one worker"):
            label = f"{pool}: {label}"
        found[label] = float(match.group(2)) * UNITS[match.group(3)]
    return found


def run(binary):
    env = {**os.environ, "BENCH_SKIP_PYTHON": "1"}
    done = subprocess.run([binary, "--bench"], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: {binary}: the benchmark failed:\n{done.stdout}{done.stderr}")
    return rows(done.stdout)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python3 scripts/bench_against.py COMMIT")
    commit = sys.argv[1]
    pairs = int(os.environ.get("PAIRS", "7"))
    here = ROOT / "target" / "bench-against"
    other = here / "tree"
    if other.exists():
        subprocess.run(["git", "-C", str(other), "checkout", "-q", "--detach", commit], check=True)
    else:
        here.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(other), commit],
            check=True,
        )
    theirs = bench_binary(other, here / "target")
    ours = bench_binary(ROOT, ROOT / "target")
    times = {"ours": [], "theirs": []}
    for pair in range(pairs):
        # Each side goes first in every other pair.
        order = ["ours", "theirs"] if pair % 2 == 0 else ["theirs", "ours"]
        for side in order:
            times[side].append(run(ours if side == "ours" else theirs))
        print(f"pair {pair + 1} of {pairs} done", file=sys.stderr)
    labels = [label for label in times["ours"][0] if label in times["theirs"][0]]
    print(f"{pairs} pairs of runs; the working tree against {commit}")
    print(f"{'row':<70} {'ours':>9} {'theirs':>9}   ratio (quartiles)")
    for label in labels:
        mine = [run[label] for run in times["ours"]]
        their = [run[label] for run in times["theirs"]]
        ratios = [a / b for a, b in zip(mine, their)]
        low, _, high = statistics.quantiles(ratios, n=4) if pairs > 1 else (ratios[0],) * 3
        print(
            f"{label:<70} {statistics.median(mine) * 1e3:>7.3f}ms {statistics.median(their) * 1e3:>7.3f}ms"
            f"   {statistics.median(ratios):.2f} ({low:.2f}-{high:.2f})"
        )


main()
