# Chapter 9, in Python: no `if __name__ == "__main__":` guard, with the
# "spawn" start method (the default on Windows and macOS). Each child
# re-imports this file, reaches the Pool again, and is stopped by
# multiprocessing's own bootstrap check.
import multiprocessing

def double(x):
    return x * 2

multiprocessing.set_start_method("spawn", force=True)
with multiprocessing.Pool(2) as pool:
    try:
        print(pool.map_async(double, [1, 2]).get(timeout=0.3))
    except multiprocessing.TimeoutError:
        print("no result after 300 ms: the pool's workers keep failing to start")
