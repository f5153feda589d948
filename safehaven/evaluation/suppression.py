"""Small-cell suppression with complementary suppression.

Every cell counting 1 to K-1 people (K = 11) is hidden (primary suppression). Then we
audit the table as an attacker would: cells that are shown are known; any cell that is
the only unknown one in a linear relation (parts + total) becomes known too, repeatedly.
Whenever a sensitive cell could be derived that way, one more shown cell of that
relation is hidden (the smallest, so the least information is lost), and the audit
starts again. Hidden cells (never shown, e.g. "not retained") take part in relations
so that a small complement cannot be derived by subtraction either.

Filters (site, quarter) only choose which part of one protected table is shown, so
narrowing a filter can never reveal a difference the whole table hides.
"""

from collections.abc import Hashable, Iterable

K = 11


def is_sensitive(value: int | None, k: int = K) -> bool:
    return value is not None and 0 < value < k


def protect(
    cells: dict[Hashable, int], groups: Iterable[list[Hashable]], *, hidden: Iterable[Hashable] = (), k: int = K,
) -> set[Hashable]:
    """Return the keys of the shown cells that must be suppressed."""
    groups = [list(dict.fromkeys(g)) for g in groups if len(g) > 1]
    hidden = set(hidden)
    sensitive = {key for key, value in cells.items() if is_sensitive(value, k)}
    suppressed = {key for key in sensitive if key not in hidden}
    by_cell: dict[Hashable, list[int]] = {}
    for index, group in enumerate(groups):
        for key in group:
            by_cell.setdefault(key, []).append(index)
    while True:
        leak = _first_leak(cells, groups, hidden, suppressed, sensitive, by_cell)
        if leak is None:
            return suppressed
        index, derived_by = leak
        candidates = _candidates(index, groups, cells, hidden, suppressed, derived_by)
        if not candidates:  # cannot happen for a group that leaked, but never loop forever
            return suppressed | {key for key in cells if key not in hidden}
        suppressed.add(min(candidates, key=lambda key: (cells.get(key, 0) == 0, cells.get(key, 0), str(key))))


def _candidates(index, groups, cells, hidden, suppressed, derived_by) -> list:
    """Return the shown cells whose suppression breaks the leak through relation `index`.

    These are the shown cells of the relation; when every other cell of it is already
    suppressed but was worked out through other relations, the shown cells of those.
    """
    seen, queue = set(), [index]
    out: list = []
    while queue and not out:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        out = [key for key in groups[current] if key not in hidden and key not in suppressed]
        for key in groups[current]:
            if key in derived_by and derived_by[key] != current:
                queue.append(derived_by[key])
    return out


def _first_leak(cells, groups, hidden, suppressed, sensitive, by_cell):
    """Return (index of a relation through which a sensitive cell can be derived, how each
    derived cell was found), or None."""
    known = {key for key in cells if key not in hidden and key not in suppressed}
    derived_by: dict = {}
    queue = list(range(len(groups)))
    while queue:
        index = queue.pop()
        unknown = [key for key in groups[index] if key not in known]
        if len(unknown) != 1:
            continue
        derived = unknown[0]
        if derived in sensitive:
            return index, derived_by
        known.add(derived)
        derived_by[derived] = index
        queue.extend(by_cell.get(derived, []))
    return None
