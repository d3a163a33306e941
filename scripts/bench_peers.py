# Chapter 13's comparison table, measured: this pool beside procspawn's Pool
# and rayon in process (benches/peers/procspawn, a crate of its own) and
# beside Python's multiprocessing.Pool, ProcessPoolExecutor and pebble
# (benches/peers/python_peers.py), on the same tiny tasks with two workers,
# in one run. Prints the table as Markdown.
#
#     python3 scripts/bench_peers.py            # 10,000 tasks, median of 3 rounds
#     TASKS=2000 ROUNDS=5 python3 scripts/bench_peers.py
#     python3 scripts/bench_peers.py --record   # also writes RECORD, which
#                                               # chapter 13's page includes
#
# pebble comes from PyPI, into a venv under benches/peers/.venv, the first
# time. Expect a few minutes: the Rust peers build in release mode, and the
# Python pools that send one task per message take about half a millisecond
# a task.
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "benches" / "peers"
PEBBLE = "pebble==5.2.3"
RECORD = ROOT / "chapters" / "13-capstone-process-pool" / "peers-measured.md"


def python_with_pebble():
    env = PEERS / ".venv"
    python = env / "bin" / "python"
    if not python.exists():
        venv.create(env, with_pip=True)
    check = subprocess.run([python, "-c", "import pebble"], capture_output=True)
    if check.returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", PEBBLE], check=True)
    return python


def json_of(command, env=None):
    print("$", " ".join(str(part) for part in command), file=sys.stderr)
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, check=True,
                          env={**os.environ, **(env or {})})
    return json.loads(done.stdout)


def main():
    tasks = os.environ.get("TASKS", "10000")
    rounds = os.environ.get("ROUNDS", "3")
    workers = "2"
    rust = json_of(["cargo", "run", "--quiet", "--release", "--manifest-path",
                    PEERS / "procspawn" / "Cargo.toml"],
                   env={"TASKS": tasks, "ROUNDS": rounds})
    python = json_of([python_with_pebble(), PEERS / "python_peers.py", tasks, workers, rounds])
    times = {**rust["seconds_per_task"], **python["seconds_per_task"]}
    ours = times["this_pool"]

    def time(key):
        seconds = times[key]
        shown = f"{seconds * 1e9:.0f} ns" if seconds < 1e-5 else f"{seconds * 1e6:.0f} µs"
        ratio = seconds / ours
        return f"{shown} ({ratio:,.0f}×)" if ratio >= 10 else f"{shown} ({ratio:.2g}×)"

    rows = [
        ("this pool (`ProcessPool::run`)", "this_pool"),
        ("rayon, in process (the `Runner`)", "rayon"),
        ("procspawn `Pool`, one `spawn` a task", "procspawn"),
        ("`multiprocessing.Pool.map`", "multiprocessing_pool_map"),
        ("`ProcessPoolExecutor.map`", "executor_map"),
        ("pebble `ProcessPool.map`", "pebble_map"),
    ]
    out = [f"{tasks} tasks (squaring a number), {workers} workers, "
           f"median of {rounds} rounds, time per task (× this pool's):", "",
           "| pool | time per task |", "|---|---|"]
    out += [f"| {name} | {time(key)} |" for name, key in rows]
    out += ["", "What each reported, in this run:", ""]
    out += [f"- {key}: {value}" for key, value in {**rust, **python}.items()
            if key != "seconds_per_task"]
    text = "\n".join(out) + "\n"
    print(text, end="")
    if "--record" in sys.argv[1:]:
        RECORD.write_text(text)
        print(f"written to {RECORD.relative_to(ROOT)}", file=sys.stderr)

if __name__ == "__main__":
    main()
