"""The run cache: later builds with other zenith, interpolation, mini-IRF or normalisation
settings read no event file and give the models built without it."""
import functools
import logging
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from gammapy.data import DataStore
from gammapy.maps import MapAxis
from regions import CircleSkyRegion

from baccmod import Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator
from baccmod.run_cache import RunCache
from test_executors import assert_same
from zenith_simulation import simulate

ENERGY = MapAxis.from_energy_bounds(0.1, 100, 6, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2.5, 5, unit="deg", name="offset")
BINNING = dict(zenith_binning_run_splitting=True, azimuth_east_west_splitting=True)
#: Settings a cached run serves without being read again: (constructor options, call options).
LATER_BUILDS = [
    (dict(cos_zenith_binning_method="min_n_observation", cos_zenith_binning_parameter_value=2),
     dict(zenith_binning=True)),
    (dict(cos_zenith_binning_method="min_livetime_per_wobble",
          cos_zenith_binning_parameter_value=600 * u.s, interpolation_zenith_type="log"),
     dict(zenith_binning=True, zenith_interpolation=True)),
    (dict(use_mini_irf_computation=True, mini_irf_time_resolution=4 * u.min,
          runwise_normalisation_method="fit"), dict(zenith_binning=True)),
    (dict(runwise_normalisation_energy_range=(0.5, 20) * u.TeV), dict()),
    (dict(), dict(runwise_normalisation=False)),
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Simulated runs in a folder of their own (the tests change their files)."""
    return simulate(tmp_path_factory.mktemp("cached_runs"), n_runs=6)


@functools.lru_cache
def _first_pointing(events_file):
    header = fits.getheader(events_file, "EVENTS")
    return SkyCoord(header["RA_PNT"] * u.deg, header["DEC_PNT"] * u.deg)


def exclusion(observations):
    """A circle near the first run's pointing (read once from its file's header)."""
    pointing = _first_pointing(str(observations[0].__dict__["__events_hdu"].path()))
    return [CircleSkyRegion(pointing.directional_offset_by(0 * u.deg, 0.8 * u.deg),
                            0.3 * u.deg)]


def creator(kind, observations, **options):
    return kind(ENERGY, OFFSET, oversample_map=4, exclude_regions=exclusion(observations),
                **BINNING, **options)


@pytest.mark.parametrize("kind", [RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator])
def test_later_builds_read_no_event_file_and_match_builds_without_cache(
        kind, runs, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = creator(kind, runs, cache_dir=cache).create_acceptance_map(runs)
    assert_same(first, creator(kind, runs).create_acceptance_map(runs))
    assert len(list(cache.rglob("*.run"))) == len(runs)
    expected = [creator(kind, runs, **options).create_acceptance_map_per_observation(runs, **call)
                for options, call in LATER_BUILDS]
    stacked = creator(kind, runs).create_model_cos_zenith_binned(runs)
    refuse_run_files(monkeypatch, runs)
    for (options, call), want in zip(LATER_BUILDS, expected):
        got = creator(kind, runs, cache_dir=cache, **options) \
            .create_acceptance_map_per_observation(runs, **call)
        assert_same(got, want)
    assert_same(creator(kind, runs, cache_dir=cache).create_model_cos_zenith_binned(runs),
                stacked)


def refuse_run_files(monkeypatch, observations):
    """Make opening any of the runs' files (by astropy, gammapy, gzip or baccmod) fail."""
    import builtins
    import io
    names = {str(obs.__dict__["__events_hdu"].path().resolve()) for obs in observations}
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and \
                str(Path(os.fsdecode(file)).resolve()) in names:
            raise AssertionError(f"a run's file was read: {file}")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)


def test_the_normalisation_table_is_the_same_from_the_cache(runs, tmp_path):
    options = dict(runwise_normalisation_method="fit")
    want = creator(RadialAcceptanceMapCreator, runs, **options)
    want.create_acceptance_map_per_observation(runs)
    for _ in range(2):
        got = creator(RadialAcceptanceMapCreator, runs, cache_dir=tmp_path, **options)
        got.create_acceptance_map_per_observation(runs)
        for column in ("NORM", "NORM_ERR", "TILT", "COUNTS", "ENERGY_MIN"):
            assert np.array_equal(got.normalisation_table[column],
                                  want.normalisation_table[column])


def test_other_exclusions_or_binning_are_not_served_from_the_cache(runs, tmp_path):
    build = creator(RadialAcceptanceMapCreator, runs, cache_dir=tmp_path)
    build.create_acceptance_map(runs)
    n_entries = len(list(tmp_path.rglob("*.run")))
    RadialAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=4, **BINNING,
                               cache_dir=tmp_path).create_acceptance_map(runs)
    other_axis = MapAxis.from_energy_bounds(0.1, 100, 8, unit="TeV", name="energy")
    RadialAcceptanceMapCreator(other_axis, OFFSET, oversample_map=4, **BINNING,
                               exclude_regions=exclusion(runs),
                               cache_dir=tmp_path).create_acceptance_map(runs)
    assert len(list(tmp_path.rglob("*.run"))) == 3 * n_entries


