# Chapter 7, in Python: the article joins its workers *before* draining the
# queue. With a result bigger than the pipe holds, the worker cannot exit
# until someone reads, so that join() would wait forever. Each worker says
# when its put() has returned; then a worker with a small result (the
# control) has ended within the join's timeout, and one with a large result
# has not: it is not slow, it waits for a reader. Then the script drains.
from multiprocessing import Event, Process, Queue

def worker(queue, size, sent):
    queue.put("x" * size)
    sent.set()  # put() has returned; all that is left is to exit

def run(size):
    queue, sent = Queue(), Event()
    child = Process(target=worker, args=(queue, size, sent))
    child.start()
    sent.wait()
    child.join(timeout=0.5)
    alive = child.is_alive()
    result = queue.get()
    child.join()
    return alive, len(result), child.is_alive()

if __name__ == "__main__":
    for name, size in [("small", 1 << 10), ("large", 1 << 20)]:
        stuck, got, alive = run(size)
        print(f"{name} result: alive after join: {stuck}; after draining: alive {alive}, got {got} bytes")
