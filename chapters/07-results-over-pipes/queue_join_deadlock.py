# Chapter 7, in Python: the article joins its workers *before* draining the
# queue. With a result bigger than the pipe holds, the worker cannot exit
# until someone reads, so that join() would wait forever. Here the join has
# a timeout, so the script can say so and then drain.
from multiprocessing import Process, Queue

def worker(queue):
    queue.put("x" * (1 << 20))  # a 1 MiB result

if __name__ == "__main__":
    queue = Queue()
    child = Process(target=worker, args=(queue,))
    child.start()
    child.join(timeout=0.3)
    print(f"alive after join: {child.is_alive()}")
    result = queue.get()
    child.join()
    print(f"after draining: alive {child.is_alive()}, got {len(result)} bytes")
