"""Pages of big tables without COUNT(*) over the whole table.

Two kinds, both with OFFSET kept small on any table, so past the last page
people narrow the filters instead:

- `BoundedPaginator`, for admin changelists: counts matching rows only up to a
  limit (a COUNT over `LIMIT n + 1`), so the count costs at most n index
  entries however large the table; above it the page says "more than n", with
  the planner's estimate of the table's size when nothing is filtered.
- `window`, for our own pages: no count at all, one row more than it shows.
"""

import math
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


class BoundedPaginator(Paginator):
    """Counts at most `count_limit` rows (by default `settings.ADMIN_COUNT_LIMIT`,
    rounded up to whole pages); pages stop there.

    `count` is the bounded count, so when capped it is one more than `limit`:
    Django's changelist then still paginates, and never falls back to showing
    its whole queryset as it does for a single page.
    """

    def __init__(self, *args, count_limit: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_limit = settings.ADMIN_COUNT_LIMIT if count_limit is None else count_limit

    @cached_property
    def limit(self) -> int:
        pages = max(1, math.ceil(self.count_limit / self.per_page))
        return pages * self.per_page

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by().values("pk")[: self.limit + 1].count()

    def counted(self, total: int) -> None:
        """Take `total`, the rows of `object_list` as another query of the same
        request counted them, instead of counting them again (bounded as `count`)."""
        self.__dict__["count"] = min(total, self.limit + 1)

    @property
    def capped(self) -> bool:
        """More rows match than were counted."""
        return self.count > self.limit

    @cached_property
    def num_pages(self) -> int:
        shown = min(self.count, self.limit)
        if shown == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(shown / self.per_page))

    @cached_property
    def estimated_total(self) -> int | None:
        """The planner's row estimate for the table, when the list is capped and
        shows the whole table (no filter, no search): one catalogue lookup."""
        if not self.capped or self.object_list.query.where:
            return None
        # The list's own database: the replica, when the page reads from it.
        with connections[self.object_list.db].cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [self.object_list.model._meta.db_table],
            )
            row = cursor.fetchone()
        return row[0] if row and row[0] > 0 else None


@dataclass(frozen=True)
class Window:
    rows: list
    number: int
    has_next: bool
    at_limit: bool  # more rows exist beyond the last page offered

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def page_number(raw) -> int:
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1


def window(queryset, *, number: int, per_page: int, max_pages: int) -> Window:
    number = min(number, max_pages)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    more = len(rows) > per_page
    return Window(
        rows=rows[:per_page],
        number=number,
        has_next=more and number < max_pages,
        at_limit=more and number == max_pages,
    )
