"""The cases and deadlines one transaction works on, as plain rows: each read once, all written
together just before it commits.

Every change to `supervision_case` and `supervision_deadline` (and each new supervision order)
goes through the transaction's `Store`, so a handler sees what the batch's earlier handlers
changed, and the batch's writes cost one executemany per table and kind of write. (ORM objects
cost more than the rest of a handler: a validating constructor, an autoflush before each query,
a unit-of-work flush per event.)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import bindparam, cast, insert, null, select, union_all, update
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.db import before_commit
from xinfang.supervision.domain import DeadlineKind
from xinfang.supervision.models import CaseRecord, Deadline, SupervisionOrder

CASES = CaseRecord.__table__  # type: ignore[attr-defined]
DEADLINES = Deadline.__table__  # type: ignore[attr-defined]
ORDERS = SupervisionOrder.__table__  # type: ignore[attr-defined]


class Row(SimpleNamespace):
    """A table row as plain attributes."""

    columns: tuple[str, ...] = ()


class CaseRow(Row):
    """A `supervision_case` row."""


class DeadlineRow(Row):
    """A `supervision_deadline` row (`id` is None until the transaction writes it)."""


class OrderRow(Row):
    """A new `supervision_order` row."""


CaseRow.columns = tuple(CaseRecord.__table__.c.keys())  # type: ignore[attr-defined]
DeadlineRow.columns = tuple(Deadline.__table__.c.keys())  # type: ignore[attr-defined]

# What clocks.py changes: a row of the store, or an ORM row its session writes back.
AnyDeadline = DeadlineRow | Deadline


def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    """A new row's values: the model's defaults, every column present."""
    return {
        name: None if field.default is PydanticUndefined else field.default
        for name, field in model.model_fields.items()
    }


CASE_DEFAULTS = _defaults(CaseRecord)
DEADLINE_DEFAULTS = _defaults(Deadline)
ORDER_DEFAULTS = _defaults(SupervisionOrder)


@lru_cache(maxsize=256)
def _update(table: Any, key: str, columns: frozenset[str]) -> Any:
    """UPDATE of these columns of a row found by `key` (only those: SQLite rewrites the index
    entries of every column set, changed or not)."""
    values: dict[str, Any] = {name: bindparam(name) for name in sorted(columns)}
    return update(table).where(table.c[key] == bindparam(f"b_{key}")).values(values)


CASES_NAMED = select(CASES).where(CASES.c.case_no.in_(bindparam("case_nos", expanding=True)))
# A case and its deadlines in one statement: the case's line, with NULL for a deadline's columns,
# then a line per deadline, with NULL for the case's (neither when supervision has none).
CASE_FILE = union_all(
    select(*CASES.c, *(cast(null(), c.type).label(f"d_{c.name}") for c in DEADLINES.c)).where(
        CASES.c.case_no == bindparam("case_no")
    ),
    select(
        *(cast(null(), c.type).label(c.name) for c in CASES.c),
        *(c.label(f"d_{c.name}") for c in DEADLINES.c),
    ).where(DEADLINES.c.case_no == bindparam("case_no")),
)
CASE_COLUMNS = len(CASES.c)
DEADLINE_NAMES = [c.name for c in DEADLINES.c]
RESOLVE_ORDERS = (
    update(ORDERS)
    .where(
        ORDERS.c.case_no == bindparam("b_case_no"),
        ORDERS.c.deadline_kind == bindparam("b_kind"),
        ORDERS.c.status == "open",
    )
    .values(status="resolved", answered_on=bindparam("b_on"), next_escalate_on=None)
)


class Store:
    """The transaction's cases and deadlines; `Store.of(session)` gives the session's one."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.cases: dict[str, CaseRow | None] = {}  # None: not recorded yet
        self.deadlines: dict[str, dict[str, DeadlineRow]] = {}  # case_no → kind → row
        self.new_cases: list[CaseRow] = []
        self.new_deadlines: list[DeadlineRow] = []
        self.new_orders: list[OrderRow] = []
        self.loaded: list[tuple[Row, dict[str, Any]]] = []  # each read row and its values then
        self.resolved: list[dict[str, Any]] = []

    @classmethod
    def of(cls, session: AsyncSession) -> Store:
        store = session.info.get("store")
        if store is None:
            store = session.info["store"] = cls(session)
            before_commit(session, _write)
        return store  # type: ignore[no-any-return]

    # --- reading ------------------------------------------------------------------------------

    async def case(self, case_no: str) -> CaseRow | None:
        """The case's row, read once per transaction (with its deadlines); None when supervision
        has none."""
        if case_no not in self.cases:
            await self._load_file(case_no)
        return self.cases[case_no]

    async def load_cases(self, case_nos: Iterable[str]) -> None:
        """Read these cases in one query (those not read yet)."""
        wanted = sorted(set(case_nos) - self.cases.keys())
        if wanted:
            result = await self._run(CASES_NAMED, {"case_nos": wanted})
            self.cases.update(dict.fromkeys(wanted))
            self.cases.update((row.case_no, row) for row in self._track(CaseRow, result.mappings()))

    async def deadlines_of(self, case_no: str) -> dict[str, DeadlineRow]:
        """The case's deadlines by kind, read once per transaction (with the case)."""
        if case_no not in self.deadlines:
            await self._load_file(case_no)
        return self.deadlines[case_no]

    async def deadline(self, case_no: str, kind: DeadlineKind) -> DeadlineRow | None:
        return (await self.deadlines_of(case_no)).get(kind.value)

    async def _load_file(self, case_no: str) -> None:
        """Read the case and its deadlines; what the transaction holds already is kept as is."""
        lines = (await self._run(CASE_FILE, {"case_no": case_no})).all()
        if case_no not in self.cases:
            found = [line._mapping for line in lines if line.case_no is not None]
            self.cases[case_no] = self._track(CaseRow, found)[0] if found else None
        if case_no not in self.deadlines:
            found = [
                dict(zip(DEADLINE_NAMES, line[CASE_COLUMNS:], strict=True))
                for line in lines
                if line.case_no is None
            ]
            self._hold_deadlines(case_no, self._track(DeadlineRow, found))

    def _hold_deadlines(self, case_no: str, rows: list[Any]) -> None:
        self.deadlines[case_no] = {row.kind: row for row in rows}

    def _track(self, kind: type[Row], found: Iterable[Any]) -> list[Any]:
        """Rows read, kept with their values as read (what `write` compares them with)."""
        rows = [kind(**{name: values[name] for name in kind.columns}) for values in found]
        self.loaded.extend((row, dict(vars(row))) for row in rows)
        return rows

    def held_cases(self) -> list[CaseRow]:
        """The cases this transaction holds (read or new), with their changes not written yet."""
        return [case for case in self.cases.values() if case is not None]

    # --- writing ------------------------------------------------------------------------------

    def new_case(self, case_no: str, *, at: datetime) -> CaseRow:
        """A case supervision has not recorded yet; inserted when the transaction commits."""
        case = CaseRow(**(CASE_DEFAULTS | {"case_no": case_no, "updated_at": at}))
        self.cases[case_no] = case
        self.new_cases.append(case)
        return case

    def new_deadline(self, **values: Any) -> DeadlineRow:
        """A deadline to insert when the transaction commits."""
        row = DeadlineRow(**(DEADLINE_DEFAULTS | values))
        self.deadlines.setdefault(row.case_no, {})[row.kind] = row
        self.new_deadlines.append(row)
        return row

    def new_order(self, **values: Any) -> OrderRow:
        """A supervision order to insert when the transaction commits."""
        order = OrderRow(**(ORDER_DEFAULTS | values))
        self.new_orders.append(order)
        return order

    def resolve_orders(self, *, case_no: str, deadline_kind: str, on: date) -> None:
        """The step an order chased was done: its open orders stop escalating (at commit)."""
        self.resolved.append({"b_case_no": case_no, "b_kind": deadline_kind, "b_on": on})

    async def write(self) -> None:
        """Insert the new rows and update the changed ones: one executemany for each table and
        set of columns changed."""
        new = [_without(row, "id") for row in self.new_deadlines]
        for statement, params in (
            (insert(CASES), [vars(case) for case in self.new_cases]),
            (insert(DEADLINES), new),
            (insert(ORDERS), [vars(order) for order in self.new_orders]),
            *self._updates(),
            (RESOLVE_ORDERS, self.resolved),
        ):
            if params:
                await self._run(statement, params)
        self.loaded = [(row, dict(vars(row))) for row, _ in self.loaded]
        self.new_cases, self.new_deadlines, self.new_orders, self.resolved = [], [], [], []

    def _updates(self) -> list[tuple[Any, list[dict[str, Any]]]]:
        """The changed rows' UPDATEs, grouped by table and the columns that changed."""
        groups: dict[tuple[Any, str, frozenset[str]], list[dict[str, Any]]] = {}
        for row, then in self.loaded:
            now = vars(row)
            changed = frozenset(k for k, v in now.items() if v != then[k])
            if changed:
                table, key = (CASES, "case_no") if type(row) is CaseRow else (DEADLINES, "id")
                values = {k: now[k] for k in changed} | {f"b_{key}": now[key]}
                groups.setdefault((table, key, changed), []).append(values)
        return [(_update(*group), params) for group, params in groups.items()]

    async def _run(self, statement: Any, params: Any = None) -> Any:
        # Core on the session's connection: no ORM execution path, nothing to autoflush.
        connection = await self.session.connection()
        return await connection.execute(statement, params)


def _without(row: Row, key: str) -> dict[str, Any]:
    return {k: v for k, v in vars(row).items() if k != key}


async def _write(session: AsyncSession) -> None:
    await Store.of(session).write()
