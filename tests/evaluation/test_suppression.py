"""Small cells are hidden, and no hidden cell can be derived from what is shown."""

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from safehaven.evaluation.suppression import K, protect


def derivable(cells, groups, hidden, suppressed):
    """Return every cell an attacker can compute from the shown cells (the audit, rewritten)."""
    known = {k for k in cells if k not in hidden and k not in suppressed}
    changed = True
    while changed:
        changed = False
        for group in groups:
            unknown = [k for k in group if k not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    return known


def test_a_single_small_cell_takes_a_complement_with_it():
    cells = {"a": 5, "b": 40, "c": 30, "total": 75}
    suppressed = protect(cells, [["a", "b", "c", "total"]])
    assert "a" in suppressed and len(suppressed) == 2
    assert "a" not in derivable(cells, [["a", "b", "c", "total"]], set(), suppressed)


def test_a_small_hidden_complement_cannot_be_found_by_subtraction():
    cells = {"retained": 25, "not_retained": 4, "eligible": 29}
    suppressed = protect(cells, [["retained", "not_retained", "eligible"]], hidden={"not_retained"})
    assert suppressed & {"retained", "eligible"}


def test_zero_and_large_cells_are_shown():
    cells = {"a": 0, "b": 12, "total": 12}
    assert protect(cells, [["a", "b", "total"]]) == set()


def test_two_way_table_needs_suppression_in_rows_and_columns():
    cells = {}
    groups = []
    values = [[3, 20, 30], [15, 25, 35], [40, 50, 12]]
    for r, row in enumerate(values):
        for c, v in enumerate(row):
            cells[(r, c)] = v
        cells[(r, "T")] = sum(row)
        groups.append([(r, c) for c in range(3)] + [(r, "T")])
    for c in range(3):
        cells[("T", c)] = sum(values[r][c] for r in range(3))
        groups.append([(r, c) for r in range(3)] + [("T", c)])
    cells[("T", "T")] = sum(cells[("T", c)] for c in range(3))
    groups.append([("T", c) for c in range(3)] + [("T", "T")])
    groups.append([(r, "T") for r in range(3)] + [("T", "T")])
    suppressed = protect(cells, groups)
    assert (0, 0) in suppressed
    assert (0, 0) not in derivable(cells, groups, set(), suppressed)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=40), min_size=2, max_size=4), min_size=2, max_size=4))
def test_no_sensitive_cell_is_ever_derivable(rows):
    width = min(len(r) for r in rows)
    rows = [r[:width] for r in rows]
    cells, groups = {}, []
    for r, row in enumerate(rows):
        for c in range(width):
            cells[(r, c)] = row[c]
        cells[(r, "T")] = sum(row)
        groups.append([(r, c) for c in range(width)] + [(r, "T")])
    for c in range(width):
        cells[("T", c)] = sum(row[c] for row in rows)
        groups.append([(r, c) for r in range(len(rows))] + [("T", c)])
    cells[("T", "T")] = sum(sum(r) for r in rows)
    groups.append([(r, "T") for r in range(len(rows))] + [("T", "T")])
    suppressed = protect(cells, groups)
    known = derivable(cells, groups, set(), suppressed)
    for key, value in cells.items():
        if 0 < value < K:
            assert key in suppressed and key not in known


def test_random_tables_with_hidden_cells_leak_nothing():
    rng = random.Random(7)
    for _ in range(200):
        cells = {f"c{i}": rng.choice([0, 3, 8, 11, 15, 40]) for i in range(5)}
        hidden = {"c4"}
        groups = [list(g) for g in itertools.combinations(sorted(cells), 3)][:4]
        suppressed = protect(cells, groups, hidden=hidden)
        known = derivable(cells, groups, hidden, suppressed)
        assert not any(0 < cells[k] < K and k in known for k in cells)
