# Chapter 8, in Python: an exception whose attribute cannot be pickled.
# The parent gets an error about pickling, not the exception that happened.
import threading
from multiprocessing import Pool

class GridError(Exception):
    def __init__(self, bad_cells):
        super().__init__(f"{len(bad_cells)} bad cells")
        self.lock = threading.Lock()  # not picklable
        self.bad_cells = bad_cells

def validate(sheet):
    raise GridError({(3, 4): "'n/a' is not a number"})

if __name__ == "__main__":
    with Pool(1) as pool:
        try:
            pool.apply_async(validate, ("q2",)).get(timeout=10)
        except Exception as error:
            print(f"type: {type(error).__name__}")
            print(f"mentions bad cells: {'bad cells' in str(error)}")
            print(f"mentions pickling: {'pickle' in str(error)}")
