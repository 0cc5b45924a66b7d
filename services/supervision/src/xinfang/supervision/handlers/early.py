"""Early warnings (预警) for leaders: collective petitions, clusters, zero-report gaps.

In a sensitive period (a configured date window) the thresholds are the period's, lower, and the
summary names the period. Each alert has a key, so it is raised once however often it is checked.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import bindparam, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.events import PetitionReceived
from xinfang.supervision.context import Context
from xinfang.supervision.handlers.orders import raise_alert
from xinfang.supervision.models import CaseRecord
from xinfang.supervision.store import CaseRow, Store


async def check_petition(s: AsyncSession, event: PetitionReceived, *, ctx: Context) -> None:
    """A collective petition alerts at once; the petition may also complete a cluster."""
    case = await Store.of(s).case(event.case_no)
    if case is None or case.received_on is None:
        return
    period = ctx.early.period_on(case.received_on)
    prefix = f"【敏感期：{period.name}】" if period else ""
    collective = period.collective_threshold if period else ctx.early.collective
    if event.flags.collective or event.people_involved >= collective:
        await raise_alert(
            s,
            key=f"collective:{event.case_no}",
            kind="collective",
            ctx=ctx,
            case_no=event.case_no,
            region_code=event.region_code,
            category_code=event.category_code,
            summary=f"{prefix}集体访：{event.people_involved}人，{event.title}"
            f" (collective petition, {event.people_involved} people)",
        )
    await _check_cluster(
        s, case, ctx=ctx, threshold=period.cluster_threshold if period else None, prefix=prefix
    )


async def _check_cluster(
    s: AsyncSession, case: CaseRow, *, ctx: Context, threshold: int | None, prefix: str
) -> None:
    assert case.received_on is not None
    window = ctx.early.window_days
    count = await _similar(s, case, since=case.received_on - timedelta(days=window - 1))
    if count < (threshold or ctx.early.cluster):
        return
    bucket = case.received_on.toordinal() // window  # one alert per place, matter and window
    await raise_alert(
        s,
        key=f"cluster:{case.region_code}:{case.category_code}:{bucket}",
        kind="cluster",
        ctx=ctx,
        region_code=case.region_code,
        category_code=case.category_code,
        summary=f"{prefix}同类信访聚集：{window}日内{count}件（属地{case.region_code}，"
        f"分类{case.category_code}） ({count} similar petitions within {window} days)",
    )


async def _similar(s: AsyncSession, case: CaseRow, *, since: date) -> int:
    """Cases of the same place and matter received from `since` to this one: those the
    transaction holds as they stand now (not written yet), the others as the database has them."""
    held = Store.of(s).held_cases()
    params = {
        "region": case.region_code,
        "category": case.category_code,
        "since": since,
        "until": case.received_on,
        "held": [c.case_no for c in held],
    }
    in_db = (await (await s.connection()).execute(SIMILAR, params)).scalar_one()
    return int(in_db) + sum(1 for c in held if _alike(c, case, since))


CASES = CaseRecord.__table__  # type: ignore[attr-defined]
SIMILAR = (
    select(func.count())
    .select_from(CASES)
    .where(
        CASES.c.region_code == bindparam("region"),
        CASES.c.category_code == bindparam("category"),
        CASES.c.received_on >= bindparam("since"),
        CASES.c.received_on <= bindparam("until"),
        CASES.c.case_no.not_in(bindparam("held", expanding=True)),
    )
)


def _alike(other: CaseRow, case: CaseRow, since: date) -> bool:
    return (
        other.region_code == case.region_code
        and other.category_code == case.category_code
        and other.received_on is not None
        and since <= other.received_on <= case.received_on
    )
