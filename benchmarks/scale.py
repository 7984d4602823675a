"""Scale benchmarks of ours (issue 10): parallel, distributed and cached builds. See README.md.

    python benchmarks/scale.py [--runs 1050] [--scaling-runs 10 100 1000 10000]
                               [--parts stacked cache scaling dask first-call] [--output DIR]

Every measurement runs in a fresh subprocess (``scale_worker.py``; ``worker.py`` for the
first call against BAccMod 0.4.1); results are printed as Markdown and saved to
``DIR/scale.json`` and ``DIR/scale.md``, the workers' files under ``DIR/scale/``.
"""
import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

import cases
import environment
import report
import run
import scaling
from launch import run_script, short_error
from report import DASH, fmt, ratio, table

SCALE_WORKER = environment.BENCHMARKS / "scale_worker.py"
PARTS = ("stacked", "cache", "scaling", "dask", "first-call")
DR1_RUNS = 105
WARMUP_RUNS = 10
# issue 10's targets
TARGET_PARALLEL_S = 6.0  # 3D stacked model of the 1,050 runs, n_jobs=2
TARGET_WORKER_MIB = 500.0  # peak RSS per worker
TARGET_REBUILD_S = 1.0  # a re-build from the run cache
TARGET_FIRST_CALL_RATIO = 30.0  # first call in a fresh process, BAccMod 0.4.1 / ours


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10 * DR1_RUNS,
                        help="runs of the stacked, cache and Dask parts (default: %(default)s,"
                             " the 105 DR1 runs ten times)")
    parser.add_argument("--scaling-runs", nargs="+", type=int, default=[10, 100, 1000, 10000],
                        metavar="N", help="run counts of the scaling curve (default: "
                                          "10 100 1000 10000)")
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="local processes of the parallel builds (default: %(default)s)")
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=PARTS,
                        metavar="PART", help="what to measure (default: all): "
                                             + ", ".join(PARTS))
    parser.add_argument("--no-baccmod", action="store_true",
                        help="first-call part: ours only (BAccMod's venv is not needed)")
    run.add_common_options(parser)
    parser.add_argument("--no-warmup", action="store_true",
                        help=f"do not run each measurement once on {WARMUP_RUNS} runs, "
                             "unrecorded, before timing (it fills on-disk caches)")
    return parser.parse_args(argv)


class Measurer:
    """Runs ``scale_worker.py`` measurements, each in a fresh process."""

    def __init__(self, side, dr1, folder, timeout):
        self.side, self.dr1, self.folder, self.timeout = side, dr1, Path(folder), timeout
        self.results = {}

    def measure(self, label, measure, runs, kind="grid3d", n_jobs=None, cache_dir=None,
                record=True, folder=None):
        folder = Path(folder or self.folder)
        model = folder / f"{label}.npz"
        model.unlink(missing_ok=True)
        arguments = ["--measure", measure, "--kind", kind, "--runs", str(runs),
                     "--datastore", str(self.dr1), "--model", str(model),
                     "--repo", str(environment.REPO)]
        if n_jobs is not None:
            arguments += ["--n-jobs", str(n_jobs)]
        if cache_dir is not None:
            arguments += ["--cache-dir", str(cache_dir)]
        result = run_script(self.side, SCALE_WORKER, arguments, folder, label, self.timeout)
        result.update(label=label, where=where(measure, n_jobs))
        result.setdefault("measure", measure)
        result.setdefault("runs_requested", runs)
        if not result.get("error") and model.exists():
            result["model"] = str(model)
        print(progress_line(label, result), flush=True)
        if record:
            self.results[label] = result
        return result

    def get(self, label):
        return self.results.get(label)


def where(measure, n_jobs):
    if measure == "dask":
        return "Dask LocalCluster, 2 processes"
    return f"{n_jobs} local processes" if n_jobs and n_jobs > 1 else "here (serial)"


def progress_line(label, result):
    if result.get("error"):
        return f"  {label}: FAILED: {short_error(result)}"
    workers = result.get("worker_peak_rss_mib") or []
    return (f"  {label}: call {result['t_call_s']:.3f} s, process {result['t_process_s']:.2f} s,"
            f" peak main {result['peak_rss_mib']:.0f} MiB"
            + (f", workers {max(workers):.0f} MiB" if workers else ""))


