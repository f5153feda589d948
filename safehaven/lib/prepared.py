"""Prepared queries: a queryset compiled to SQL once per process, then run with new values.

Building a queryset and compiling it to SQL costs Django about as much CPU as the database
spends answering a small indexed query, and the chart, the worklist and the referral list
run dozens of such queries a request. A prepared query is written as an ordinary function
that returns a queryset; the values that change from call to call are declared with their
field types:

    @prepared(person=models.BigIntegerField())
    def newest_encounters(person, *, limit):
        return Encounter.objects.filter(person_id=person).order_by("-started_at")[:limit]

    rows = newest_encounters.list(person=person.pk, limit=10)

On first use (per database alias and per set of *shape* arguments, here ``limit``) the
function is called with markers (`Slot`) in place of the declared values, and the queryset
is compiled once. Each later call clones the queryset, binds the values (each converted by
its field's ``get_db_prep_value``, as the ORM converts a literal) and lets Django's own
iterables turn the rows into model instances, so ``select_related``, ``values()``,
``only()`` and ``prefetch_related`` behave as usual.

Rules for a prepared function, enforced where possible:

* it must not branch on a declared value (at preparation it holds a `Slot`, not the value);
  anything that changes the shape of the SQL (a limit, a flag) is a keyword argument
  without a declared type, and becomes part of the cache key;
* declared values go where the ORM accepts an expression (``field=slot``, ``field__gte=slot``);
  a list for ``__in`` is declared with `many` (``ids=many(models.BigIntegerField())``): the
  function receives one marker per item, and the list's length is part of the shape.

With ``CHECK`` on (the test suite turns it on), every call also runs the plain ORM version
with the real values and fails loudly if the rows differ; the extra query is not counted
by ``assertNumQueries``.
"""

import copy
import threading
from collections.abc import Callable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Expression, Field, QuerySet
from django.db.models.expressions import ExpressionList

CHECK = False  # tests: compare every prepared call with the ORM's own answer
MAX_SHAPES = 64  # compiled shapes kept per query and database; beyond, the oldest is dropped


class Slot(Expression):
    """A named value, bound each time the prepared query runs."""

    def __init__(self, name: str, output_field: Field):
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [self]

    def __repr__(self):
        return f"Slot({self.name!r})"

    def __hash__(self):
        return hash((Slot, self.name))

    def __eq__(self, other):
        return isinstance(other, Slot) and other.name == self.name


class many:  # noqa: N801 - reads as a declaration: ids=many(models.BigIntegerField())
    """Declare a list value (for ``__in``): each item is bound like a value of `field`."""

    def __init__(self, field: Field):
        if not isinstance(field, Field):
            raise TypeError("many() needs a model field instance, e.g. models.BigIntegerField()")
        self.field = field


class _Items(list):
    """The markers of a list value: iterable item by item, or used whole for ``__in``.

    Used whole it becomes one ExpressionList: a lookup across a relation (``fk_id__in``)
    would otherwise run each item through the field's get_prep_value, which takes values only.
    """

    def __init__(self, items: list, field: Field):
        super().__init__(items)
        self.field = field

    def resolve_expression(self, *args, **kwargs):
        if not self:
            return []  # as a plain empty list: the lookup matches nothing, the compiler says so
        return ExpressionList(*self, output_field=self.field).resolve_expression(*args, **kwargs)


class _Compiled:
    __slots__ = ("queryset", "compiler", "sql", "params", "binders", "converters")

    def __init__(self, queryset: QuerySet, compiler, sql: str, params: tuple):
        self.queryset, self.compiler, self.sql, self.params = queryset, compiler, sql, params
        self.binders = [(i, p.name, p.output_field) for i, p in enumerate(params) if isinstance(p, Slot)]
        # The row converters Django works out on every run (about a tenth of a chart's CPU),
        # worked out once per connection (they are the connection's bound methods).
        self.converters: dict[int, tuple] = {}

    def converters_for(self, compiler, connection) -> dict:
        entry = self.converters.get(id(connection))
        if entry is None or entry[0] is not connection:
            fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
            entry = (connection, compiler.get_converters(fields))
            self.converters[id(connection)] = entry
        return entry[1]


