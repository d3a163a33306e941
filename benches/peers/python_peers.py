# Chapter 13's peers in Python, measured beside its pool: multiprocessing's
# Pool, concurrent.futures' ProcessPoolExecutor and pebble's ProcessPool, on
# the same tiny tasks (squaring a number) with the same number of workers.
# Prints one JSON object: the median time per task of each, and what each
# reports when a task's worker is killed with SIGKILL or outlives a timeout.
# Usage: python3 benches/peers/python_peers.py TASKS WORKERS ROUNDS
# (pebble must be importable: scripts/bench_peers.py installs it in a venv).
import json
import multiprocessing
import os
import signal
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import pebble


def square(n):
    return n * n


def kill_self(_):
    os.kill(os.getpid(), signal.SIGKILL)


def sleep_long(_):
    time.sleep(60)


def per_task(rounds, tasks, run):
    """The median time per task of `rounds` runs, after one warm-up run."""
    inputs = list(range(tasks))
    times = []
    for done in range(rounds + 1):
        start = time.perf_counter()
        squares = run(inputs)
        elapsed = time.perf_counter() - start
        assert squares == [n * n for n in inputs]
        if done:
            times.append(elapsed / tasks)
    return statistics.median(times)


def described(error):
    """The exception as a report would show it, with pebble's exit code."""
    text = f"{type(error).__name__}: {error}"
    if hasattr(error, "exitcode"):
        text += f" (exitcode {error.exitcode})"
    return text


def main():
    tasks, workers, rounds = (int(arg) for arg in sys.argv[1:4])
    out = {"seconds_per_task": {}}
    times = out["seconds_per_task"]

    with multiprocessing.Pool(workers) as pool:
        pool.map(square, range(workers))
        times["multiprocessing_pool_map"] = per_task(rounds, tasks, lambda i: pool.map(square, i))
        lost = pool.map_async(kill_self, [0])
        try:
            lost.get(timeout=1)
            out["multiprocessing_sigkill"] = "answered"
        except multiprocessing.TimeoutError:
            out["multiprocessing_sigkill"] = "no answer within 1 s"
        out["multiprocessing_after_sigkill"] = pool.apply(square, (3,))
        pool.terminate()

    with ProcessPoolExecutor(workers) as executor:
        list(executor.map(square, range(workers)))
        times["executor_map"] = per_task(rounds, tasks, lambda i: list(executor.map(square, i)))
    with ProcessPoolExecutor(workers) as executor:
        try:
            executor.submit(kill_self, 0).result()
        except Exception as error:
            out["executor_sigkill"] = described(error)
        try:
            executor.submit(square, 3).result()
            out["executor_after_sigkill"] = "answered"
        except Exception as error:
            out["executor_after_sigkill"] = described(error)

    with pebble.ProcessPool(max_workers=workers) as pool:
        list(pool.map(square, range(workers)).result())
        times["pebble_map"] = per_task(rounds, tasks, lambda i: list(pool.map(square, i).result()))
        out["pebble_sigkill"] = described(pool.schedule(kill_self, args=[0]).exception())
        out["pebble_after_sigkill"] = pool.schedule(square, args=[3]).result()
        out["pebble_timeout"] = described(
            pool.schedule(sleep_long, args=[0], timeout=0.3).exception())
        pool.stop()

    out["pebble_version"] = pebble.__version__
    out["python_version"] = sys.version.split()[0]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