def warmup(measurer, n_jobs):
    """Each kind of measurement once on a few runs, unrecorded: the on-disk caches are filled
    and every path is checked end to end before the long measurements."""
    print(f"warm-up on {WARMUP_RUNS} runs", flush=True)
    folder = measurer.folder / "warmup"
    for kind in ("grid3d", "radial"):
        measurer.measure(f"{kind}-serial", "build", WARMUP_RUNS, kind, record=False,
                         folder=folder)
    with tempfile.TemporaryDirectory(prefix="baccmod-scale-cache-") as cache:
        for measure in ("cache-fill", "rebuild-binned", "rebuild-per-run"):
            measurer.measure(measure, measure, WARMUP_RUNS, n_jobs=n_jobs, cache_dir=cache,
                             record=False, folder=folder)


def stacked_label(kind, n_runs, n_jobs=None):
    return f"{kind}-{'serial' if not n_jobs else f'jobs{n_jobs}'}-{n_runs}"


def part_stacked(measurer, n_runs, n_jobs):
    print(f"stacked models of {n_runs} runs", flush=True)
    for kind in ("grid3d", "radial"):
        for jobs in (None, n_jobs):
            measurer.measure(stacked_label(kind, n_runs, jobs), "build", n_runs, kind, jobs)
    # the copies read the same files: N rounds of the DR1 runs give the DR1 runs' model
    if n_runs > DR1_RUNS and n_runs % DR1_RUNS == 0:
        measurer.measure(stacked_label("grid3d", DR1_RUNS), "build", DR1_RUNS)


def part_cache(measurer, n_runs, n_jobs):
    print(f"run cache, {n_runs} runs", flush=True)
    with tempfile.TemporaryDirectory(prefix="baccmod-scale-cache-") as cache:
        measurer.measure(f"cache-fill-jobs{n_jobs}-{n_runs}", "cache-fill", n_runs,
                         n_jobs=n_jobs, cache_dir=cache)
        for measure in ("rebuild-binned", "rebuild-per-run"):
            measurer.measure(f"{measure}-{n_runs}", measure, n_runs, cache_dir=cache)
        size = sum(f.stat().st_size for f in Path(cache).rglob("*") if f.is_file())
    return {"size_mib": size / 2 ** 20}


def part_scaling(measurer, counts, n_jobs):
    print(f"scaling, n_jobs={n_jobs}", flush=True)
    labels = [f"scaling-jobs{n_jobs}-{n}" for n in counts]
    for label, n_runs in zip(labels, counts):
        measurer.measure(label, "build", n_runs, n_jobs=n_jobs)
    points = [measurer.get(label) for label in labels]
    timing = scaling.linearity([(p["runs_requested"], p.get("t_call_s")) for p in points])
    return {"labels": labels, "linearity": timing, "memory": memory_growth(points)}


def memory_growth(points):
    """Peak RSS of the main process and of the largest worker from the smallest run count to
    the largest (MiB, and MiB per 1,000 runs)."""
    good = [p for p in points if not p.get("error")]
    if len(good) < 2:
        return None
    first, last = good[0], good[-1]
    runs = last["runs_requested"] - first["runs_requested"]
    growth = {}
    for name, value in (("main", lambda p: p["peak_rss_mib"]),
                        ("worker", lambda p: max(p.get("worker_peak_rss_mib") or [np.nan]))):
        change = value(last) - value(first)
        growth[name] = {"from_mib": value(first), "to_mib": value(last), "change_mib": change,
                        "per_1000_runs_mib": 1e3 * change / runs if runs else None}
    growth.update(from_runs=first["runs_requested"], to_runs=last["runs_requested"])
    return growth


def part_dask(measurer, n_runs):
    print(f"Dask LocalCluster, {n_runs} runs", flush=True)
    measurer.measure(f"grid3d-dask-{n_runs}", "dask", n_runs)
    if measurer.get(stacked_label("grid3d", n_runs)) is None:  # the serial model to compare
        measurer.measure(stacked_label("grid3d", n_runs), "build", n_runs)