def copied_runs(source_runs, folder):
    """The runs' data store copied to ``folder`` (its files may then be changed)."""
    store_dir = source_runs[0].__dict__["__events_hdu"].base_dir
    shutil.copytree(store_dir, folder)
    return DataStore.from_dir(folder).get_observations(required_irf=[])


def test_a_run_whose_file_changed_is_read_again(runs, tmp_path):
    copies = copied_runs(runs, tmp_path / "store")
    build = creator(RadialAcceptanceMapCreator, runs, cache_dir=tmp_path / "cache")
    build.create_acceptance_map(copies)
    second = runs[1].__dict__["__events_hdu"].path()
    shutil.copyfile(second, copies[0].__dict__["__events_hdu"].path())  # new content
    copies = DataStore.from_dir(tmp_path / "store").get_observations(required_irf=[])
    got = build.create_acceptance_map(copies)
    assert_same(got, creator(RadialAcceptanceMapCreator, runs).create_acceptance_map(copies))


def test_a_file_touched_but_unchanged_is_still_served(runs, tmp_path, monkeypatch):
    copies = copied_runs(runs, tmp_path / "store")
    build = creator(RadialAcceptanceMapCreator, copies, cache_dir=tmp_path / "cache")
    want = build.create_acceptance_map(copies)
    path = copies[0].__dict__["__events_hdu"].path()
    path.touch()
    refuse_run_files(monkeypatch, copies[1:])
    assert_same(build.create_acceptance_map(copies), want)


def test_a_damaged_entry_is_recomputed_with_a_warning(runs, tmp_path, caplog):
    build = creator(RadialAcceptanceMapCreator, runs, cache_dir=tmp_path)
    want = build.create_acceptance_map(runs)
    entry = sorted(tmp_path.rglob("*.run"))[0]
    data = bytearray(entry.read_bytes())
    data[-100] ^= 0xFF
    entry.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        assert_same(build.create_acceptance_map(runs), want)
    assert any("cache entry" in r.getMessage() and "damaged" in r.getMessage()
               for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        build.create_acceptance_map(runs)  # rewritten whole
    assert not any("damaged" in r.getMessage() for r in caplog.records)


def test_an_entry_holding_a_pickle_is_refused_not_executed(runs, tmp_path, caplog):
    import hashlib
    import json
    import pickle
    build = creator(RadialAcceptanceMapCreator, runs, cache_dir=tmp_path)
    want = build.create_acceptance_map(runs)
    entry = sorted(tmp_path.rglob("*.run"))[0]
    data = pickle.dumps(np.array([_Explodes()], dtype=object))
    header = json.dumps({"arrays": {"piece_counts": ["|O", [1], 0]}}).encode()
    payload = len(header).to_bytes(8, "little") + header + data
    entry.write_bytes(entry.read_bytes().split(b"\n", 1)[0] + b"\n"
                      + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        assert_same(build.create_acceptance_map(runs), want)
    assert any("damaged" in r.getMessage() and "Python objects" in r.getMessage()
               for r in caplog.records)


class _Explodes:
    def __reduce__(self):
        return (_explode, ())


def _explode():
    raise AssertionError("a cache entry was unpickled")


def test_concurrent_writers_leave_whole_entries(runs, tmp_path):
    build = creator(RadialAcceptanceMapCreator, runs, cache_dir=tmp_path)
    build.create_acceptance_map(runs)
    cache = RunCache(tmp_path, _token(build))
    obs = runs[0]
    entry = cache.path(obs)
    work = cache.load(obs, entry)
    assert work is not None
    failures = []

    def write():
        for _ in range(20):
            cache.store(entry, work)

    def read():
        for _ in range(40):
            if cache.load(obs, entry) is None:
                failures.append("entry unreadable")

    threads = [threading.Thread(target=f) for f in (write, write, read, read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert not list(tmp_path.rglob(".tmp-*"))


def _token(build):
    from dataclasses import replace
    return replace(build._spec.run_work_spec(True, True, True), file_digests=True).token()


def test_cached_runs_in_two_processes_give_the_serial_model(runs, tmp_path):
    want = creator(Grid3DAcceptanceMapCreator, runs).create_model_cos_zenith_binned(runs)
    for _ in range(2):
        got = creator(Grid3DAcceptanceMapCreator, runs, cache_dir=tmp_path,
                      n_jobs=2).create_model_cos_zenith_binned(runs)
        assert_same(got, want)
