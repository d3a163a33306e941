# The Python side of `cargo bench --bench pool`: the same 100k tiny tasks on
# the same number of worker processes, with multiprocessing.Pool.map and
# concurrent.futures.ProcessPoolExecutor.map. Prints one JSON object of
# median seconds. Usage: python3 scripts/bench_pool.py TASKS WORKERS ROUNDS
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool


def square(n):
    return n * n


# Untimed rounds first, as on the Rust side.
WARM_UP = 3


def timed(rounds, run, warm_up=WARM_UP):
    """The median time of run(); its result is dropped after the clock stops."""
    times = []
    for done in range(warm_up + rounds):
        start = time.perf_counter()
        result = run()
        elapsed = time.perf_counter() - start
        del result
        if done >= warm_up:
            times.append(elapsed)
    return statistics.median(times)


if __name__ == "__main__":
    tasks, workers, rounds = (int(arg) for arg in sys.argv[1:4])
    inputs = list(range(tasks))
    with Pool(workers) as pool:
        pool.map(square, range(workers))  # start the workers first
        pool_map = timed(rounds, lambda: pool.map(square, inputs))
    with ProcessPoolExecutor(workers) as executor:
        list(executor.map(square, range(workers)))
        # The executor's default chunksize is 1; it is slow enough that one
        # round, without a warm-up, says all there is to say.
        executor_map = timed(1, lambda: list(executor.map(square, inputs)), warm_up=0)
        executor_chunked = timed(rounds, lambda: list(executor.map(square, inputs, chunksize=1000)))
    print(json.dumps({
        "pool_map": pool_map,
        "executor_map": executor_map,
        "executor_map_chunksize_1000": executor_chunked,
    }))
