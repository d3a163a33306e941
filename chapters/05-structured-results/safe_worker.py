# Chapter 5, in Python: the article's structured-result worker catches
# Exception. A task that raises SystemExit (a BaseException) escapes it,
# takes its pool worker down, and its result never arrives.
import sys
from multiprocessing import Pool, TimeoutError

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
    with Pool(2) as pool:
        pending = pool.map_async(safe_parse, feed)
        try:
            for line, cents, error in pending.get(timeout=0.3):
                print(f"{line}: {cents if error is None else error}")
        except TimeoutError:
            print("no results after 300 ms: the map is stuck, and no error says why")
