"""Convergence in oversample_map: ours and BAccMod 0.4.1 on the 21 PKS 2155-304 runs.

    python benchmarks/convergence.py [--radial-oversample N ...]
        [--radial-noexclusion-oversample N ...] [--grid3d-oversample N ...]
        [--output DIR] [--baccmod-venv DIR] [--timeout SECONDS]

Each package builds the stacked radial and 3D models of the ``radial`` / ``grid3d`` cases
(``cases.py``), and the radial model without the exclusion (``radial_noexclusion``), at
several ``oversample_map`` (cases ``<kind>_oversample<N>``, one worker per package and
oversampling). Per offset ring (3D: the bins whose centre lies in the ring; ``corners``
beyond the last ring) the rate integrated over energy and solid angle (s-1, i.e. counts per
livetime) is compared: ours / BAccMod - 1 at each oversampling, and each package's change
against its own model at the largest oversampling. Per bin, the largest and median
|ratio - 1| of the same comparisons, over the bins with at least ``MIN_COUNTS`` expected
counts (our rate times our exposure) and over all bins with expected counts. Results:
``DIR/convergence.md`` and ``DIR/convergence.json``; models and logs in
``DIR/convergence/``.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
from astropy import units as u

import cases
import environment
from compare import RATE_UNIT, bin_solid_angle, read_models
from launch import run_worker, short_error

MIN_COUNTS = 100


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--radial-oversample", nargs="*", type=int,
                        default=list(cases.CONVERGENCE_OVERSAMPLING), metavar="N",
                        help="oversample_map values of the radial models (default: %(default)s)")
    parser.add_argument("--radial-noexclusion-oversample", nargs="*", type=int,
                        default=list(cases.CONVERGENCE_OVERSAMPLING), metavar="N",
                        help="the same without the exclusion (default: %(default)s)")
    parser.add_argument("--grid3d-oversample", nargs="*", type=int,
                        default=list(cases.CONVERGENCE_OVERSAMPLING),
                        metavar="N", help="oversample_map values of the 3D models "
                                          "(default: %(default)s)")
    parser.add_argument("--output", default=str(environment.BENCHMARKS / "results"),
                        help="output folder (default: %(default)s)")
    parser.add_argument("--baccmod-venv", default=str(environment.DEFAULT_VENV),
                        help="venv for BAccMod (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=6 * 3600,
                        help="seconds allowed per worker (default: %(default)s)")
    args = parser.parse_args(argv)
    for n in args.radial_oversample + args.radial_noexclusion_oversample + \
            args.grid3d_oversample:
        if n not in cases.CONVERGENCE_OVERSAMPLING:
            parser.error(f"oversample {n} has no case; choose from {cases.CONVERGENCE_OVERSAMPLING}")
    return args


def run_models(sides, oversamplings, dr1, folder, timeout):
    """{kind: {n: {side: worker result}}}, printing progress."""
    results = {}
    for kind, values in oversamplings.items():
        for n in sorted(values):
            case = f"{kind}_oversample{n}"
            for side in sides:
                result = run_worker(side, case, dr1, "pks2155", folder, timeout=timeout)
                status = (f"FAILED: {short_error(result)}" if result.get("error")
                          else f"create {result['t_create_s']:.1f} s")
                print(f"  {side.name} {case}: {status}", flush=True)
                results.setdefault(kind, {}).setdefault(n, {})[side.name] = result
    return results


def load(result):
    """(rate s-1 MeV-1 sr-1, exposure s MeV sr or None, model) of a worker's model."""
    models, exposure = read_models(result["fits"])
    model = models["BACKGROUND"]
    return model.quantity.to_value(RATE_UNIT), exposure, model


def ring_labels(model):
    """Ring index of each spatial bin (2D: its own; 3D: that of its centre, -1 beyond)."""
    edges = model.axes[1].edges.to_value(u.deg) if model.data.ndim == 2 else None
    if edges is not None:
        return np.arange(len(edges) - 1), [f"{a:.2f}-{b:.2f}" for a, b in zip(edges, edges[1:])]
    lon, lat = (model.axes[name].center.to_value(u.deg) for name in ("fov_lon", "fov_lat"))
    rings = model.axes["fov_lon"].edges.to_value(u.deg)
    rings = rings[rings >= -1e-9]
    radius = np.hypot(lon[:, None], lat[None, :])
    index = np.digitize(radius, rings) - 1
    index[index >= len(rings) - 1] = -1
    names = [f"{a:.2f}-{b:.2f}" for a, b in zip(rings, rings[1:])]
    return index, names


def per_ring(rate, model):
    """Rate integrated over energy and the solid angle of each ring's bins (s-1)."""
    widths = model.axes["energy"].bin_width.to_value(u.MeV)
    integrated = np.tensordot(widths, rate, axes=1) * bin_solid_angle(model)
    index, names = ring_labels(model)
    sums = [integrated[index == k].sum() for k in range(len(names))]
    if (index == -1).any():
        sums.append(integrated[index == -1].sum())
        names = names + ["corners"]
    return np.array(sums), names


