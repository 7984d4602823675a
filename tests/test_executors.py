"""Runs worked on in other processes give the serial models, number for number."""
import copy
import logging
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
from astropy import units as u
from gammapy.maps import MapAxis, WcsGeom
from regions import CircleSkyRegion, EllipseSkyRegion

from baccmod import BaccmodError, Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator
from baccmod.collection import BackgroundCollectionZenith
from baccmod.executors import check_execution
from observations import make_observation

ENERGY = MapAxis.from_energy_bounds(0.1, 100, 6, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2.5, 5, unit="deg", name="offset")
ZENITH_OPTIONS = dict(cos_zenith_binning_method="min_n_observation",
                      cos_zenith_binning_parameter_value=2, zenith_binning_run_splitting=True,
                      azimuth_east_west_splitting=True)


def exclusions(observations):
    """A circle, an ellipse and a mask near the first run's pointing (every kind of area)."""
    first = copy.copy(observations[0])  # the shared runs keep nothing gammapy loads here
    pointing = first.get_pointing_icrs(first.tmid)
    near = pointing.directional_offset_by(0 * u.deg, 0.8 * u.deg)
    mask = WcsGeom.create(skydir=pointing.directional_offset_by(90 * u.deg, 1 * u.deg),
                          width=1 * u.deg, binsz=0.05).region_mask(
        [CircleSkyRegion(pointing.directional_offset_by(90 * u.deg, 1 * u.deg), 0.2 * u.deg)],
        inside=False)
    return [CircleSkyRegion(near, 0.3 * u.deg),
            EllipseSkyRegion(pointing.directional_offset_by(180 * u.deg, 1 * u.deg),
                             0.4 * u.deg, 0.2 * u.deg, angle=30 * u.deg), mask]


def models_of(result):
    """{label: ndarray} of a model, a per-run dict or a (split) zenith collection."""
    if isinstance(result, dict):
        return {k: m.data for k, m in result.items()}
    if isinstance(result, BackgroundCollectionZenith):
        return {z: m.data for z, m in result.items()}
    if hasattr(result, "east"):
        return {(side, z): m.data for side in ("east", "west")
                for z, m in getattr(result, side).items()}
    return {"model": result.data}


def assert_same(result, expected):
    got, want = models_of(result), models_of(expected)
    assert got.keys() == want.keys()
    for key in want:
        assert np.array_equal(got[key], want[key]), key


BUILDS = {
    "grid3d stacked": (Grid3DAcceptanceMapCreator, {}, "create_acceptance_map", {}),
    "radial stacked": (RadialAcceptanceMapCreator, {}, "create_acceptance_map", {}),
    "grid3d zenith split": (Grid3DAcceptanceMapCreator, ZENITH_OPTIONS,
                            "create_model_cos_zenith_binned", {}),
    "radial per run, fit norm": (
        RadialAcceptanceMapCreator, dict(ZENITH_OPTIONS, runwise_normalisation_method="fit"),
        "create_acceptance_map_per_observation",
        dict(zenith_binning=True, zenith_interpolation=True)),
    "grid3d per run, mini-IRF": (
        Grid3DAcceptanceMapCreator, dict(use_mini_irf_computation=True,
                                         mini_irf_time_resolution=5 * u.min),
        "create_acceptance_map_per_observation", dict(zenith_binning=True)),
}


def build(observations, name, **execution):
    creator_class, options, method, call = BUILDS[name]
    creator = creator_class(ENERGY, OFFSET, oversample_map=4,
                            exclude_regions=exclusions(observations), **options, **execution)
    return getattr(creator, method)(observations, **call), creator


@pytest.mark.parametrize("name", BUILDS)
def test_two_local_processes_give_the_serial_models(zenith_observations, name):
    serial, serial_creator = build(zenith_observations, name)
    parallel, creator = build(zenith_observations, name, n_jobs=2)
    assert_same(parallel, serial)
    if serial_creator.normalisation_table is not None:
        assert np.array_equal(creator.normalisation_table["NORM"],
                              serial_creator.normalisation_table["NORM"])


