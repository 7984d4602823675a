"""Run ONE scale measurement of ours in this (fresh) process and write its result.

    python scale_worker.py --measure build --kind grid3d --runs 1050 --n-jobs 2 \
        --datastore DIR --model model.npz --result result.json --repo REPO

The runs are the DR1 runs in obs_id order, repeated: run i is DR1 run i % 105, as a copy of
its gammapy ``Observation`` (``copy.copy``) with obs_id + (i // 105) x 1,000,000 from the
second round on, so every copy reads the same file. Each DR1 target has a 0.4 deg circle
excluded (the PKS 2155-304 exclusion of ``cases.py``, for every target). Measurements:

- ``build``: the stacked model (``create_model``), here (no ``--n-jobs``) or in ``--n-jobs``
  local processes;
- ``dask``: the same with ``executor=`` a Dask ``LocalCluster``'s (2 worker processes, one
  thread each), its start-up and shut-down timed apart;
- ``cache-fill``: the stacked model with ``cache_dir=`` (an empty folder: the call fills it);
- ``rebuild-binned``: from that cache, the cos-zenith binned collection with another
  ``cos_zenith_binning_parameter_value`` (``REBUILD_BIN_LIVETIME_S``);
- ``rebuild-per-run``: from that cache, the per-run models interpolated in cos zenith and
  normalised run by run.

The result JSON holds the phase times (import, read, the timed call), the peak RSS of this
process and of its worker processes, the files of the data store opened during the call
(counted by an audit hook, ``sys.addaudithook``: every ``open`` of a path under the data
store, the index files apart), the run cache's own count of the runs it served, versions, and
``error`` when something failed. A stacked model goes to ``--model`` (``.npz``: ``data`` and
``unit``).
"""
import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import copy  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import cases  # noqa: E402
from worker import (energy_axis, library_versions, package_info,  # noqa: E402
                    peak_rss_mib, run_and_write)