def summary(kind, runs):
    """Per-ring and per-bin comparisons of one kind of model (see the module documentation)."""
    values = sorted(n for n in runs if all(not r.get("error") for r in runs[n].values()))
    if not values:
        return None
    loaded = {n: {side: load(r) for side, r in runs[n].items()} for n in values}
    finest = values[-1]
    rate_ours, exposure, model = loaded[finest]["ours"]
    counts = rate_ours * exposure
    well_filled = counts >= MIN_COUNTS
    rings = {n: {side: per_ring(rate, model)[0] for side, (rate, _, _) in loaded[n].items()}
             for n in values}
    names = per_ring(rate_ours, model)[1]

    def change(a, b):
        return a / np.where(b > 0, b, np.nan) - 1

    out = {"kind": kind, "oversample": values, "rings": names,
           "t_create_s": {n: {s: r.get("t_create_s") for s, r in runs[n].items()} for n in values},
           "ours_over_baccmod": {n: change(rings[n]["ours"], rings[n]["baccmod"]).tolist()
                                 for n in values},
           "baccmod_change": {n: change(rings[n]["baccmod"], rings[finest]["baccmod"]).tolist()
                              for n in values[:-1]},
           "ours_change": {n: change(rings[n]["ours"], rings[finest]["ours"]).tolist()
                           for n in values[:-1]}}
    selections = {f">= {MIN_COUNTS} counts": well_filled, "all": counts > 0}
    out["per_bin"] = {label: {n: bin_changes(loaded, n, finest, where) for n in values}
                      for label, where in selections.items()}
    out["bins_compared"] = {label: int(where.sum()) for label, where in selections.items()}
    return out


def bin_changes(loaded, n, finest, where):
    """Largest and median |ratio - 1| over the bins ``where`` (and BAccMod's rate > 0)."""
    ours, theirs = loaded[n]["ours"][0], loaded[n]["baccmod"][0]
    pairs = {"ours_over_baccmod": (ours, theirs)}
    if n != finest:
        pairs.update(baccmod_change=(theirs, loaded[finest]["baccmod"][0]),
                     ours_change=(ours, loaded[finest]["ours"][0]))
    changes = {}
    for name, (a, b) in pairs.items():
        kept = where & (b > 0)
        ratio = np.abs(a[kept] / b[kept] - 1)
        changes[name] = {"max": float(ratio.max()), "median": float(np.median(ratio))}
    return changes


def percent(value):
    return "n/a" if value is None or not np.isfinite(value) else f"{100 * value:+.2f} %"


def markdown(result):
    values, finest = result["oversample"], result["oversample"][-1]
    head = (["ring [deg]"] + [f"ours/BAccMod-1 @{n}" for n in values]
            + [f"BAccMod @{n} vs @{finest}" for n in values[:-1]]
            + [f"ours @{n} vs @{finest}" for n in values[:-1]])
    lines = [f"### {result['kind']}", "", "| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for i, ring in enumerate(result["rings"]):
        cells = ([percent(result["ours_over_baccmod"][n][i]) for n in values]
                 + [percent(result["baccmod_change"][n][i]) for n in values[:-1]]
                 + [percent(result["ours_change"][n][i]) for n in values[:-1]])
        lines.append(f"| {ring} | " + " | ".join(cells) + " |")
    lines += ["", "Per bin (bins with expected counts, ours: rate x exposure): largest / "
                  "median |ratio - 1|", "",
              "| bins | oversample_map | ours/BAccMod | BAccMod vs finest | ours vs finest | "
              "create ours [s] | create BAccMod [s] |", "|---|---|---|---|---|---|---|"]
    for label, by_n in result["per_bin"].items():
        for n in values:
            t = result["t_create_s"][n]
            cell = {k: f"{100 * v['max']:.2f} % / {100 * v['median']:.2f} %"
                    for k, v in by_n[n].items()}
            lines.append(f"| {label} ({result['bins_compared'][label]}) | {n} | "
                         f"{cell['ours_over_baccmod']} | {cell.get('baccmod_change', '-')} | "
                         f"{cell.get('ours_change', '-')} | {t['ours']:.2f} | "
                         f"{t['baccmod']:.1f} |")
    return "\n".join(lines + [""])


def main(argv=None):
    args = parse_args(argv)
    dr1 = environment.find_dr1()
    output = Path(args.output).resolve()
    folder = output / "convergence"
    sides = [environment.ours(cache_dir=output / "baccmod-cache"),
             environment.ensure_baccmod_venv(Path(args.baccmod_venv))]
    runs = run_models(sides, {"radial": args.radial_oversample,
                              "radial_noexclusion": args.radial_noexclusion_oversample,
                              "grid3d": args.grid3d_oversample}, dr1, folder, args.timeout)
    results = {kind: summary(kind, by_n) for kind, by_n in runs.items()}
    errors = [f"{side} {kind}@{n}: {short_error(r)}" for kind, by_n in runs.items()
              for n, by_side in by_n.items() for side, r in by_side.items() if r.get("error")]
    text = "\n".join(["## Convergence in oversample_map (21 PKS 2155-304 runs)", ""]
                     + [markdown(r) for r in results.values() if r] + errors)
    (output / "convergence.md").write_text(text + "\n")
    (output / "convergence.json").write_text(json.dumps(
        {"results": results, "runs": runs}, indent=1, default=str))
    print("\n" + text)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
