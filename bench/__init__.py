"""`make bench`: how fast our admin pages, saves, review queue and publish
workers are on 10k and 1M videos, beside a stock Django admin of the same data.

`python -m bench --help` (inside `scripts/stack.sh bench`) lists the options;
README.md, section Benchmarks, says what is measured and how.
"""