MEASURES = ("build", "dask", "cache-fill", "rebuild-binned", "rebuild-per-run")
KINDS = ("grid3d", "radial")
OBS_ID_STEP = 1_000_000  # obs_id of copy k of a run: its own + k x OBS_ID_STEP
REBUILD_BIN_LIVETIME_S = 7200  # the re-build's zenith bins (the creators' default: 3600 s)
INDEX_FILES = ("obs-index.fits.gz", "hdu-index.fits.gz")
DASK_CLUSTER = dict(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", required=True, choices=MEASURES)
    parser.add_argument("--kind", default="grid3d", choices=KINDS)
    parser.add_argument("--runs", type=int, required=True, help="number of runs")
    parser.add_argument("--n-jobs", type=int, default=None, help="local processes")
    parser.add_argument("--cache-dir", help="run cache folder (cache-fill, rebuild-*)")
    parser.add_argument("--datastore", required=True, help="the H.E.S.S. DL3 DR1 folder")
    parser.add_argument("--model", help="output .npz of a stacked model")
    parser.add_argument("--result", required=True, help="output JSON file for the result")
    parser.add_argument("--repo", required=True, help="repository root (to check 'ours')")
    return parser.parse_args(argv)


def current_rss_mib():
    """Resident set size of this process now (Linux), None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def process_peak_rss_mib():
    """Peak RSS of the process this runs in (MiB; a Dask worker's when sent there)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def children_peak_rss_mib():
    """Largest peak RSS of the waited-for child processes (ru_maxrss of RUSAGE_CHILDREN)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


class OpenCounter:
    """Counts, while ``active``, every ``open`` of a path under ``folder`` (audit hook): the
    index files apart from the others (the runs' files)."""

    def __init__(self, folder):
        self.folder = os.path.realpath(folder) + os.sep
        self.active = False
        self.run_files, self.index_files = [], []
        sys.addaudithook(self.hook)

    def hook(self, event, args):
        if not self.active or event != "open" or not args:
            return
        path = args[0]
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, (str, os.PathLike)):
            return  # an open file descriptor
        path = os.path.realpath(path)
        if path.startswith(self.folder):
            name = os.path.basename(path)
            (self.index_files if name in INDEX_FILES else self.run_files).append(path)

    def summary(self):
        return {"n_opens": len(self.run_files), "n_files": len(set(self.run_files)),
                "n_index_opens": len(self.index_files)}


class CacheLog(logging.Handler):
    """Keeps what baccmod's executors log (the run cache's 'N of M runs read from it')."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def repeated_runs(datastore, n_runs):
    """The first ``n_runs`` of the DR1 runs repeated (see the module docstring), the
    exclusion regions (one per target) and a description."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from gammapy.data import DataStore
    from regions import CircleSkyRegion
    from baccmod.run_work import run_files
    store = DataStore.from_dir(datastore)
    table = store.obs_table
    table.sort("OBS_ID")
    originals = list(store.get_observations([int(i) for i in table["OBS_ID"]],
                                            required_irf=[]))
    runs = []
    for i in range(n_runs):
        round_, index = divmod(i, len(originals))
        run = originals[index]
        if round_:
            run = copy.copy(run)
            run.obs_id = originals[index].obs_id + round_ * OBS_ID_STEP
        runs.append(run)
    # every copy is read from its original's files
    same_files = all(run_files(run) == run_files(originals[i % len(originals)])
                     for i, run in enumerate(runs))
    targets = sorted({(float(ra), float(dec)) for ra, dec in zip(table["RA_OBJ"],
                                                                  table["DEC_OBJ"])})
    regions = [CircleSkyRegion(SkyCoord(ra, dec, unit="deg"),
                               cases.EXCLUSION_RADIUS_DEG * u.deg) for ra, dec in targets]
    info = {"n_runs": len(runs), "n_dr1_runs": len(originals),
            "n_rounds": -(-len(runs) // len(originals)), "n_distinct_obs_ids":
            len({int(run.obs_id) for run in runs}), "copies_read_original_files": same_files,
            "n_exclusion_regions": len(regions)}
    return runs, regions, info


def creator(kind, regions, **options):
    from gammapy.maps import MapAxis
    import baccmod
    lo, hi, bins = cases.OFFSET_DEG
    creator_class = getattr(baccmod, cases.CREATORS[kind])
    return creator_class(energy_axis=energy_axis(cases.ENERGY_TEV),
                         offset_axis=MapAxis.from_bounds(lo, hi, bins, unit="deg",
                                                         name="offset"),
                         oversample_map=cases.OVERSAMPLE_MAP, exclude_regions=regions,
                         **options)


def call(args, runs, regions):
    """The timed call of the measurement; returns what it built."""
    if args.measure in ("build", "cache-fill"):
        options = {"n_jobs": args.n_jobs}
        if args.measure == "cache-fill":
            options["cache_dir"] = args.cache_dir
        return creator(args.kind, regions, **options).create_model(runs)
    if args.measure == "rebuild-binned":
        return creator(args.kind, regions, n_jobs=args.n_jobs, cache_dir=args.cache_dir,
                       cos_zenith_binning_parameter_value=REBUILD_BIN_LIVETIME_S
                       ).create_model_cos_zenith_binned(runs)
    if args.measure == "rebuild-per-run":
        return creator(args.kind, regions, n_jobs=args.n_jobs, cache_dir=args.cache_dir
                       ).create_acceptance_map_per_observation(
            runs, zenith_binning=True, zenith_interpolation=True, runwise_normalisation=True)
    raise ValueError(args.measure)


def dask_call(args, runs, regions, result):
    """The stacked model on a Dask LocalCluster: start-up, call and shut-down timed apart;
    the peak RSS of each Dask worker process, asked of the workers before shut-down."""
    t0 = time.perf_counter()
    from dask.distributed import Client, LocalCluster
    result["t_import_dask_s"] = time.perf_counter() - t0
    cluster = LocalCluster(**DASK_CLUSTER)
    client = Client(cluster)
    result["t_cluster_start_s"] = time.perf_counter() - t0
    result["dask_cluster"] = dict(DASK_CLUSTER)
    try:
        t0 = time.perf_counter()
        model = creator(args.kind, regions,
                        executor=client.get_executor()).create_model(runs)
        result["t_call_s"] = time.perf_counter() - t0
        # defined in __main__, so sent to the workers by value
        result["worker_peak_rss_mib"] = sorted(client.run(process_peak_rss_mib).values())
    finally:
        t0 = time.perf_counter()
        client.close()
        cluster.close()
        result["t_cluster_close_s"] = time.perf_counter() - t0
    return model


def save_model(model, path):
    import numpy as np
    quantity = model.quantity
    np.savez(path, data=quantity.value, unit=str(quantity.unit))


def describe(output):
    """Number of models and bins of what a call built."""
    if isinstance(output, dict):
        return {"n_models": len(output)}
    if hasattr(output, "quantity"):
        return {"n_models": 1, "shape": list(output.quantity.shape)}
    return {"n_models": len(output)}  # a collection


def run_measure(args, result):
    """Fill ``result`` phase by phase, so a failure still reports what was done."""
    result.update(library_versions())
    result.update(package_info("ours", args.repo))
    import baccmod  # noqa: F401
    import gammapy.data  # noqa: F401
    import gammapy.maps  # noqa: F401
    result["t_import_s"] = time.perf_counter() - T_START

    t0 = time.perf_counter()
    runs, regions, info = repeated_runs(args.datastore, args.runs)
    result.update(info)
    result["t_read_s"] = time.perf_counter() - t0

    cache_log = CacheLog()
    logging.getLogger("baccmod.executors").setLevel(logging.INFO)
    logging.getLogger("baccmod.executors").addHandler(cache_log)
    opens = OpenCounter(args.datastore)
    result["rss_before_call_mib"] = current_rss_mib()
    if args.measure == "dask":
        output = dask_call(args, runs, regions, result)
    else:
        opens.active = True
        t0 = time.perf_counter()
        output = call(args, runs, regions)
        result["t_call_s"] = time.perf_counter() - t0
        opens.active = False
        # the local pool is shut down at the end of the call: its workers are waited for
        workers = children_peak_rss_mib()  # 0 when no pool was started (every run cached)
        result["worker_peak_rss_mib"] = [workers] if workers > 0 else []
        result["opens_during_call"] = opens.summary()
    result["peak_rss_after_call_mib"] = peak_rss_mib()
    result["cache_log"] = [m for m in cache_log.messages if "run cache" in m]
    result.update(describe(output))
    if args.model and hasattr(output, "quantity"):
        save_model(output, args.model)
        result["model"] = args.model


def main(argv=None):
    args = parse_args(argv)
    result = {"measure": args.measure, "kind": args.kind, "runs_requested": args.runs,
              "n_jobs": args.n_jobs, "cache_dir": args.cache_dir}
    return run_and_write(run_measure, args, result, T_START)


if __name__ == "__main__":
    sys.exit(main())