class Prepared:
    """A function returning a queryset, compiled once per database and shape."""

    def __init__(self, build: Callable[..., QuerySet], slots: dict[str, Field]):
        self.build = build
        self.slots = slots
        self.__name__ = getattr(build, "__name__", "prepared")
        self.__doc__ = build.__doc__
        self._cache: dict[tuple, _Compiled] = {}
        self._lock = threading.Lock()

    def __repr__(self):
        return f"<prepared {self.__module__}.{self.__name__}>"

    def _split(self, values: dict) -> tuple[dict, dict]:
        missing = set(self.slots) - set(values)
        if missing:
            raise TypeError(f"{self.__name__}() needs values for {', '.join(sorted(missing))}")
        bound = {}
        shape = {k: v for k, v in values.items() if k not in self.slots}
        for name, field in self.slots.items():
            if isinstance(field, many):
                items = values[name]
                bound.update((f"{name}[{i}]", item) for i, item in enumerate(items))
                shape[f"len({name})"] = len(items)
            else:
                bound[name] = values[name]
        return bound, shape

    def _compiled(self, alias: str, shape: dict) -> _Compiled:
        key = (alias, tuple(sorted(shape.items())))
        compiled = self._cache.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._cache.get(key)
                if compiled is None:
                    markers: dict[str, Any] = {}
                    for name, field in self.slots.items():
                        if isinstance(field, many):
                            length = shape[f"len({name})"]
                            markers[name] = _Items(
                                [Slot(f"{name}[{i}]", field.field) for i in range(length)], field.field)
                        else:
                            markers[name] = Slot(name, field)
                    plain = {k: v for k, v in shape.items() if not k.startswith("len(")}
                    queryset = self.build(**markers, **plain)
                    if not isinstance(queryset, QuerySet):
                        raise TypeError(f"{self.__name__}() must return a QuerySet, not {type(queryset).__name__}")
                    queryset = queryset.using(alias)
                    compiler = queryset.query.get_compiler(using=alias)
                    try:
                        sql, params = compiler.as_sql()
                    except EmptyResultSet:  # e.g. an empty list for __in: no query, no rows
                        sql, params = "", ()
                    compiled = _Compiled(queryset, compiler, sql, tuple(params))
                    while self._cache and len(self._cache) >= MAX_SHAPES:
                        self._cache.pop(next(iter(self._cache)))
                    self._cache[key] = compiled
        return compiled

    def list(self, using: str | None = None, **values) -> list:
        """Run the query with these values and return its rows (model instances, dicts…)."""
        for name, field in self.slots.items():
            if isinstance(field, many) and name in values:
                values[name] = list(values[name])  # read an iterator once, for the check too
        bound, shape = self._split(values)
        alias = using or DEFAULT_DB_ALIAS
        compiled = self._compiled(alias, shape)
        if not compiled.sql:
            return []
        connection = connections[alias]
        params = list(compiled.params)
        for index, name, field in compiled.binders:
            params[index] = field.get_db_prep_value(bound[name], connection, prepared=False)
        sql = compiled.sql

        compiler = copy.copy(compiled.compiler)
        compiler.connection = connection
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        converters = compiled.converters_for(compiler, connection)
        compiler.get_converters = lambda expressions: converters
        queryset = compiled.queryset._chain()
        queryset.query.get_compiler = lambda using=None, connection=None, elide_empty=True: compiler
        rows = list(queryset)
        if CHECK:
            _check(self, alias, values, rows)
        return rows

    def exists(self, using: str | None = None, **values) -> bool:
        """Return whether the query has any row (write the function with a limit of 1)."""
        return bool(self.list(using=using, **values))

    def first(self, using: str | None = None, **values) -> Any:
        """Return the first row, or None (the function's own ordering and limit apply)."""
        rows = self.list(using=using, **values)
        return rows[0] if rows else None


def _identity(row: Any) -> Any:
    pk = getattr(row, "pk", None)
    if pk is not None:
        return (type(row).__name__, pk)
    return row


def _check(prepared: Prepared, alias: str, values: dict, rows: list) -> None:
    connection = connections[alias]
    log_length = len(connection.queries_log)
    try:
        expected = list(prepared.build(**values).using(alias))
    finally:
        while len(connection.queries_log) > log_length:
            connection.queries_log.pop()
    got, want = [_identity(r) for r in rows], [_identity(r) for r in expected]
    if got != want:
        raise AssertionError(f"prepared query {prepared.__name__} returned {got!r}, the ORM {want!r}")


def prepared(**slots: Field) -> Callable[[Callable[..., QuerySet]], Prepared]:
    """Declare a prepared query; keyword arguments name its values and their field types."""
    for name, field in slots.items():
        if not isinstance(field, Field | many):
            raise TypeError(f"prepared({name}=…) needs a model field instance, e.g. models.BigIntegerField()")

    def decorate(build: Callable[..., QuerySet]) -> Prepared:
        result = Prepared(build, slots)
        result.__module__ = build.__module__
        return result

    return decorate
