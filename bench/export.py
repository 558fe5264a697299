"""Rows per second and peak memory of the decision log's CSV export (Django side).

`python -m bench.export` (DATABASE_URL: one dataset) writes the CSV of every
decision through the export's own code (safety.decision_log.export_rows and
core.csv_export, the list's order), throwing the bytes away, and reports rows
per second and how far the process's peak resident memory rose meanwhile: a
streamed export holds one chunk of rows, whatever the log's size.
"""

import resource
import sys
import time

from bench.djangoside import progress, result, setup


def peak_rss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    setup()
    from core.csv_export import csv_lines
    from safety.calibration_models import DecisionLog
    from safety.decision_log import EXPORT_HEADER, export_rows

    decisions = DecisionLog.objects.filter(kind__in=DecisionLog.DECISIONS).order_by(
        "-created_at", "-id"
    )
    progress("export: streaming every decision as CSV")
    before = peak_rss_mb()
    rows = size = 0
    start = time.perf_counter()
    for line in csv_lines(EXPORT_HEADER, export_rows(decisions)):
        rows += 1
        size += len(line.encode())
    seconds = time.perf_counter() - start
    rows -= 1  # the header
    result(
        {
            "rows": rows,
            "megabytes": round(size / 2**20, 1),
            "seconds": round(seconds, 2),
            "rows_per_second": round(rows / seconds) if seconds else None,
            "peak_memory_rise_mb": round(peak_rss_mb() - before, 1),
        }
    )


if __name__ == "__main__":
    sys.exit(main())
