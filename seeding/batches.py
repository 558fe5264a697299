"""Running seed batches on threads of their own, as seed_scale's rows and
their history both do."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed


def load_in_parallel(
    todo, load: Callable, *, jobs: int, name: str, record: Callable, progress
) -> None:
    """`load(first, last)` for each batch of `todo` on `jobs` threads;
    `record(*what load returned)` and `progress(videos)` as each one ends."""
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix=name)
    try:
        futures = {pool.submit(load, first, last): (first, last) for first, last in todo}
        for future in as_completed(futures):
            record(*future.result())
            if progress:
                first, last = futures[future]
                progress(last - first + 1)
    finally:
        # On an error or Ctrl-C: batches under way finish (each commits
        # whole), the others never start.
        pool.shutdown(wait=True, cancel_futures=True)