def part_first_call(args, dr1, folder):
    """The grid3d case called once (``cases.FIRST_CALL_CASE``) with run.py's machinery: ours
    (after a warm-up for the on-disk caches) and BAccMod 0.4.1, each in a fresh process."""
    print("first call: the grid3d case, called once", flush=True)
    sides = [environment.ours(cache_dir=Path(args.output) / "baccmod-cache")]
    if not args.no_baccmod:
        sides.append(environment.ensure_baccmod_venv(Path(args.baccmod_venv)))
    runner = run.Runner(args.timeout, warmup=not args.no_warmup)
    name = cases.FIRST_CALL_CASE.name
    return run.run_cases(runner, sides, [name], dr1, folder)[name]


def agreement(results, pairs):
    """Whether two saved stacked models are identical, and their largest relative difference
    (|a - b| / max(|a|, |b|) over the bins where either is nonzero)."""
    rows = {}
    for name, (a, b) in pairs.items():
        ra, rb = results.get(a), results.get(b)
        if not ra or not rb or "model" not in ra or "model" not in rb:
            continue
        with np.load(ra["model"]) as fa, np.load(rb["model"]) as fb:
            da, db = fa["data"], fb["data"]
            units = (str(fa["unit"]), str(fb["unit"]))
        entry = {"a": a, "b": b, "same_unit": units[0] == units[1],
                 "identical": bool(da.shape == db.shape and np.array_equal(da, db))}
        if da.shape == db.shape:
            scale = np.maximum(np.abs(da), np.abs(db))
            nonzero = scale > 0
            entry["max_relative_difference"] = float(
                np.max(np.abs(da - db)[nonzero] / scale[nonzero])) if nonzero.any() else 0.0
        rows[name] = entry
    return rows


def agreement_pairs(n_runs, n_jobs):
    pairs = {f"{kind}: {n_jobs} processes vs serial": (stacked_label(kind, n_runs, n_jobs),
                                                       stacked_label(kind, n_runs))
             for kind in ("grid3d", "radial")}
    pairs["grid3d: Dask LocalCluster vs serial"] = (f"grid3d-dask-{n_runs}",
                                                    stacked_label("grid3d", n_runs))
    pairs["grid3d: run cache filled (stacked model) vs serial"] = (
        f"cache-fill-jobs{n_jobs}-{n_runs}", stacked_label("grid3d", n_runs))
    pairs[f"grid3d: {n_runs} repeated runs vs the {DR1_RUNS} DR1 runs"] = (
        stacked_label("grid3d", n_runs), stacked_label("grid3d", DR1_RUNS))
    return pairs


# ---------------------------------------------------------------- report

def worker_peak(result):
    workers = result.get("worker_peak_rss_mib") or []
    return max(workers) if workers else None


def opened(result):
    opens = result.get("opens_during_call")
    if opens is None:
        return DASH
    return f"{opens['n_opens']} ({opens['n_files']})"


def measurement_rows(results):
    rows = []
    for label, r in results.items():
        if r.get("error"):
            rows.append([label, r.get("runs_requested", DASH), r["where"],
                         f"FAILED: {short_error(r)}"] + [DASH] * 7)
            continue
        rows.append([label, r["n_runs"], r["where"], fmt(r.get("t_call_s"), ".3f"),
                     fmt(ratio(r.get("t_call_s"), r["n_runs"] / 1e3), ".2f"),
                     fmt(r.get("t_process_s")), fmt(r.get("rss_before_call_mib"), ".0f"),
                     fmt(r.get("peak_rss_mib"), ".0f"), fmt(worker_peak(r), ".0f"),
                     opened(r), notes(r)])
    header = ["measurement", "runs", "where", "call [s]", "per run [ms]", "process [s]",
              "main RSS before call [MiB]", "peak RSS main [MiB]", "peak RSS per worker [MiB]",
              "run files opened in the call (distinct)", "notes"]
    return table(header, rows)


def notes(result):
    parts = list(result.get("cache_log") or [])
    if result.get("measure") == "dask":
        parts.append(f"cluster start-up {result['t_cluster_start_s']:.2f} s (dask import "
                     f"{result['t_import_dask_s']:.2f} s), shut-down "
                     f"{result['t_cluster_close_s']:.2f} s")
    if result.get("measure", "").startswith("rebuild"):
        parts.append(f"{result.get('n_models')} models")
    if result.get("copies_read_original_files") is False:
        parts.append("COPIES READ OTHER FILES")
    return "; ".join(parts) or DASH


