# Chapter 9, in Python: no `if __name__ == "__main__":` guard, with the
# start method named on the command line: "spawn" (the default on Windows
# and macOS, and this script's) or "forkserver" (Linux's default from
# CPython 3.14). Either one re-imports this file in a fresh interpreter,
# which reaches the Pool again and is stopped by multiprocessing's own
# bootstrap check.
import multiprocessing
import multiprocessing.connection
import sys
import time

def double(x):
    return x * 2

# Waits for workers to end, not for a clock: a slow machine only takes
# longer. The cap keeps a pool that behaves otherwise from hanging here.
PATIENCE = 60

def one_ends(workers):
    return bool(multiprocessing.connection.wait([w.sentinel for w in workers], PATIENCE))

START_METHOD = sys.argv[1] if len(sys.argv) > 1 else "spawn"
multiprocessing.set_start_method(START_METHOD, force=True)
with multiprocessing.Pool(2) as pool:
    first = multiprocessing.active_children()
    pending = pool.map_async(double, [1, 2])
    if one_ends(first):
        print("a worker ended before running a task")
    # The pool starts replacements in a thread of its own; look for them.
    give_up = time.monotonic() + PATIENCE
    replacements = []
    while not replacements and time.monotonic() < give_up:
        pending.wait(0.01)
        replacements = [w for w in multiprocessing.active_children() if w not in first]
    if replacements and one_ends(replacements):
        print("the pool replaced it, and a replacement ended too")
    print(f"the map is still waiting: {not pending.ready()}")
