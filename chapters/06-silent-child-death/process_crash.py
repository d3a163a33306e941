# Chapter 6, in Python: a multiprocessing.Process child that raises.
# The article says a non-zero exitcode comes with no traceback; CPython 3.11
# prints the child's traceback to the inherited stderr, and exitcode is 1.
import os
import signal
from multiprocessing import Process

def crasher():
    raise RuntimeError("checksum mismatch in block 7")

def killed():
    os.kill(os.getpid(), signal.SIGKILL)

if __name__ == "__main__":
    child = Process(target=crasher)
    child.start()
    child.join()
    print(f"exitcode: {child.exitcode}")
    child = Process(target=killed)
    child.start()
    child.join()
    print(f"killed child's exitcode: {child.exitcode}")
