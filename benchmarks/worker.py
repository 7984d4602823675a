"""Run ONE benchmark case in this (fresh) process and write its result.

    python worker.py --case grid3d --datastore DIR --select pks2155 \
        --fits model.fits --result result.json --expect ours --repo REPO

Runs under either interpreter (ours: the system python with the repository on PYTHONPATH;
BAccMod: its own venv), so it needs only the standard library, numpy, astropy, gammapy and
regions, plus whichever ``baccmod`` the interpreter imports. The result JSON holds the phase
times (import, read, creation call, write), the peak RSS of this process, the run selection,
versions, and ``error`` when something failed. The models go to ``--fits``, one BINTABLE per
model (``to_table_hdu()``), plus the creator's ``exposure`` as an image HDU and its run-wise
norms (``normalisation_table``) as a NORMS table when it has them.
"""
import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

import cases  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", required=True, choices=sorted(cases.CASES_BY_NAME))
    parser.add_argument("--datastore", required=True, help="folder readable by DataStore")
    parser.add_argument("--select", default="pks2155",
                        help="'pks2155' (runs near PKS 2155-304) or 'first:N' (first N runs)")
    parser.add_argument("--fits", required=True, help="output FITS file for the model(s)")
    parser.add_argument("--result", required=True, help="output JSON file for the result")
    parser.add_argument("--expect", choices=["ours", "baccmod"], required=True,
                        help="which package 'import baccmod' must give")
    parser.add_argument("--repo", required=True, help="repository root (to tell them apart)")
    return parser.parse_args(argv)


