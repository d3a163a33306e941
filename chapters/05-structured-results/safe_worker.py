# Chapter 5, in Python: the article's structured-result worker catches
# Exception. A task that raises SystemExit (a BaseException) escapes it and
# takes its pool worker down. The pool notices and starts a new worker, but
# it never fails the task that was lost: the map waits for it forever.
import sys
from multiprocessing import Pool, active_children

def safe_parse(line):
    try:
        if line == "HALT":
            sys.exit(3)
        symbol, cents = line.split("=")
        return (line, int(cents), None)
    except Exception as error:
        return (line, None, repr(error))

if __name__ == "__main__":
    feed = ["ACME=1250", "BOLT=abc", "HALT", "ZINC=990"]
    # One worker takes the tasks in order, so every task of the map has been
    # handed out before the check below, and every result but a lost one has
    # come back before the check's own result does.
    with Pool(1) as pool:
        first = [worker.pid for worker in active_children()]
        pending = pool.map_async(safe_parse, feed, chunksize=1)
        # The control: a task sent after the map's. It can only run on a
        # worker that started after HALT's worker died.
        check = pool.apply(safe_parse, ("CHECK=1",))
        now = [worker.pid for worker in active_children()]
        print(f"a task sent after the map finished: {check}")
        print(f"the pool replaced its worker: {first != now}")
        print(f"the map is still waiting: {not pending.ready()}")
        print("and no error says which input was lost")
