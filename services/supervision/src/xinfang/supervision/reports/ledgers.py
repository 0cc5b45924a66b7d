"""The backlog ledger (积案台账), the overdue list and the supervision-order register, as rows with
Chinese headers, and as CSV or XLSX files."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.supervision.domain import RULES, CaseStatus, DeadlineKind, DeadlineStatus
from xinfang.supervision.models import CaseRecord, Deadline, SupervisionOrder

TITLES = {"backlog": "积案台账", "overdue": "超期清单", "orders": "督办单登记簿"}


@dataclass(frozen=True)
class Ledger:
    """A titled table."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[object]]


async def backlog(
    s: AsyncSession, *, today: date, department: str | None = None, region: str | None = None
) -> Ledger:
    """Cases still open beyond a deadline, with the responsible leader (包案) and the plan."""
    query = (
        select(CaseRecord, Deadline)
        .join(Deadline, col(Deadline.case_no) == col(CaseRecord.case_no))
        .where(Deadline.status == DeadlineStatus.OVERDUE.value)
        .order_by(col(Deadline.due_on), col(CaseRecord.case_no))
    )
    query = _filters(query, department, region)
    rows = [
        [
            c.case_no,
            c.title or "",
            c.region_code or "",
            d.department_code or "",
            CaseStatus(c.status).zh if c.status else "",
            _kind_zh(d.kind),
            d.due_on,
            (today - d.due_on).days,
            c.responsible_leader or "",
            c.plan or "",
        ]
        for c, d in (await s.exec(query)).all()
    ]
    headers = [
        "信访件编号",
        "标题",
        "问题属地",
        "责任单位",
        "状态",
        "超期环节",
        "期限",
        "超期天数",
        "包案领导",
        "化解方案",
    ]
    return Ledger("backlog", TITLES["backlog"], headers, rows)


async def overdue(
    s: AsyncSession, *, today: date, department: str | None = None, region: str | None = None
) -> Ledger:
    """Every deadline missed and not yet done, with how it was counted."""
    query = (
        select(CaseRecord, Deadline)
        .join(Deadline, col(Deadline.case_no) == col(CaseRecord.case_no))
        .where(Deadline.status == DeadlineStatus.OVERDUE.value)
        .order_by(col(Deadline.due_on))
    )
    query = _filters(query, department, region)
    rows = [
        [
            d.case_no,
            _kind_zh(d.kind),
            d.department_code or "",
            d.starts_on,
            d.due_on,
            (today - d.due_on).days,
            d.basis,
        ]
        for _, d in (await s.exec(query)).all()
    ]
    headers = ["信访件编号", "环节", "责任单位", "起算日", "期限", "超期天数", "计算依据"]
    return Ledger("overdue", TITLES["overdue"], headers, rows)


async def orders(s: AsyncSession, *, department: str | None = None) -> Ledger:
    """The supervision-order register."""
    query = select(SupervisionOrder).order_by(col(SupervisionOrder.created_at))
    if department is not None:
        query = query.where(SupervisionOrder.department_code == department)
    kinds = {"order": "督办单", "recommendation": "改进建议"}
    states = {"open": "待反馈", "answered": "已反馈", "resolved": "已办结"}
    rows = [
        [
            o.order_id,
            o.case_no,
            kinds.get(o.kind, o.kind),
            o.department_code,
            o.reason,
            o.issued_on,
            o.feedback_due_on,
            states.get(o.status, o.status),
            o.step_name or "",
            o.feedback or "",
        ]
        for o in (await s.exec(query)).all()
    ]
    headers = [
        "督办单号",
        "信访件编号",
        "类型",
        "责任单位",
        "督办事由",
        "下发日期",
        "反馈期限",
        "状态",
        "升级",
        "反馈情况",
    ]
    return Ledger("orders", TITLES["orders"], headers, rows)


def _filters(query, department: str | None, region: str | None):  # type: ignore[no-untyped-def]
    if department is not None:
        query = query.where(Deadline.department_code == department)
    if region is not None:
        query = query.where(col(CaseRecord.region_code).startswith(region))
    return query


def _kind_zh(kind: str) -> str:
    try:
        return RULES[DeadlineKind(kind)].name_zh
    except ValueError:
        return kind


def to_csv(ledger: Ledger) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ledger.headers)
    writer.writerows([[_cell(v) for v in row] for row in ledger.rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(ledger: Ledger) -> bytes:
    """One sheet named after the ledger, bold headers, dates as dates."""
    book = Workbook()
    sheet = book.active
    sheet.title = ledger.title
    sheet.append(ledger.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in ledger.rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
