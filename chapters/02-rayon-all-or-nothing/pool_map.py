# Chapter 2, in Python: Pool.map re-raises one worker's exception in the
# parent, and the results of every other input are gone with it.
from multiprocessing import Pool

def parse(line):
    sku, quantity, total = line.split(":")
    return int(total) // int(quantity)

if __name__ == "__main__":
    lines = ["gear:4:1000", "nut:10:50", "bolt:0:300", "axle:2:900"]
    results = None
    try:
        with Pool(2) as pool:
            results = pool.map(parse, lines)
    except Exception as error:
        print(f"map raised {type(error).__name__}: {error}")
    print(f"results: {results}")
