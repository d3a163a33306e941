# Chapter 3, in Python: apply_async tasks that raise, with no .get() on
# their results. Nothing is printed and the exit status is 0.
from multiprocessing import Pool

def deliver(recipient):
    if "@" not in recipient:
        raise ValueError(f"cannot deliver to {recipient!r}")

if __name__ == "__main__":
    recipients = ["ana@example.org", "bob.example.org", "", "eve@example.org"]
    with Pool(2) as pool:
        pending = [pool.apply_async(deliver, (r,)) for r in recipients]
        pool.close()
        pool.join()  # every task has finished; no one asks how
    print(f"sent {len(recipients)} notifications")
