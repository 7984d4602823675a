"""Markdown tables of the results (the same dicts that go to results.json)."""
import json

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


def _ours_finite(bins):
    """'yes' when all our bins are finite, else how many are not (and in how many models)."""
    if bins is None:
        return DASH
    if bins["n_nonfinite"] == 0:
        return "yes"
    return (f"no: {bins['n_nonfinite']} bins"
            + (f" in {bins['n_nonfinite_models']} of {bins['n_models']} models"
               if bins["n_models"] > 1 else ""))


def _nonfinite(bins):
    """Non-finite bins of all bins (and the models they are in)."""
    if bins is None:
        return DASH
    text = f"{bins['n_nonfinite']} of {bins['n_bins']}"
    if bins["n_nonfinite"] and bins["n_models"] > 1:
        text += f" ({bins['n_nonfinite_models']} models)"
    return text


def _zero_models(bins):
    return DASH if bins is None else f"{bins['n_zero_models']} of {bins['n_models']}"


def cases_table(cases):
    """One row per case: ours, and BAccMod with ratios and agreement when it was run."""
    with_baccmod = any(entry.get("baccmod") for entry in cases.values())
    if not with_baccmod:
        header = ["case", "create [s]", "repeat [s]", "read [s]", "process [s]",
                  "peak RSS [MiB]", "models", "nonzero bins", "non-finite bins"]
        rows = [[name, fmt(o.get("t_create_s"), ".3f"), fmt(o.get("t_create_repeat_s"), ".3f"),
                 fmt(o.get("t_read_s")),
                 fmt(o.get("t_process_s")), fmt(o.get("peak_rss_mib"), ".0f"),
                 _bins(o.get("bins"), "n_models"), _bins(o.get("bins"), "n_nonzero"),
                 _bins(o.get("bins"), "n_nonfinite")]
                for name, o in ((n, e["ours"]) for n, e in cases.items())]
        return table(header, rows) + _notes(cases)
    header = ["case", "create ours [s]", "create BAccMod [s]", "speed-up create",
              "repeat ours [s]", "repeat BAccMod [s]", "speed-up repeat",
              "process ours [s]", "process BAccMod [s]", "speed-up process",
              "peak RSS ours / BAccMod [MiB]", "agreement", "ours all finite",
              "BAccMod non-finite bins", "BAccMod all-zero models", "nonzero ours / BAccMod"]
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
            fmt(c.get("agreement"), ".1%"), _ours_finite(o.get("bins")),
            _nonfinite(b.get("bins")), _zero_models(b.get("bins")),
            _pair(_bins(o.get("bins"), "n_nonzero"), _bins(b.get("bins"), "n_nonzero"))])
    return table(header, rows) + _notes(cases)


def _notes(cases):
    notes = []
    with_baccmod = any(entry.get("baccmod") for entry in cases.values())
    for name, entry in cases.items():
        if with_baccmod and "baccmod" not in entry:
            notes.append(f"- {name}: ours only (BAccMod 0.4.1 has no such call)")
        edges = (entry.get("ours") or {}).get("energy_edges_computation_tev")
        if edges is not None:
            notes.append(f"- {name}: our computation axis {len(edges) - 1} bins, edges "
                         + ", ".join(f"{e:.3g}" for e in edges) + " TeV")
        for side in ("ours", "baccmod"):
            result = entry.get(side)
            if result and result.get("error"):
                notes.append(f"- {name}, {side}: FAILED: {short_error(result, 300)}")
        comparison = entry.get("comparison")
        if comparison and "n_compared" in comparison:
            n_models = comparison.get("n_models", 1)
            median = comparison.get("median_ratio")
            notes.append(
                f"- {name}: agreement on {comparison['n_agree']} of "
                f"{comparison['n_compared']} compared bins (exposure > 0, BAccMod finite; "
                f"{comparison['n_bins']} bins"
                + (f" in {n_models} models" if n_models > 1 else "") + ")"
                + (f", {comparison['n_theirs_nonfinite']} non-finite BAccMod bins left out"
                   if comparison.get("n_theirs_nonfinite") else "")
                + f", X from {comparison['x_source']}"
                + (f", median ours/BAccMod {median:.3f}" if median is not None else "")
                + (" (median over the models of each model's median)"
                   if median is not None and n_models > 1 else "")
                + (f"; without BAccMod's all-zero models: "
                   f"{fmt(comparison['agreement_without_zero_models'], '.1%')}"
                   if "agreement_without_zero_models" in comparison else "")
                + "".join(f"; {e}" for e in comparison.get("errors", [])))
        elif comparison:
            notes.append(f"- {name}: no agreement: "
                         + "; ".join(comparison.get("errors", [])[:3]))
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


def save(output, stem, results, text):
    """Write ``results`` to ``output/<stem>.json`` and the Markdown ``text`` to
    ``output/<stem>.md``, and print the text."""
    (output / f"{stem}.json").write_text(json.dumps(results, indent=1, default=str))
    (output / f"{stem}.md").write_text(text + "\n")
    print("\n" + text)
    print(f"\nSaved {output / f'{stem}.json'} and {output / f'{stem}.md'}")