@pytest.mark.parametrize("make_executor", [lambda: ThreadPoolExecutor(2),
                                           lambda: ProcessPoolExecutor(2)])
def test_any_executor_gives_the_serial_models(zenith_observations, make_executor):
    serial, _ = build(zenith_observations, "grid3d zenith split")
    with make_executor() as executor:
        parallel, _ = build(zenith_observations, "grid3d zenith split", executor=executor)
    assert_same(parallel, serial)


def test_a_dask_cluster_gives_the_serial_models(zenith_observations):
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is not "
                                      "installed (pip install '.[test]' brings it)")
    serial, _ = build(zenith_observations, "radial per run, fit norm")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        parallel, _ = build(zenith_observations, "radial per run, fit norm",
                            executor=client.get_executor())
    assert_same(parallel, serial)


def test_what_runs_log_in_workers_is_logged_here_in_run_order(simulated_observations,
                                                              caplog):
    runs = list(simulated_observations)[:4]
    creator = RadialAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=2, n_jobs=2)
    with caplog.at_level(15, logger="baccmod"):
        creator.create_acceptance_map(runs)
    counted = [r.getMessage() for r in caplog.records if "counted, livetime" in r.getMessage()]
    assert [message.split(":")[0] for message in counted] == \
        [f"run {obs.obs_id} (file {obs.__dict__['__events_hdu'].path()})" for obs in runs]


def test_a_bad_run_in_a_worker_is_the_serial_error():
    runs = [make_observation(1), make_observation(2, deadtime_fraction=1.0),
            make_observation(3)]
    creator = RadialAcceptanceMapCreator(ENERGY, OFFSET, n_jobs=2)
    with pytest.raises(BaccmodError, match=r"run 2: livetime is 0.0 s"):
        creator.create_acceptance_map(runs)


@pytest.mark.parametrize("options, message", [
    (dict(n_jobs=0), "n_jobs must be >= 1"),
    (dict(n_jobs=-2), "n_jobs must be >= 1"),
    (dict(n_jobs=2.0), "n_jobs must be an int"),
    (dict(n_jobs=True), "n_jobs must be an int"),
    (dict(n_jobs="2"), "n_jobs must be an int"),
    (dict(executor=object()), "executor must be a concurrent.futures.Executor"),
    (dict(n_jobs=2, executor=ThreadPoolExecutor(1)), "not both"),
    (dict(cache_dir=3), "cache_dir must be a path"),
])
def test_bad_execution_options_are_refused_by_the_constructor(options, message):
    for creator in (RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator):
        with pytest.raises(BaccmodError, match=message):
            creator(ENERGY, OFFSET, **options)


def test_a_cache_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(BaccmodError, match="is not a directory"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET, cache_dir=tmp_path / "file")


def test_minus_one_is_one_process_per_core():
    assert check_execution(-1) >= 1


def test_bad_execution_options_of_the_functional_entry_points(simulated_observations):
    from baccmod.build import build_background
    creator = RadialAcceptanceMapCreator(ENERGY, OFFSET)
    with pytest.raises(BaccmodError, match="n_jobs"):
        build_background(simulated_observations, creator._spec, n_jobs=0)
    logging.getLogger("baccmod").debug("entry points check their options too")


def test_threads_leave_the_loggers_as_they_were(zenith_observations, caplog):
    logger = logging.getLogger("baccmod")
    before = logger.level, logger.propagate, list(logger.handlers)
    with ThreadPoolExecutor(2) as executor:
        build(zenith_observations, "grid3d zenith split", executor=executor)
    assert (logger.level, logger.propagate, list(logger.handlers)) == before
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        logging.getLogger("baccmod.build").warning("still heard")
    assert "still heard" in caplog.text
