# Chapter 4, in Python: .get() re-raises the worker's exception in the
# parent, with the worker's traceback attached as text (__cause__).
from multiprocessing import Pool

def upload_report():
    status = 503
    raise RuntimeError(f"upload of report.pdf failed with status {status}")

if __name__ == "__main__":
    with Pool(1) as pool:
        try:
            pool.apply_async(upload_report).get(timeout=10)
        except RuntimeError as error:
            print(f"type: {type(error).__name__}")
            print(f"message: {error}")
            cause = error.__cause__
            print(f"cause type: {type(cause).__name__}")
            print(f"worker frame in cause: {'in upload_report' in str(cause)}")
