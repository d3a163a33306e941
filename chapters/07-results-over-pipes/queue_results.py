# Chapter 7, in Python: the article's Queue pattern. A worker that dies
# before its put() (here with os._exit, as a crash in C code would) leaves a
# shorter queue, and the drain loop cannot tell.
import os
from multiprocessing import Process, Queue

def worker(queue, order):
    name, quantity = order.split(":")
    if quantity == "huge":
        os._exit(134)  # dies before sending, as an abort would
    try:
        queue.put((order, 100 // int(quantity), None))
    except Exception as error:
        queue.put((order, None, repr(error)))

if __name__ == "__main__":
    orders = ["gear:4", "bolt:x", "axle:8", "belt:huge"]
    queue = Queue()
    workers = [Process(target=worker, args=(queue, order)) for order in orders]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    results = []
    while not queue.empty():
        results.append(queue.get())
    for order, boxes, error in sorted(results):
        print(f"{order}: {boxes if error is None else error}")
    print(f"{len(results)} results")
