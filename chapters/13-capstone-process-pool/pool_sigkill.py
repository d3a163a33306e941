# Chapter 13, in Python: a multiprocessing.Pool worker killed with SIGKILL.
# The pool goes on answering new tasks, but the task that was running is
# never answered, so map_async(...).get() waits until its timeout.
import os
import signal
from multiprocessing import Pool, TimeoutError

def task(n):
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return n * n

if __name__ == "__main__":
    with Pool(2) as pool:
        pending = pool.map_async(task, range(8))
        try:
            print(pending.get(timeout=0.3))
        except TimeoutError:
            print("no results after 300 ms: the map waits for a task that will never finish")
        print(f"a task submitted afterwards is answered: {pool.apply_async(task, (4,)).get(timeout=10)}")
        print(f"and the map is still waiting: {not pending.ready()}")
