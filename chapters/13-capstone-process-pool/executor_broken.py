# Chapter 13, in Python: a ProcessPoolExecutor worker killed with SIGKILL.
# The executor notices: the task's future raises BrokenProcessPool, and so
# does every later use of the executor.
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

def task(n):
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return n * n

if __name__ == "__main__":
    with ProcessPoolExecutor(2) as executor:
        killed = executor.submit(task, 3)
        try:
            killed.result(timeout=10)
        except BrokenProcessPool as error:
            print(f"killed task: BrokenProcessPool: {error}")
        try:
            executor.submit(task, 4).result(timeout=10)
        except BrokenProcessPool:
            print("next task: BrokenProcessPool (the whole executor is unusable)")
