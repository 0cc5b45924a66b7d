"""Write the Grafana dashboards (deploy/grafana/dashboards/*.json) from the panel lists below.

    uv run python deploy/grafana/build_dashboards.py          # rewrite the JSON files
    uv run python deploy/grafana/build_dashboards.py --check  # fail if they are stale

The JSON is committed (Grafana provisions it as is); this script keeps it readable and
consistent. tests/deploy/test_metrics_exist.py checks every metric named here is exported.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

OUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "xinfang-prometheus"}
SERVICES = ("intake", "routing", "supervision", "notify")


@dataclass(frozen=True)
class Panel:
    title: str
    targets: list[tuple[str, str]]  # (PromQL, legend)
    unit: str = "short"
    kind: str = "timeseries"
    description: str = ""
    width: int = 12


@dataclass
class Dashboard:
    uid: str
    title: str
    description: str
    panels: list[Panel]
    tags: list[str] = field(default_factory=list)
    variables: list[dict[str, object]] = field(default_factory=list)


def per_service(metric: str, expr: str, legend: str = "{{job}}") -> list[tuple[str, str]]:
    """The same query for each service's `xinfang_<svc>_<metric>`; `expr` has `{m}`."""
    return [(expr.format(m=f"xinfang_{svc}_{metric}"), legend) for svc in SERVICES]


def p95(metric: str, by: str) -> str:
    return f"histogram_quantile(0.95, sum by (le, {by}) (rate({metric}_bucket[5m])))"


OPS = Dashboard(
    uid="xinfang-ops",
    title="xinfang 运维 / operations",
    description="Traffic, flow latency, consumer lag, outbox backlog, deliveries (README.md).",
    tags=["xinfang", "ops"],
    panels=[
        Panel(
            "登记量（按渠道）/ petitions registered by channel",
            [
                (
                    "sum by (channel, result) (rate(xinfang_intake_registrations_total[5m])) * 60",
                    "{{channel}} {{result}}",
                )
            ],
            unit="cpm",
            description="Petitions per minute by channel (web, letter, visit, phone…), "
            "accepted or refused.",
        ),
        Panel(
            "HTTP 请求（按服务）/ HTTP requests by service",
            per_service(
                "http_requests_total", "sum by (job, status) (rate({m}[5m]))", "{{job}} {{status}}"
            ),
            unit="reqps",
        ),
        Panel(
            "流转时延：事件→通知送达 / flow latency: event to notice delivered (p95)",
            [(p95("xinfang_notify_delivery_latency_seconds", "channel"), "{{channel}}")],
            unit="s",
            description="From the event that called for a notice (e.g. a petition received) "
            "to the notice's delivery: the whole pipeline, end to end.",
        ),
        Panel(
            "消息处理时延 / handler latency per consumer (p95)",
            per_service("handler_duration_seconds", p95("{m}", "consumer"), "{{consumer}}"),
            unit="s",
        ),
        Panel(
            "HTTP 时延 / HTTP latency (p95)",
            per_service("http_request_duration_seconds", p95("{m}", "job"), "{{job}}"),
            unit="s",
        ),
        Panel(
            "消费积压 / consumer lag (messages not yet delivered)",
            per_service("consumer_pending_messages", "max by (consumer) ({m})", "{{consumer}}"),
            description="Grows when a service cannot keep up or is stuck; see ConsumerLagGrowing.",
        ),
        Panel(
            "消费结果 / consumer results",
            per_service(
                "consumer_messages_total",
                "sum by (consumer, result) (rate({m}[5m]))",
                "{{consumer}} {{result}}",
            ),
            unit="ops",
        ),
        Panel(
            "发件箱积压 / outbox backlog (events not yet published)",
            per_service("outbox_backlog_events", "max by (job) ({m})"),
        ),
        Panel(
            "发件箱最旧事件 / oldest unpublished event",
            per_service("outbox_oldest_unpublished_age_seconds", "max by (job) ({m})"),
            unit="s",
        ),
        Panel(
            "死信 / dead letters",
            per_service("dead_letters", "max by (job) ({m})"),
            kind="stat",
        ),
        Panel(
            "通知投递（按渠道、结果）/ deliveries by channel and result",
            [
                (
                    "sum by (channel, result) (rate(xinfang_notify_deliveries_total[5m])) * 60",
                    "{{channel}} {{result}}",
                )
            ],
            unit="cpm",
        ),
        Panel(
            "通知队列 / notice queue",
            [
                ("max(xinfang_notify_queue_depth)", "waiting"),
                ("max(xinfang_notify_queue_oldest_age_seconds)", "oldest (s)"),
            ],
        ),
        Panel(
            "通道熔断 / channel circuit (0 closed, 1 trial, 2 open)",
            [("max by (channel) (xinfang_notify_circuit_state)", "{{channel}}")],
            kind="stat",
        ),
        Panel(
            "服务在线 / services up",
            [('up{job=~"xinfang-.*|nats"}', "{{job}} {{instance}}")],
            kind="stat",
        ),
    ],
)

