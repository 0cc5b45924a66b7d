"""The aims of issue 9 checked against a report, and the report as a readable table."""

from __future__ import annotations

from typing import Any

END_TO_END_AIM = 1170.0  # petitions/s: 70,000 in a minute
INTAKE_SHARE_AIM = 0.5  # of the bare FastAPI ceiling
ROUTED_P99_AIM_MS = 100.0
STAGE_SERVICE = {
    "intake registrations": "intake",
    "routing decisions": "routing",
    "supervision events applied": "supervision",
    "notices delivered": "notify",
}
PROFILE_LINES = 10
COLUMN = 26


def aims(report: dict[str, Any], *, tick_aim: float) -> dict[str, Any]:
    """Each aim with the figure it is judged on (SQLite, as `make up` runs), and the bottleneck."""
    run = report["runs"]["sqlite"]
    saturation, moderate = run["saturation"], run["moderate"]
    intake = run["intake_alone"]["registrations_per_s"]
    share = intake / report["ceilings"]["fastapi_post_per_s"]
    routed_p99 = moderate["latency_ms"]["routed"]["p99"]
    rate = moderate["load"]["rate"]
    tick = run["supervision_tick"]["tick_s"]
    checks = [
        (f"end to end ≥ {END_TO_END_AIM:,.0f} petitions/s", saturation["end_to_end_per_s"],
         saturation["end_to_end_per_s"] >= END_TO_END_AIM),
        (f"intake alone ≥ {INTAKE_SHARE_AIM:.0%} of the bare FastAPI ceiling", share,
         share >= INTAKE_SHARE_AIM),
        (f"p99 POST → routed < {ROUTED_P99_AIM_MS:.0f} ms at {rate:g}/s, rate sustained",
         routed_p99, routed_p99 is not None and routed_p99 < ROUTED_P99_AIM_MS
         and moderate["sustained"]),
        (f"scheduler tick over {run['supervision_tick']['deadlines']:,} deadlines "
         f"< {tick_aim * 1000:.0f} ms", tick, tick < tick_aim),
    ]  # fmt: skip
    return {
        "checks": [{"aim": aim, "value": value, "met": met} for aim, value, met in checks],
        "bottleneck": bottleneck(saturation),
    }


def bottleneck(phase: dict[str, Any]) -> dict[str, Any]:
    """The stage with the fewest petitions per second (its events per petition taken out)."""
    accepted = phase["accepted"] or 1
    per_petition = {
        stage: rate["per_s"] / (rate["count"] / accepted)
        for stage, rate in phase["stages"].items()
        if rate["count"]
    }
    if not per_petition:
        return {"stage": None, "service": None, "petitions_per_s": None}
    stage = min(per_petition, key=per_petition.__getitem__)
    return {
        "stage": stage,
        "service": STAGE_SERVICE[stage],
        "petitions_per_s": per_petition[stage],
    }


# --- the table --------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    """The report as text: ceilings, flow per database, stages, tick, replay, aims, profile."""
    m = report["machine"]
    lines = [
        f"xinfang bench — {m['cpus']} CPUs, Python {m['python']}, {m['system']}; "
        f"load average {m['load_average_at_start']:.1f} at start, "
        f"{m.get('load_average_at_end', 0):.1f} at end",
        "",
        *_ceilings(report["ceilings"]),
        "",
    ]
    runs = {k: v for k, v in report["runs"].items() if "skipped" not in v}
    lines += _flow(runs)
    for kind, run in report["runs"].items():
        if "skipped" in run:
            lines.append(f"{kind}: skipped ({run['skipped']})")
    lines += ["", *_scaling(report["scaling"])]
    lines += ["", *_aims(report["aims"])]
    profile = runs.get("sqlite", {}).get("profile")
    if profile and not all(c["met"] for c in report["aims"]["checks"][:3]):
        lines += ["", *_profile(profile, report["aims"]["bottleneck"]["service"])]
    tick_profile = runs.get("sqlite", {}).get("supervision_tick", {}).get("profile")
    if tick_profile and "self" in tick_profile:
        lines += ["", "where the tick's time goes (py-spy):", *_top(tick_profile)]
    return "\n".join(lines)


