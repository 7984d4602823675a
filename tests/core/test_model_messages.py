"""The accumulators name a run (and its file) in what they report, and report a run none of
whose events lies in the model's field once, judged on the whole run, not on its pieces."""
import logging

import numpy as np
import pytest

from baccmod.core.model import GridAccumulator, RadialAccumulator, RunArrays, run_label
from baccmod.core.split import split_run
from baccmod.errors import BaccmodValueError

ENERGY_EDGES = np.geomspace(0.5, 10.0, 4)
OFFSET_EDGES = np.deg2rad(np.linspace(0.0, 2.0, 5))
FOV_EDGES = np.deg2rad(np.linspace(-2.0, 2.0, 9))


ACCUMULATORS = {"radial": lambda: RadialAccumulator(ENERGY_EDGES, OFFSET_EDGES, 2),
                "grid": lambda: GridAccumulator(ENERGY_EDGES, FOV_EDGES, FOV_EDGES, 2)}


def run_with_events_at(offsets_deg, source="", **fields):
    """A 100 s run pointing at (0, 0) with events at ``offsets_deg`` east of it, in time
    order over the run."""
    lon = np.deg2rad(np.asarray(offsets_deg, dtype=float))
    n = lon.size
    return RunArrays(obs_id=3, livetime=90.0, energy=np.full(n, 1.0), lon=lon, lat=np.zeros(n),
                     pointing_lon=0.0, pointing_lat=0.0, dt=np.linspace(0.0, 100.0, n),
                     gti_starts=np.array([0.0]), gti_stops=np.array([100.0]), source=source,
                     fov_lon=lon.copy(), fov_lat=np.zeros(n), **fields)


def off_field_warnings(caplog):
    return [r for r in caplog.records if "none of its events lies within" in r.getMessage()]


def test_a_run_is_named_with_its_file_when_it_has_one():
    assert run_label(7) == "run 7"
    assert run_label(7, "/data/run_7.fits.gz") == "run 7 (file /data/run_7.fits.gz)"
    with pytest.raises(BaccmodValueError, match=r"run 3 \(file x.fits\): livetime is 0.0 s"):
        RadialAccumulator(ENERGY_EDGES, OFFSET_EDGES, 2).add(
            RunArrays(obs_id=3, livetime=0.0, energy=np.ones(1), lon=np.zeros(1),
                      lat=np.zeros(1), pointing_lon=0.0, pointing_lat=0.0, source="x.fits"))


@pytest.mark.parametrize("make", ACCUMULATORS.values(), ids=ACCUMULATORS.keys())
def test_a_run_off_its_pointing_is_reported_once_over_its_pieces(make, caplog):
    accumulator = make()
    run = run_with_events_at(np.full(50, 5.0), source="run3.fits")
    pieces = split_run(run, [25.0, 50.0, 75.0])
    assert len(pieces) == 4
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        for piece, _ in pieces:
            accumulator.add(piece)
    [warning] = off_field_warnings(caplog)
    assert "run 3 (file run3.fits)" in warning.getMessage()
    assert "the nearest is 5.00 deg away" in warning.getMessage()
    assert accumulator.counts.sum() == 0 and accumulator.livetime == pytest.approx(90.0)


@pytest.mark.parametrize("make", ACCUMULATORS.values(), ids=ACCUMULATORS.keys())
def test_a_piece_without_events_in_the_field_is_not_reported_when_its_run_has_some(
        make, caplog):
    accumulator = make()
    # events near the pointing early in the run, all far from it in its last fifth
    offsets = np.repeat([0.5, 5.0], [38, 12])
    run = run_with_events_at(offsets, nearest_event_offset=np.deg2rad(0.5))
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        pieces = split_run(run, [80.0])
        assert np.all(np.rad2deg(pieces[1][0].lon) == 5.0)
        for piece, _ in pieces:
            accumulator.add(piece)
    assert not off_field_warnings(caplog)
    assert accumulator.counts.sum() == 38


def test_a_run_without_events_is_left_to_the_reader_to_report(caplog):
    empty = RunArrays(obs_id=4, livetime=10.0, energy=np.empty(0), lon=np.empty(0),
                      lat=np.empty(0), pointing_lon=0.0, pointing_lat=0.0)
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        RadialAccumulator(ENERGY_EDGES, OFFSET_EDGES, 2).add(empty)
    assert not off_field_warnings(caplog)