DEPARTMENT = '{department=~"$department"}'


def kpi(name: str) -> str:
    """One KPI of supervision's yearly figures, per department of the selection."""
    selector = f'{{kpi="{name}", department=~"$department"}}'
    return f"max by (department) (xinfang_supervision_kpi_ratio{selector})"


BUREAU = Dashboard(
    uid="xinfang-bureau",
    title="xinfang 信访局 / bureau",
    description="Overdue cases by department and the year's KPIs (考核指标).",
    tags=["xinfang", "bureau"],
    variables=[
        {
            "name": "department",
            "label": "部门 / department",
            "type": "query",
            "datasource": DATASOURCE,
            "query": "label_values(xinfang_supervision_kpi_ratio, department)",
            "includeAll": True,
            "multi": True,
            "current": {"text": "All", "value": "$__all"},
            "refresh": 2,
        }
    ],
    panels=[
        Panel(
            "超期件（按部门）/ overdue cases by department",
            [
                (
                    "sort_desc(max by (department) "
                    f"(xinfang_supervision_overdue_cases{DEPARTMENT}))",
                    "{{department}}",
                )
            ],
            kind="bargauge",
            width=24,
        ),
        Panel(
            "按期办结率 / on-time completion",
            [(kpi("on_time_completion"), "{{department}}")],
            unit="percentunit",
            kind="bargauge",
        ),
        Panel(
            "及时受理率 / timely acceptance",
            [(kpi("timely_acceptance"), "{{department}}")],
            unit="percentunit",
            kind="bargauge",
        ),
        Panel(
            "满意率 / satisfaction",
            [(kpi("satisfaction"), "{{department}}")],
            unit="percentunit",
            kind="bargauge",
        ),
        Panel(
            "平均办理天数 / average days to answer",
            [(kpi("avg_days_to_answer"), "{{department}}")],
            unit="d",
            kind="bargauge",
        ),
        Panel(
            "每日超期期限 / deadlines missed per day",
            [
                (
                    'sum(increase(xinfang_supervision_scheduler_fired_total{what="missed"}[1d]))',
                    "missed",
                ),
                (
                    'sum(increase(xinfang_supervision_scheduler_fired_total{what="warned"}[1d]))',
                    "warned",
                ),
            ],
        ),
        Panel(
            "督办单待反馈 / supervision orders awaiting feedback",
            [("max(xinfang_supervision_open_orders)", "open orders")],
            kind="stat",
            width=6,
        ),
        Panel(
            "待分流 / cases waiting for triage",
            [("max(xinfang_routing_triage_queue_cases)", "triage")],
            kind="stat",
            width=6,
        ),
        Panel(
            "未报零报告单位 / units missing today's zero-report",
            [("max(xinfang_supervision_zero_reports_missing_units)", "units")],
            kind="stat",
            width=6,
        ),
        Panel(
            "今日登记 / registered today",
            [
                (
                    'sum(increase(xinfang_intake_registrations_total{result="accepted"}[1d]))',
                    "accepted",
                )
            ],
            kind="stat",
            width=6,
        ),
        Panel(
            "错派（近 30 天，按部门）/ misroutes upheld, last 30 days",
            [
                (
                    "sort_desc(sum by (department) "
                    "(increase(xinfang_routing_misroutes_total[30d])))",
                    "{{department}}",
                )
            ],
            kind="bargauge",
            width=24,
        ),
    ],
)


def render(d: Dashboard) -> dict[str, object]:
    panels, x, y = [], 0, 0
    for n, panel in enumerate(d.panels, start=1):
        if x + panel.width > 24:
            x, y = 0, y + 8
        panels.append(
            {
                "id": n,
                "type": panel.kind,
                "title": panel.title,
                "description": panel.description,
                "datasource": DATASOURCE,
                "gridPos": {"x": x, "y": y, "w": panel.width, "h": 8},
                "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
                "options": {},
                "targets": [
                    {
                        "refId": chr(ord("A") + i),
                        "expr": expr,
                        "legendFormat": legend,
                        "datasource": DATASOURCE,
                    }
                    for i, (expr, legend) in enumerate(panel.targets)
                ],
            }
        )
        x += panel.width
    return {
        "uid": d.uid,
        "title": d.title,
        "description": d.description,
        "tags": d.tags,
        "timezone": "Asia/Shanghai",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": d.variables},
        "annotations": {"list": []},
        "panels": panels,
    }


DASHBOARDS = {"ops.json": OPS, "bureau.json": BUREAU}


def text_of(d: Dashboard) -> str:
    return json.dumps(render(d), ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write deploy/grafana/dashboards/*.json")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    stale = []
    for name, dashboard in DASHBOARDS.items():
        path = OUT / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text_of(dashboard):
                stale.append(name)
        else:
            path.write_text(text_of(dashboard), encoding="utf-8")
    if stale:
        print(f"stale dashboards {stale}: run deploy/grafana/build_dashboards.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