def _ceilings(c: dict[str, float]) -> list[str]:
    return [
        "ceilings (same machine, same run)                      per second",
        f"  bare FastAPI POST, uvicorn 1 worker             {c['fastapi_post_per_s']:>12,.0f}",
        f"  JetStream publish, acked one at a time          {c['jetstream_publish_per_s']:>12,.0f}",
        f"  JetStream publish, pipelined (200 in flight)    "
        f"{c['jetstream_publish_pipelined_per_s']:>12,.0f}",
        f"  JetStream pull consume, batch 50, ack each      {c['jetstream_consume_per_s']:>12,.0f}",
    ]


def _flow(runs: dict[str, dict[str, Any]]) -> list[str]:
    kinds = list(runs)
    header = f"{'':<42}" + "".join(f"{k:>{COLUMN}}" for k in kinds)

    def row(label: str, get: Any) -> str:
        return f"  {label:<40}" + "".join(f"{_cell(get, runs[k]):>{COLUMN}}" for k in kinds)

    any_run = next(iter(runs.values()))
    sat, mod = any_run["saturation"]["load"], any_run["moderate"]["load"]
    lines = [header, "CPU ms per petition, at a rate the system keeps up with"]
    for name in (*STAGE_SERVICE.values(), "nats", "total"):
        lines.append(row(name, lambda r, n=name: f"{r['cpu_ms_per_petition'][n]:,.2f}"))
    lines.append(row("intake alone, registrations/s (of bare)", _intake_alone))
    lines.append(f"saturation ({sat['concurrency']} clients, {sat['duration_s']:g} s)")
    lines += _phase_rows(row, "saturation")
    lines.append(f"fixed rate ({mod['rate']:g}/s open loop, {mod['duration_s']:g} s)")
    lines.append(row("rate sustained", lambda r: "yes" if r["moderate"]["sustained"] else "NO"))
    lines.append(row("offering stopped, overloaded after s", _overloaded))
    lines += _phase_rows(row, "moderate")
    lines.append("stages at saturation, per s (of ceiling)")
    for stage in STAGE_SERVICE:
        lines.append(row(stage, lambda r, s=stage: _stage(r["saturation"]["stages"][s])))
    lines.append(row("events on the stream per petition", _per_petition))
    lines.append("replay of supervision from the stream")
    lines.append(row("events/s", lambda r: f"{r['replay']['events_per_s']:,.0f}"))
    lines.append(row("events (of those in stream)", _replayed))
    lines.append("supervision scheduler tick")
    lines.append(row("open deadlines", lambda r: f"{r['supervision_tick']['deadlines']:,}"))
    lines.append(row("tick firing the due ones, ms", lambda r: _ms(r, "tick_s")))
    lines.append(row("  warnings + missed fired", _fired))
    lines.append(row("idle tick (nothing due), ms", lambda r: _ms(r, "idle_tick_s")))
    lines.append(row("peak RSS of the tick process, MiB", _rss))
    return lines


def _phase_rows(row: Any, phase: str) -> list[str]:
    def latency(kind: str) -> Any:
        return lambda r: _percentiles(r[phase]["latency_ms"][kind])

    return [
        row("posted / e-mailed", lambda r: f"{r[phase]['posted']} / {r[phase]['delivered']}"),
        row("POST, petitions/s", lambda r: f"{r[phase]['post_per_s']:,.1f}"),
        row("end to end, petitions/s", lambda r: f"{r[phase]['end_to_end_per_s']:,.1f}"),
        row("POST answered, ms p50/95/99", latency("post")),
        row("POST → routed, ms p50/95/99", latency("routed")),
        row("POST → notice, ms p50/95/99", latency("delivered")),
    ]  # fmt: skip


def _scaling(scaling: dict[str, Any]) -> list[str]:
    if "skipped" in scaling:
        return [f"scaling: skipped ({scaling['skipped']})"]
    one = scaling["one_instance"]
    gain = scaling["end_to_end_per_s"] / one["end_to_end_per_s"] if one["end_to_end_per_s"] else 0
    return [
        f"scaling, {scaling['database']}: {scaling['instances']} instances of each service "
        "at saturation, against one",
        f"  end to end {one['end_to_end_per_s']:,.1f} → {scaling['end_to_end_per_s']:,.1f} "
        f"petitions/s (×{gain:.2f}); POST {one['post_per_s']:,.1f} → "
        f"{scaling['post_per_s']:,.1f}/s",
    ]


