"""Benchmark baccmod (this repository) against BAccMod 0.4.1. See benchmarks/README.md.

    python benchmarks/run.py [--cases NAME ...] [--baccmod] [--compile-time] [--scaling]
                             [--output DIR]

Every case runs in a fresh subprocess (``worker.py``); results are printed as Markdown and
saved to ``DIR/results.json`` and ``DIR/results.md``.
"""
import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import cases
import environment
import report
import scaling
from compare import bin_counts, compare_files, read_models
from launch import run_worker, short_error


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=[c.name for c in cases.CASES],
                        choices=[c.name for c in cases.CASES], metavar="NAME",
                        help="cases to run (default: all; none with a bare --cases): "
                             + ", ".join(c.name for c in cases.CASES))
    parser.add_argument("--baccmod", action="store_true",
                        help="also run BAccMod 0.4.1 (creating its venv once) and compare")
    parser.add_argument("--compile-time", action="store_true",
                        help="measure our one-time cost of empty on-disk caches (cold vs warm)")
    parser.add_argument("--scaling", action="store_true",
                        help="time the scaling cases on simulated runs")
    parser.add_argument("--scaling-runs", nargs="+", type=int, default=[10, 100, 1000],
                        metavar="N", help="run counts for --scaling (default: 10 100 1000)")
    parser.add_argument("--events-per-run", type=int, default=2000,
                        help="simulated events per run for --scaling (default: 2000)")
    add_common_options(parser)
    parser.add_argument("--no-warmup", action="store_true",
                        help="do not run each of our cases once, unrecorded, before timing")
    return parser.parse_args(argv)


def add_common_options(parser):
    """--baccmod-venv, --output and --timeout (run.py and scale.py)."""
    parser.add_argument("--baccmod-venv", default=str(environment.DEFAULT_VENV),
                        help="venv for BAccMod (default: %(default)s)")
    parser.add_argument("--output", default=str(environment.BENCHMARKS / "results"),
                        help="output folder (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds allowed per subprocess (default: %(default)s)")


class Runner:
    """Runs workers; for ours, first runs each case once unrecorded to warm its on-disk caches."""

    def __init__(self, timeout, warmup):
        self.timeout = timeout
        self.warmup = warmup
        self.warmed = set()

    def run(self, side, case, datastore, select, folder, label=None):
        label = label or f"{side.name}-{case}"
        if self.warmup and side.name == "ours" and case not in self.warmed:
            run_worker(side, case, datastore, select, folder, f"{label}-warmup", self.timeout)
            self.warmed.add(case)
        result = run_worker(side, case, datastore, select, folder, label, self.timeout)
        result["bins"] = model_bins(result)
        print(progress_line(label, result), flush=True)
        return result


def model_bins(result):
    """Bin counts over all the models a worker wrote (None if none): nonzero, NaN and
    non-finite bins, and the number of models, of all-zero models and of models with a
    non-finite bin."""
    if result.get("error") or not Path(result["fits"]).exists():
        return None
    models, _ = read_models(result["fits"])
    counts = [bin_counts(model) for model in models.values()]
    totals = {key: sum(c[key] for c in counts)
              for key in ("n_bins", "n_nonzero", "n_nan", "n_nonfinite")}
    totals.update(n_models=len(counts), n_zero_models=sum(c["all_zero"] for c in counts),
                  n_nonfinite_models=sum(c["n_nonfinite"] > 0 for c in counts))
    return totals


def progress_line(label, result):
    if result.get("error"):
        return f"  {label}: FAILED: {short_error(result)}"
    return (f"  {label}: create {result['t_create_s']:.3f} s, process "
            f"{result['t_process_s']:.2f} s, peak {result['peak_rss_mib']:.0f} MiB")


def summarize_comparison(per_model):
    """Totals over the models of a case (one model, or one per run)."""
    compared = [e for e in per_model.values() if "n_compared" in e]
    summary = {"per_model": per_model,
               "errors": [f"{name}: {e['error']}" for name, e in per_model.items()
                          if "error" in e]}
    if not compared:
        return summary
    n_agree = sum(e["n_agree"] for e in compared)
    n_compared = sum(e["n_compared"] for e in compared)
    medians = [e["median_ratio"] for e in compared if e["median_ratio"] is not None]
    summary.update(n_agree=n_agree, n_compared=n_compared,
                   n_bins=sum(e["n_bins"] for e in compared),
                   agreement=n_agree / n_compared if n_compared else None,
                   n_theirs_nonfinite=sum(e["n_theirs_nonfinite"] for e in compared),
                   x_source=", ".join(sorted({e["x_source"] for e in compared})),
                   n_models=len(compared),
                   # one model: its median ratio; several: the median of their medians
                   median_ratio=float(np.median(medians)) if medians else None)
    # the same share without the models BAccMod left all zero (if any)
    nonzero = [e for e in compared if not e["baccmod_bins"]["all_zero"]]
    if len(nonzero) < len(compared):
        n = sum(e["n_compared"] for e in nonzero)
        summary["agreement_without_zero_models"] = (
            sum(e["n_agree"] for e in nonzero) / n if n else None)
    return summary


