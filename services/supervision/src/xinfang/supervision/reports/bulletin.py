"""The periodic bulletin (通报): the period's figures and each department's KPIs, as data and as
a PDF with a chart (reportlab, the STSong-Light CID font for Chinese)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from html import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.supervision import kpis
from xinfang.supervision.facts import case_facts
from xinfang.supervision.models import Deadline, SupervisionOrder

FONT = "STSong-Light"
SHOWN = ("timely_acceptance", "on_time_completion", "satisfaction", "repeat", "misroute")


@dataclass
class Bulletin:
    """A period's bulletin."""

    since: date
    until: date
    received: int
    overdue: int
    orders: int
    escalated: int
    by_department: dict[str, dict[str, float | None]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"信访工作通报（{self.since.isoformat()}至{self.until.isoformat()}）"

    def chart(self, kpi: str = "on_time_completion") -> list[tuple[str, float]]:
        """(department, value) of one KPI, for the bar charts."""
        return [(d, v[kpi] or 0.0) for d, v in self.by_department.items() if v[kpi] is not None]


async def gather(
    s: AsyncSession, *, since: date, until: date, today: date, formula: str, window: int
) -> Bulletin:
    """Collect the period's figures."""
    facts = await case_facts(s, since=since, until=until)
    overdue = (
        await s.exec(
            select(func.count())
            .select_from(Deadline)
            .where(Deadline.status == "overdue", col(Deadline.due_on) <= until)
        )
    ).one()
    issued = (
        await s.exec(
            select(func.count())
            .select_from(SupervisionOrder)
            .where(
                col(SupervisionOrder.issued_on) >= since, col(SupervisionOrder.issued_on) <= until
            )
        )
    ).one()
    escalated = (
        await s.exec(
            select(func.count())
            .select_from(SupervisionOrder)
            .where(col(SupervisionOrder.step) > 0, col(SupervisionOrder.issued_on) <= until)
        )
    ).one()
    groups = kpis.by_group(
        facts, group_by="department", today=today, formula=formula, rating_window_days=window
    )  # type: ignore[arg-type]
    return Bulletin(
        since=since,
        until=until,
        received=len(facts),
        overdue=int(overdue),
        orders=int(issued),
        escalated=int(escalated),
        by_department=groups,
    )


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _chart(items: list[tuple[str, float]], title: str) -> Drawing:
    drawing = Drawing(170 * mm, 70 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 15 * mm, 15 * mm, 145 * mm, 45 * mm
    chart.data = [[v * 100 for _, v in items] or [0]]
    chart.categoryAxis.categoryNames = [d for d, _ in items] or ["—"]
    chart.categoryAxis.labels.fontName = _font()
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.bars[0].fillColor = colors.HexColor("#b22222")
    drawing.add(chart)
    drawing.add(String(15 * mm, 64 * mm, title, fontName=_font(), fontSize=9))
    return drawing


def to_pdf(b: Bulletin) -> bytes:
    """The bulletin as a PDF: totals, a chart of on-time completion, the KPI table."""
    font = _font()
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, spaceAfter=6)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15)
    story = [
        Paragraph(b.title, h1),
        Paragraph(
            f"本期登记信访件{b.received}件；超期未办{b.overdue}件；"
            f"下发督办单{b.orders}件，其中升级督办{b.escalated}件。",
            body,
        ),
        Spacer(1, 4 * mm),
        _chart(b.chart(), "各单位按期办结率（%）"),
        Spacer(1, 4 * mm),
        _table(b, font),
    ]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=b.title, author="xinfang").build(story)
    return out.getvalue()


def _table(b: Bulletin, font: str) -> Table:
    head = ["单位", *(kpis.KPI_ZH[k] for k in SHOWN)]
    rows = [[d, *(_pct(v[k]) for k in SHOWN)] for d, v in b.by_department.items()]
    table = Table([head, *rows], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ]
        )
    )
    return table


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def bars_svg(items: list[tuple[str, float]], *, label: str, width: int = 520) -> str:
    """A horizontal bar chart (values 0–1) as inline SVG, with a title for screen readers."""
    row, left, label = 22, 150, escape(label)
    height = row * max(len(items), 1) + 10
    parts = [
        f'<svg role="img" aria-label="{label}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{label}</title>'
    ]
    for i, (name, value) in enumerate(items):
        y, w = i * row + 5, int((width - left - 60) * max(0.0, min(value, 1.0)))
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="12">{escape(name)}</text>'
            f'<rect x="{left}" y="{y}" width="{w}" height="16" fill="#b22222"/>'
            f'<text x="{left + w + 4}" y="{y + 14}" font-size="12">{value * 100:.1f}%</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