def peak_rss_mib():
    """Peak resident set size of this process (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def package_info(expect, repo):
    """Import baccmod and check it is the package we mean to benchmark."""
    import importlib.metadata

    import baccmod
    location = Path(baccmod.__file__).resolve()
    is_ours = location.parent == Path(repo).resolve() / "baccmod"
    if is_ours != (expect == "ours"):
        raise RuntimeError(f"'import baccmod' gave {location}, which is not the "
                           f"{'repository' if expect == 'ours' else 'BAccMod'} package.")
    version = getattr(baccmod, "__version__", None)
    if version is None:
        version = importlib.metadata.version("baccmod")
    return {"package": expect, "baccmod_version": version, "baccmod_file": str(location)}


def library_versions():
    import astropy
    import gammapy
    import numpy
    import regions
    return {"python": sys.version.split()[0], "numpy": numpy.__version__,
            "astropy": astropy.__version__, "gammapy": gammapy.__version__,
            "regions": regions.__version__}


def select_obs_ids(store, selection):
    """The run ids to use: around PKS 2155-304, or the first N of the store."""
    import astropy.units as u
    import numpy as np
    from astropy.coordinates import SkyCoord
    table = store.obs_table
    if selection == "pks2155":
        source = SkyCoord(cases.SOURCE_RA_DEG, cases.SOURCE_DEC_DEG, unit="deg")
        pointings = SkyCoord(table["RA_PNT"], table["DEC_PNT"], unit="deg")
        near = pointings.separation(source) < cases.SELECTION_RADIUS_DEG * u.deg
        return [int(i) for i in table["OBS_ID"][near]]
    if selection.startswith("first:"):
        count = int(selection.split(":", 1)[1])
        ids = np.sort(np.asarray(table["OBS_ID"]))
        if len(ids) < count:
            raise ValueError(f"the store holds {len(ids)} runs, fewer than {count}.")
        return [int(i) for i in ids[:count]]
    raise ValueError(f"unknown selection {selection!r}")


def read_observations(datastore, selection):
    """Read the runs and load every event list once, into memory.

    gammapy reads events lazily and does not cache them (each ``obs.events`` re-reads the
    file), so assigning them back keeps them: neither package reads files while timed.
    """
    from gammapy.data import DataStore
    store = DataStore.from_dir(datastore)
    obs_ids = select_obs_ids(store, selection)
    observations = store.get_observations(obs_ids, required_irf=[])
    n_events = 0
    livetime_by_run = {}
    for obs in observations:
        obs.events = obs.events
        n_events += len(obs.events.table)
        livetime_by_run[str(obs.obs_id)] = obs.observation_live_time_duration.to_value("s")
    info = {"obs_ids": obs_ids, "n_runs": len(obs_ids), "n_events": n_events,
            "livetime_s": sum(livetime_by_run.values()), "livetime_by_run_s": livetime_by_run}
    return observations, info


def energy_axis(spec):
    from gammapy.maps import MapAxis
    lo, hi, per_decade = spec
    return MapAxis.from_energy_bounds(lo, hi, per_decade, per_decade=True, unit="TeV",
                                      name="energy")


def computation_axis(name):
    """A named (possibly irregular) computation energy axis, or None."""
    if name is None:
        return None
    import numpy as np
    from gammapy.maps import MapAxis
    pieces = cases.ENERGY_COMPUTATION_AXES[name]
    edges = [np.geomspace(lo, hi, bins + 1)[:-1] for lo, hi, bins in pieces]
    edges = np.concatenate(edges + [[pieces[-1][1]]])
    return MapAxis.from_energy_edges(edges, unit="TeV", name="energy")


def import_creator(case):
    """Import everything the case needs (ours loads its creators lazily)."""
    import baccmod
    import gammapy.data  # noqa: F401
    import gammapy.irf  # noqa: F401
    import gammapy.maps  # noqa: F401
    return getattr(baccmod, cases.CREATORS[case.creator])


def option_values(options):
    """The case's options with ``cases.quantity`` dicts made astropy Quantities and
    ``cases.astropy_model`` dicts astropy models."""
    import astropy.units as u
    values = {}
    for name, value in options.items():
        if isinstance(value, dict) and set(value) == {"value", "unit"}:
            value = u.Quantity(value["value"], value["unit"])
        elif isinstance(value, dict) and "astropy_model" in value:
            value = astropy_model(value)
        values[name] = value
    return values


def astropy_model(spec):
    """A fresh astropy model from its ``cases.astropy_model`` description."""
    from astropy.modeling import models
    model = getattr(models, spec["astropy_model"])(**spec["values"])
    for name, bounds in spec["bounds"].items():
        getattr(model, name).bounds = tuple(bounds)
    for name in spec["fixed"]:
        getattr(model, name).fixed = True
    for name, other in spec["tied"].items():
        getattr(model, name).tied = lambda m, other=other: getattr(m, other).value
    return model


def build_creator(case):
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from gammapy.maps import MapAxis
    from regions import CircleSkyRegion
    source = SkyCoord(cases.SOURCE_RA_DEG * u.deg, cases.SOURCE_DEC_DEG * u.deg)
    region = CircleSkyRegion(center=source, radius=cases.EXCLUSION_RADIUS_DEG * u.deg)
    lo, hi, bins = cases.OFFSET_DEG
    creator_class = import_creator(case)
    options = {"oversample_map": cases.OVERSAMPLE_MAP, **option_values(case.options)}
    return creator_class(energy_axis=energy_axis(cases.ENERGY_TEV),
                         offset_axis=MapAxis.from_bounds(lo, hi, bins, unit="deg",
                                                         name="offset"),
                         exclude_regions=[region] if case.exclusion else None,
                         energy_axis_computation=computation_axis(case.energy_computation),
                         **options)


def as_models(result):
    """{HDU name: model} for one model or a dict of models keyed by run."""
    if isinstance(result, dict):
        return {f"BKG_{key}": model for key, model in result.items()}
    return {"BACKGROUND": result}


def exposure_array(creator):
    """The creator's exposure (s MeV sr) as a plain array, or None."""
    exposure = getattr(creator, "exposure", None)
    if exposure is None:
        return None
    import numpy as np
    if hasattr(exposure, "unit"):
        exposure = exposure.to_value("s MeV sr")
    return np.asarray(exposure, dtype=float)


