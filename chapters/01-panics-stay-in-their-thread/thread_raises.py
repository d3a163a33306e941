# Chapter 1, in Python: an exception in a thread is printed by
# threading.excepthook, and the main thread carries on to exit 0.
import threading

readings = ["12", "7", "30", "n/a", "5", "9"]
values = []

def parse(raw):
    values.append(int(raw))

threads = [threading.Thread(target=parse, args=(raw,)) for raw in readings]
for t in threads:
    t.start()
for t in threads:
    t.join()  # join() returns normally even though the thread raised
print(f"summed {len(values)} readings: total = {sum(values)}")