def agreement_table(rows):
    header = ["models", "identical (np.array_equal)", "max relative difference", "expected"]
    return table(header, [[name, "yes" if e["identical"] else "NO",
                           fmt(e.get("max_relative_difference"), ".2e"),
                           "equal up to rounding (sums of k copies)" if "repeated" in name
                           else "identical (sums in the runs' order)"]
                          for name, e in rows.items()])


def scaling_section(results, curve):
    rows, previous = [], None
    for label in curve["labels"]:
        r = results[label]
        if r.get("error"):
            rows.append([r["runs_requested"], f"FAILED: {short_error(r)}"] + [DASH] * 5)
            continue
        n, t = r["n_runs"], r["t_call_s"]
        marginal = ratio(t - previous[1], (n - previous[0]) / 1e3) if previous else None
        previous = (n, t)
        rows.append([n, fmt(t, ".3f"), fmt(1e3 * t / n, ".2f"), fmt(marginal, ".2f"),
                     fmt(r.get("rss_before_call_mib"), ".0f"), fmt(r.get("peak_rss_mib"), ".0f"),
                     fmt(worker_peak(r), ".0f")])
    header = ["runs", "call [s]", "per run [ms]", "marginal per run [ms]",
              "main RSS before call [MiB]", "peak RSS main [MiB]", "peak RSS per worker [MiB]"]
    lines = [table(header, rows), "", f"- time: {curve['linearity']['verdict']}"]
    growth = curve.get("memory")
    if growth:
        for name in ("main", "worker"):
            g = growth[name]
            lines.append(f"- peak RSS {name}: {fmt(g['from_mib'], '.0f')} MiB at "
                         f"{growth['from_runs']} runs, {fmt(g['to_mib'], '.0f')} MiB at "
                         f"{growth['to_runs']} runs ({fmt(g['per_1000_runs_mib'], '+.1f')} "
                         "MiB per 1,000 runs)")
    return "\n".join(lines)


def first_call_section(entry):
    ours, theirs = entry.get("ours") or {}, entry.get("baccmod") or {}
    rows = []
    for name, key in (("create: the call, the first in the process", "t_create_s"),
                      ("imports", "t_import_s"), ("read the runs (events into memory)",
                                                  "t_read_s"),
                      ("whole process (start-up, imports, read, create, write)",
                       "t_process_s")):
        rows.append([name, fmt(ours.get(key), ".3f"), fmt(theirs.get(key), ".3f"),
                     fmt(ratio(theirs.get(key), ours.get(key)), ".1f") + "x"])
    rows.append(["peak RSS [MiB]", fmt(ours.get("peak_rss_mib"), ".0f"),
                 fmt(theirs.get("peak_rss_mib"), ".0f"), DASH])
    text = table(["grid3d, 21 PKS 2155-304 runs", "ours [s]", "BAccMod 0.4.1 [s]",
                  "BAccMod / ours"], rows)
    comparison = entry.get("comparison") or {}
    if comparison.get("agreement") is not None:
        text += (f"\n\nAgreement (run.py's 3 sigma test): {comparison['agreement']:.1%} of "
                 f"{comparison['n_compared']} bins.")
    errors = [f"- {side}: FAILED: {short_error(r, 300)}"
              for side, r in (("ours", ours), ("BAccMod", theirs)) if r.get("error")]
    return text + ("\n\n" + "\n".join(errors) if errors else "")


def targets(results, args, first_call):
    """[(target, measured, met)] for issue 10's targets."""
    n, jobs = args.runs, args.n_jobs
    rows = []
    parallel = results.get(stacked_label("grid3d", n, jobs))
    if parallel and not parallel.get("error"):
        t = parallel["t_call_s"]
        rows.append([f"3D stacked, {n} runs, n_jobs={jobs}: <= {TARGET_PARALLEL_S:g} s",
                     f"{t:.2f} s", t <= TARGET_PARALLEL_S])
    peaks = [(label, worker_peak(r)) for label, r in results.items()
             if not r.get("error") and worker_peak(r) is not None]
    if peaks:
        label, peak = max(peaks, key=lambda item: item[1])
        rows.append([f"peak RSS per worker <= {TARGET_WORKER_MIB:g} MiB (largest of all)",
                     f"{peak:.0f} MiB ({label})", peak <= TARGET_WORKER_MIB])
    for measure in ("rebuild-binned", "rebuild-per-run"):
        r = results.get(f"{measure}-{n}")
        if r and not r.get("error"):
            no_reads = r["opens_during_call"]["n_opens"] == 0
            rows.append([f"{measure}, {n} runs, from the cache: <= {TARGET_REBUILD_S:g} s, "
                         "no run file opened", f"{r['t_call_s']:.2f} s, "
                         f"{r['opens_during_call']['n_opens']} run files opened",
                         r["t_call_s"] <= TARGET_REBUILD_S and no_reads])
    if first_call:
        ours, theirs = first_call.get("ours") or {}, first_call.get("baccmod") or {}
        speedup = ratio(theirs.get("t_create_s"), ours.get("t_create_s"))
        if speedup is not None:
            rows.append([f"first call, grid3d 21 runs: BAccMod / ours >= "
                         f"{TARGET_FIRST_CALL_RATIO:g}x", f"{speedup:.1f}x",
                         speedup >= TARGET_FIRST_CALL_RATIO])
    return rows


