"""Pages of big tables without COUNT(*).

A page fetches one row more than it shows, to know whether another follows;
page numbers stop at `max_pages`, so OFFSET stays small on any table. Past the
last page, people narrow the filters instead.
"""

from dataclasses import dataclass


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
