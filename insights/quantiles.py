"""Quantiles read from the rollups' duration histograms (insights.models)."""

import math

# Bucket b >= 1 holds [2^((b-1)/4), 2^(b/4)) seconds: each bound 19% above the last.
RESOLUTION = 2**0.25 - 1


def bucket_upper(bucket: int) -> float:
    """The largest duration (seconds) bucket `bucket` may hold."""
    return 1.0 if bucket <= 0 else 2 ** (bucket / 4)


def quantile(counts: dict[int, int], q: float) -> float | None:
    """The q-quantile (0 < q <= 1) of a histogram {bucket: count}, as the upper
    bound of the bucket holding it: at most RESOLUTION above the true value.
    None for an empty histogram."""
    total = sum(n for n in counts.values() if n > 0)
    if not total:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for bucket in sorted(counts):
        seen += max(counts[bucket], 0)
        if seen >= rank:
            return bucket_upper(bucket)
    return bucket_upper(max(counts))
