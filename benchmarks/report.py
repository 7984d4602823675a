"""Markdown tables of the results (the same dicts that go to results.json)."""
from launch import short_error

DASH = "–"


def fmt(value, spec=".2f"):
    return DASH if value is None else format(value, spec)


def ratio(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _bins(summary, key):
    return DASH if summary is None else str(summary[key])


def _pair(a, b):
    return f"{a} / {b}"


def cases_table(cases):
    """One row per case: ours, and BAccMod with ratios and agreement when it was run."""
    with_baccmod = any(entry.get("baccmod") for entry in cases.values())
    if not with_baccmod:
        header = ["case", "create [s]", "repeat [s]", "read [s]", "process [s]",
                  "peak RSS [MiB]", "nonzero bins", "NaN bins"]
        rows = [[name, fmt(o.get("t_create_s"), ".3f"), fmt(o.get("t_create_repeat_s"), ".3f"),
                 fmt(o.get("t_read_s")),
                 fmt(o.get("t_process_s")), fmt(o.get("peak_rss_mib"), ".0f"),
                 _bins(o.get("bins"), "n_nonzero"), _bins(o.get("bins"), "n_nan")]
                for name, o in ((n, e["ours"]) for n, e in cases.items())]
        return table(header, rows) + _notes(cases)
    header = ["case", "create ours [s]", "create BAccMod [s]", "speed-up create",
              "repeat ours [s]", "repeat BAccMod [s]", "speed-up repeat",
              "process ours [s]", "process BAccMod [s]", "speed-up process",
              "peak RSS ours / BAccMod [MiB]", "agreement", "nonzero ours / BAccMod",
              "NaN ours / BAccMod"]
    rows = []
    for name, entry in cases.items():
        o, b, c = entry["ours"], entry.get("baccmod") or {}, entry.get("comparison") or {}
        rows.append([
            name, fmt(o.get("t_create_s"), ".3f"), fmt(b.get("t_create_s"), ".3f"),
            fmt(ratio(b.get("t_create_s"), o.get("t_create_s")), ".1f") + "x",
            fmt(o.get("t_create_repeat_s"), ".3f"), fmt(b.get("t_create_repeat_s"), ".3f"),
            fmt(ratio(b.get("t_create_repeat_s"), o.get("t_create_repeat_s")), ".1f") + "x",
            fmt(o.get("t_process_s")), fmt(b.get("t_process_s")),
            fmt(ratio(b.get("t_process_s"), o.get("t_process_s")), ".1f") + "x",
            _pair(fmt(o.get("peak_rss_mib"), ".0f"), fmt(b.get("peak_rss_mib"), ".0f")),
            fmt(c.get("agreement"), ".1%"),
            _pair(_bins(o.get("bins"), "n_nonzero"), _bins(b.get("bins"), "n_nonzero")),
            _pair(_bins(o.get("bins"), "n_nan"), _bins(b.get("bins"), "n_nan"))])
    return table(header, rows) + _notes(cases)


def _notes(cases):
    notes = []
    for name, entry in cases.items():
        for side in ("ours", "baccmod"):
            result = entry.get(side)
            if result and result.get("error"):
                notes.append(f"- {name}, {side}: FAILED: {short_error(result, 300)}")
        comparison = entry.get("comparison")
        if comparison:
            notes.append(f"- {name}: agreement on {comparison['n_agree']} of "
                         f"{comparison['n_compared']} bins with exposure "
                         f"({comparison['n_bins']} bins), X from {comparison['x_source']}"
                         + (f", median ours/BAccMod {comparison['median_ratio']:.3f}"
                            if comparison.get("median_ratio") is not None else "")
                         + "".join(f"; {e}" for e in comparison.get("errors", [])))
    return "\n\n" + "\n".join(notes) if notes else ""


def compile_table(compile_time):
    header = ["case", "create cold cache [s]", "create warm cache [s]", "compile [s]",
              "process cold [s]", "process warm [s]"]
    rows = []
    for name, entry in compile_time.items():
        cold, warm = entry["cold"], entry["warm"]
        rows.append([name, fmt(cold.get("t_create_s"), ".3f"), fmt(warm.get("t_create_s"), ".3f"),
                     fmt(entry.get("compile_s"), ".2f"), fmt(cold.get("t_process_s")),
                     fmt(warm.get("t_process_s"))])
    errors = [f"- {name}: FAILED: {short_error(e[k], 300)}" for name, e in compile_time.items()
              for k in ("cold", "warm") if e[k].get("error")]
    return table(header, rows) + ("\n\n" + "\n".join(errors) if errors else "")


def scaling_table(scaling):
    if scaling.get("error"):
        return f"FAILED: {scaling['error']}"
    header = ["package", "case", "runs", "events", "create [s]", "create per run [ms]",
              "read [s]", "peak RSS [MiB]"]
    rows = []
    for point in scaling["points"]:
        n = point["n_runs_requested"]
        per_run_ms = ratio(point.get("t_create_s"), n / 1e3)
        rows.append([point["package"], point["case"], n, fmt(point.get("n_events"), "d"),
                     fmt(point.get("t_create_s"), ".3f"), fmt(per_run_ms, ".2f"),
                     fmt(point.get("t_read_s")), fmt(point.get("peak_rss_mib"), ".0f")])
    lines = [table(header, rows), ""]
    sim = scaling["simulation"]
    lines.append(f"Simulated {sim['n_runs']} runs (~{sim['events_per_run']} events each) in "
                 f"{sim['t_simulate_s']:.1f} s.")
    for key, check in scaling["linearity"].items():
        marginal = ", ".join(f"{1e3 * m:.2f}" for m in check["marginal_per_run_s"])
        lines.append(f"- {key}: marginal time per run [ms]: {marginal or DASH}; "
                     f"{check['verdict']}")
    errors = [f"- {p['package']} {p['case']} {p.get('n_runs_requested')} runs: FAILED: "
              f"{short_error(p, 300)}" for p in scaling["points"] if p.get("error")]
    return "\n".join(lines + errors)