def markdown(results):
    meta = results["meta"]
    parts = ["# baccmod scale benchmarks (issue 10)", "",
             f"{meta['date']}, {meta['platform']}, {meta['cpu_count']} CPUs, load average "
             f"before {meta['load_before']}, after {meta['load_after']}", ""]
    if results["targets"]:
        parts += ["## Targets", "",
                  table(["target", "measured", "met"],
                        [[t, m, "yes" if ok else "NO"] for t, m, ok in results["targets"]]),
                  ""]
    measured = {k: v for k, v in results["measurements"].items()
                if not k.startswith("scaling-")}
    if measured:
        parts += ["## Builds (each a fresh process)", "", measurements_note(results), "",
                  measurement_rows(measured), ""]
    if results.get("agreement"):
        parts += ["## Agreement", "", agreement_table(results["agreement"]), ""]
    if results.get("scaling"):
        parts += [f"## Scaling, 3D stacked, n_jobs={meta['arguments']['n_jobs']}", "",
                  scaling_section(results["measurements"], results["scaling"]), ""]
    if results.get("first_call"):
        parts += ["## First call in a fresh process (run.py's grid3d case, called once)", "",
                  first_call_section(results["first_call"]), ""]
    return "\n".join(parts)


def measurements_note(results):
    text = ("DR1 runs repeated (copies with obs_id + k x 1,000,000 read the same files), "
            "one 0.4 deg circle excluded per DR1 target, energy 0.1-10 TeV 5/decade, offset "
            "0-2 deg 6 bins, oversample_map=5. call: the creation call, the first in its "
            "process; process: the whole subprocess. Peak RSS from getrusage (ru_maxrss); "
            "local workers are forked: their peak counts the pages they share with the main "
            "process (imports, the run list), an upper bound of their own memory.")
    if "cache" in results:
        text += f" Run cache of the {results['meta']['arguments']['runs']} runs: " \
                f"{results['cache']['size_mib']:.1f} MiB."
    return text


def load_average():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return DASH


def main(argv=None):
    args = parse_args(argv)
    dr1 = environment.find_dr1()
    output = Path(args.output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    folder = output / "scale"
    if folder.exists():
        shutil.rmtree(folder)
    side = environment.ours(cache_dir=output / "baccmod-cache")
    measurer = Measurer(side, dr1, folder, args.timeout)
    meta = run.metadata(args, dr1)
    meta["load_before"] = load_average()
    results = {"meta": meta}
    if not args.no_warmup and set(args.parts) - {"first-call"}:
        warmup(measurer, args.n_jobs)
    if "stacked" in args.parts:
        part_stacked(measurer, args.runs, args.n_jobs)
    if "cache" in args.parts:
        results["cache"] = part_cache(measurer, args.runs, args.n_jobs)
    if "scaling" in args.parts:
        results["scaling"] = part_scaling(measurer, sorted(set(args.scaling_runs)),
                                          args.n_jobs)
    if "dask" in args.parts:
        part_dask(measurer, args.runs)
    first_call = None
    if "first-call" in args.parts:
        first_call = part_first_call(args, dr1, folder / "first_call")
        results["first_call"] = first_call
    meta["load_after"] = load_average()
    results["measurements"] = measurer.results
    results["agreement"] = agreement(measurer.results, agreement_pairs(args.runs, args.n_jobs))
    results["targets"] = targets(measurer.results, args, first_call)
    report.save(output, "scale", results, markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