def _aims(result: dict[str, Any]) -> list[str]:
    lines = ["aims (issue 9), judged on SQLite"]
    for check in result["checks"]:
        value = check["value"]
        shown = "—" if value is None else f"{value:,.3g}"
        lines.append(f"  [{'met' if check['met'] else 'NOT met':>7}] {check['aim']}: {shown}")
    b = result["bottleneck"]
    if b["stage"]:
        lines.append(
            f"  bottleneck at saturation: {b['stage']} ({b['service']}), "
            f"{b['petitions_per_s']:,.1f} petitions/s"
        )
    return lines


def _profile(profile: dict[str, Any], bottleneck: str | None) -> list[str]:
    lines = [
        f"where the time goes ({profile['tool']}, under saturation load; shares of the samples "
        "that found work)"
    ]
    services = profile["services"]
    for name in sorted(services, key=lambda n: n != bottleneck):
        found = services[name]
        mark = " — the bottleneck" if name == bottleneck else ""
        if "error" in found:
            lines.append(f"  {name}{mark}: {found['error']}")
            continue
        busy = found.get("busy_share")
        at_work = f", a thread at work in {busy:.0%} of them" if busy is not None else ""
        lines.append(f"  {name}{mark}: {found['samples'] or '?'} samples{at_work}")
        lines += _top(found, PROFILE_LINES if name == bottleneck else 4)
    return lines


def _top(found: dict[str, Any], count: int = PROFILE_LINES) -> list[str]:
    packages = ", ".join(
        f"{p['function']} {p['share']:.0%}" for p in found.get("by_package", [])[:6]
    )
    lines = [f"    by package: {packages}"] if packages else []
    lines.append("    own time:")
    lines += [f"      {f['share']:>5.0%}  {f['function']}" for f in found["self"][:count]]
    lines.append("    including callees:")
    lines += [f"      {f['share']:>5.0%}  {f['function']}" for f in found["total"][:count]]
    return lines


def _cell(get: Any, run: dict[str, Any]) -> str:
    try:
        value = get(run)
    except (KeyError, TypeError, ZeroDivisionError):
        return "—"
    return "—" if value is None else str(value)


def _percentiles(summary: dict[str, float | None]) -> str:
    if summary["p50"] is None:
        return "—"
    return "/".join(f"{summary[p]:,.0f}" for p in ("p50", "p95", "p99"))


def _stage(rate: dict[str, float]) -> str:
    ratio = rate.get("ceiling_ratio")
    return f"{rate['per_s']:,.1f} ({ratio:.1%})" if ratio is not None else f"{rate['per_s']:,.1f}"


def _intake_alone(run: dict[str, Any]) -> str:
    alone = run["intake_alone"]
    share = alone.get("share_of_bare")
    rate = f"{alone['registrations_per_s']:,.0f}"
    return f"{rate} ({share:.0%})" if share is not None else rate


def _replayed(run: dict[str, Any]) -> str:
    r = run["replay"]
    return f"{r['events']:,} of {r['events_in_stream']:,}"


def _overloaded(run: dict[str, Any]) -> str | None:
    after = run["moderate"]["overloaded_after_s"]
    return None if after is None else f"{after:.1f}"


def _per_petition(run: dict[str, Any]) -> str:
    return f"{run['stream']['events_per_petition']:.1f}"


def _fired(run: dict[str, Any]) -> str:
    t = run["supervision_tick"]
    return f"{t['warned']:,} + {t['missed']:,}"


def _ms(run: dict[str, Any], key: str) -> str:
    return f"{run['supervision_tick'][key] * 1000:,.0f}"


def _rss(run: dict[str, Any]) -> str:
    t = run["supervision_tick"]
    return f"{t['peak_rss_mib']:,.0f} (at start {t['rss_before_mib']:,.0f})"