def compare(ours, theirs):
    if ours.get("error") or theirs.get("error"):
        return None
    livetimes = {"total": ours["livetime_s"], "by_run": ours["livetime_by_run_s"]}
    return summarize_comparison(compare_files(ours["fits"], theirs["fits"], livetimes))


def run_cases(runner, sides, names, dr1, folder):
    results = {}
    for name in names:
        print(f"case {name}", flush=True)
        case_sides = [side for side in sides
                      if side.name == "ours" or cases.CASES_BY_NAME[name].in_baccmod]
        entry = {side.name: runner.run(side, name, dr1, "pks2155", folder)
                 for side in case_sides}
        if "baccmod" in entry:
            entry["comparison"] = compare(entry["ours"], entry["baccmod"])
        results[name] = entry
    return results


def run_compile_time(timeout, names, dr1, folder):
    """Ours with fresh on-disk caches, then with those (now warm) caches: the difference."""
    results = {}
    for name in names:
        print(f"compile time {name}", flush=True)
        with tempfile.TemporaryDirectory(prefix="baccmod-cache-") as cache:
            side = environment.ours(cache_dir=cache)
            runs = {state: run_worker(side, name, dr1, "pks2155", folder,
                                      f"ours-{name}-{state}", timeout)
                    for state in ("cold", "warm")}
        cold, warm = runs["cold"].get("t_create_s"), runs["warm"].get("t_create_s")
        runs["compile_s"] = cold - warm if cold is not None and warm is not None else None
        print(f"  cold {report.fmt(cold, '.3f')} s, warm {report.fmt(warm, '.3f')} s",
              flush=True)
        results[name] = runs
    return results


def run_scaling(runner, sides, counts, events_per_run, folder):
    counts = sorted(set(counts))
    folder.mkdir(parents=True, exist_ok=True)
    with scaling.temporary_folder() as data:
        print(f"simulating {counts[-1]} runs in {data}", flush=True)
        try:
            seconds = scaling.simulate(environment.ours(), counts[-1], events_per_run, data,
                                       folder / "simulate.log")
        except RuntimeError as error:
            print(f"  {error}", flush=True)
            return {"error": str(error)}
        points = []
        for n_runs in counts:
            for name in cases.SCALING_CASES:
                for side in sides:
                    result = runner.run(side, name, data, f"first:{n_runs}", folder,
                                        f"{side.name}-{name}-{n_runs}runs")
                    result["n_runs_requested"] = n_runs
                    points.append(result)
    linearity = {}
    for side in sides:
        for name in cases.SCALING_CASES:
            series = [(p["n_runs_requested"], p.get("t_create_s")) for p in points
                      if p["package"] == side.name and p["case"] == name]
            linearity[f"{side.name} {name}"] = scaling.linearity(series)
    return {"simulation": {"n_runs": counts[-1], "events_per_run": events_per_run,
                           "t_simulate_s": seconds},
            "points": points, "linearity": linearity}


def metadata(args, dr1):
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
            "dr1": str(dr1), "arguments": vars(args)}


def markdown(results):
    parts = ["# baccmod benchmarks", "",
             f"{results['meta']['date']}, {results['meta']['platform']}, "
             f"{results['meta']['cpu_count']} CPUs", ""]
    if results.get("cases"):
        parts += ["## Cases (21 PKS 2155-304 runs of the H.E.S.S. DL3 DR1)", "",
                  report.cases_table(results["cases"]), ""]
    if results.get("compile_time"):
        parts += ["## one-time cost of empty on-disk caches (ours)", "",
                  report.compile_table(results["compile_time"]), ""]
    if results.get("scaling"):
        parts += ["## Scaling on simulated runs", "", report.scaling_table(results["scaling"]),
                  ""]
    return "\n".join(parts)


def main(argv=None):
    args = parse_args(argv)
    dr1 = environment.find_dr1()
    output = Path(args.output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    sides = [environment.ours(cache_dir=output / "baccmod-cache")]
    if args.baccmod:
        sides.append(environment.ensure_baccmod_venv(Path(args.baccmod_venv)))
    runner = Runner(args.timeout, warmup=not args.no_warmup)
    results = {"meta": metadata(args, dr1)}
    results["cases"] = run_cases(runner, sides, args.cases, dr1, output / "cases")
    if args.compile_time:
        results["compile_time"] = run_compile_time(args.timeout, args.cases, dr1,
                                                   output / "compile")
    if args.scaling:
        results["scaling"] = run_scaling(runner, sides, args.scaling_runs,
                                         args.events_per_run, output / "scaling")
    report.save(output, "results", results, markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