def normalisation_rows(creator):
    """The creator's run-wise norms (ours: ``normalisation_table``) as rows, or None."""
    table = getattr(creator, "normalisation_table", None)
    if table is None or len(table) == 0:
        return None
    return [{name: row[name].item() if hasattr(row[name], "item") else row[name]
             for name in table.colnames} for row in table]


def write_models(models, exposure, path, norms=None):
    from astropy.io import fits
    from astropy.table import Table
    hdus = [fits.PrimaryHDU()]
    for name, model in models.items():
        hdu = model.to_table_hdu()
        hdu.name = name
        hdus.append(hdu)
    if exposure is not None:
        hdus.append(fits.ImageHDU(exposure, name="EXPOSURE"))
        hdus[-1].header["BUNIT"] = "s MeV sr"
    if norms:
        hdus.append(fits.table_to_hdu(Table(rows=norms)))
        hdus[-1].name = "NORMS"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fits.HDUList(hdus).writeto(path, overwrite=True)


def run_case(args, result):
    """Fill ``result`` phase by phase, so a failure still reports what was done."""
    case = cases.CASES_BY_NAME[args.case]
    result.update(library_versions())
    result.update(package_info(args.expect, args.repo))
    import_creator(case)
    result["t_import_s"] = time.perf_counter() - T_START

    t0 = time.perf_counter()
    observations, info = read_observations(args.datastore, args.select)
    result.update(info)
    result["t_read_s"] = time.perf_counter() - t0

    creator = build_creator(case)
    method = getattr(creator, case.call)
    result["call"] = case.call
    t0 = time.perf_counter()
    output = method(observations, **case.call_options)
    result["t_create_s"] = time.perf_counter() - t0
    result["peak_rss_after_create_mib"] = peak_rss_mib()
    # ours exposes the merged axis it used (BAccMod 0.4.1 does not keep it)
    if getattr(creator, "dynamic_energy_axis", False) and hasattr(
            creator, "base_energy_axis_computation"):
        result["energy_edges_computation_tev"] = [
            float(e) for e in creator.energy_axis_computation.edges.to_value("TeV")]
    # the same call again on a new creator: the steady cost per model, without the one-time
    # costs of a process (astropy's IERS tables; for ours, its Earth orientation cache) that the first call pays
    if case.repeat:
        t0 = time.perf_counter()
        getattr(build_creator(case), case.call)(observations, **case.call_options)
        result["t_create_repeat_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    models = as_models(output)
    exposure = exposure_array(creator)
    result["has_exposure"] = exposure is not None
    norms = normalisation_rows(creator)
    if norms:
        result["normalisation"] = norms
    write_models(models, exposure, args.fits, norms)
    result["models"] = sorted(models)
    result["t_write_s"] = time.perf_counter() - t0


def main(argv=None):
    args = parse_args(argv)
    result = {"case": args.case, "select": args.select, "datastore": args.datastore}
    return run_and_write(run_case, args, result, T_START)


def run_and_write(run, args, result, start):
    """``run(args, result)``, then write ``result`` to ``args.result`` with the worker's wall
    time since ``start`` and its peak RSS; a failure is reported in the result (``error``,
    ``traceback``) for the parent to decide. Returns the exit status."""
    status = 0
    try:
        run(args, result)
    except Exception as error:  # report any failure in the result, the parent decides
        result["error"] = f"{type(error).__name__}: {error}"
        result["traceback"] = traceback.format_exc()
        traceback.print_exc()
        status = 1
    result["t_worker_s"] = time.perf_counter() - start
    result["peak_rss_mib"] = peak_rss_mib()
    Path(args.result).parent.mkdir(parents=True, exist_ok=True)
    Path(args.result).write_text(json.dumps(result, indent=1))
    return status


if __name__ == "__main__":
    sys.exit(main())
