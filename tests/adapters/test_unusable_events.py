"""What a run gives that cannot be used is left out with a warning naming the run, or refused:
non-finite or out-of-range events, runs without a usable event, a pointing far from all its
events, impossible dead time, pointings that move on the sky."""
import logging
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import AltAz, SkyCoord
from gammapy.data import FixedPointingInfo, ObservationMetaData
from gammapy.maps import MapAxis

from baccmod import BaccmodValueError, Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator
from dl3_copies import OBS_ID, put_table, run_hdus, table_of, write_store
from observations import HESS, make_observation

ENERGY = MapAxis.from_energy_bounds(0.5, 10, 3, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
CREATORS = [RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator]

#: Rows of the DR1 run given bad values: column -> (rows, value).
BAD_VALUES = {"ENERGY": ([3, 50, 700], np.nan), "RA": ([10, 11], np.inf),
              "TIME": ([400], np.nan), "DEC": ([20, 21, 22, 23, 24], 91.0)}
NEGATIVE_ENERGY_ROWS = [100, 101, 102, 103]


@pytest.fixture(scope="module")
def dr1_dir(hess_dr1):
    return Path(hess_dr1.hdu_table.base_dir)


def build(creator, runs):
    maker = creator(ENERGY, OFFSET, oversample_map=2)
    model = maker.create_model(runs)
    return maker, model


def warnings_about(caplog, obs_id):
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and f"run {obs_id}" in r.getMessage()]


@pytest.mark.realdata
@pytest.mark.parametrize("creator", CREATORS)
def test_bad_events_are_left_out_with_one_warning_counting_them(creator, dr1_dir, tmp_path,
                                                                caplog):
    hdus = run_hdus(dr1_dir)
    events = table_of(hdus, "EVENTS")
    for column in ("ENERGY", "RA", "DEC", "TIME"):
        events[column] = events[column].astype(np.float64)
    for column, (rows, value) in BAD_VALUES.items():
        events[column][rows] = value
    events["ENERGY"][NEGATIVE_ENERGY_ROWS] = -1.0
    bad_rows = sorted(sum((rows for rows, _ in BAD_VALUES.values()), NEGATIVE_ENERGY_ROWS))
    put_table(hdus, "EVENTS", events)
    damaged = write_store(tmp_path / "damaged", dr1_dir, hdus=hdus)
    events.remove_rows(bad_rows)
    put_table(hdus, "EVENTS", events)
    without_bad_rows = write_store(tmp_path / "clean", dr1_dir, hdus=hdus)

    with caplog.at_level(logging.WARNING, logger="baccmod"):
        maker, model = build(creator, damaged)
    expected = build(creator, without_bad_rows)[1]
    np.testing.assert_array_equal(model.data, expected.data)
    [warning] = warnings_about(caplog, OBS_ID)
    n_bad, n_out_of_range = len(bad_rows), len(BAD_VALUES["DEC"][0]) + len(NEGATIVE_ENERGY_ROWS)
    assert "run.fits.gz" in warning
    assert f"{n_bad} of its {len(events) + n_bad} events are left out" in warning
    assert f"{n_bad - n_out_of_range} with a NaN or infinite" in warning
    assert f"{n_out_of_range} out of range" in warning


def without_energies(run):
    run.events.table["ENERGY"][:] = np.nan
    return run


@pytest.mark.parametrize("empty_run", [
    lambda: without_energies(make_observation(2)),
    lambda: make_observation(2, n_events=0),
], ids=["all energies NaN", "no events"])
@pytest.mark.parametrize("creator", CREATORS)
def test_a_run_without_usable_event_adds_only_its_livetime_with_a_warning(creator, empty_run,
                                                                          caplog):
    alone, alone_model = build(creator, [make_observation(1)])
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        both, model = build(creator, [make_observation(1), empty_run()])
    assert both.livetime == 2 * alone.livetime
    np.testing.assert_array_equal(both.counts, alone.counts)
    np.testing.assert_allclose(model.data, 0.5 * alone_model.data, rtol=1e-12)
    assert any("no usable event" in w and "adds only its livetime" in w
               for w in warnings_about(caplog, 2))
    assert not warnings_about(caplog, 1)


@pytest.mark.parametrize("creator", CREATORS)
def test_a_pointing_far_from_all_its_events_is_reported(creator, caplog):
    wrong = make_observation(2)
    wrong._pointing = FixedPointingInfo(fixed_icrs=SkyCoord(329.7, -20.2, unit="deg"))
    alone = build(creator, [make_observation(1)])[0]
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        both = build(creator, [make_observation(1), wrong])[0]
    np.testing.assert_array_equal(both.counts, alone.counts)
    [warning] = warnings_about(caplog, 2)
    assert "none of its events lies within" in warning and "RA_PNT/DEC_PNT" in warning


@pytest.mark.parametrize("creator", CREATORS)
def test_a_run_with_no_event_in_the_energy_range_is_normal(creator, caplog):
    """A run of low energies only gives nothing in the high-energy bins: no warning."""
    low = make_observation(2, energy_range=(0.1, 0.4))
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        build(creator, [make_observation(1), low])
    assert not warnings_about(caplog, 2)


def test_a_dead_time_fraction_of_one_is_refused():
    with pytest.raises(BaccmodValueError,
                       match=r"run 4: livetime is 0.0 s \(dead-time fraction 1.0\).*\(0, 1\]"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET).create_model(
            [make_observation(4, deadtime_fraction=1.0)])


def test_a_negative_dead_time_fraction_is_refused():
    """gammapy validates it, but a constructed metadata object can hold one."""
    run = make_observation(5)
    run._meta = ObservationMetaData.model_construct(deadtime_fraction=-0.1, location=HESS)
    with pytest.raises(BaccmodValueError, match=r"run 5: livetime is 660.0 s \(dead-time "
                                                r"fraction -0.1\).*ObservationMetaData"):
        Grid3DAcceptanceMapCreator(ENERGY, OFFSET).create_model([run])


@pytest.mark.parametrize("creator", CREATORS)
def test_a_pointing_fixed_in_altaz_is_refused(creator):
    run = make_observation(6)
    run._pointing = FixedPointingInfo(fixed_altaz=SkyCoord(alt=60 * u.deg, az=10 * u.deg,
                                                           frame=AltAz()))
    with pytest.raises(BaccmodValueError, match=r"run 6: its pointing is fixed in DRIFT mode "
                                                r".*FixedPointingInfo\(fixed_icrs="):
        creator(ENERGY, OFFSET).create_model([run])


@pytest.mark.parametrize("mode", ["DRIFT", "drift", "RASTER", "SLEW"])
def test_an_event_list_saying_it_moves_on_the_sky_is_refused(mode):
    run = make_observation(7)
    run.events.table.meta["OBS_MODE"] = mode
    with pytest.raises(BaccmodValueError, match=rf"run 7: OBS_MODE is '{mode}'.*POINTING"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET).create_model([run])


def test_a_pointing_without_coordinates_is_refused():
    run = make_observation(8)
    with pytest.warns(Warning):  # gammapy's deprecation of a NaN fixed_icrs
        run._pointing = FixedPointingInfo(fixed_icrs=SkyCoord(np.nan, np.nan, unit="deg"))
    with pytest.raises(BaccmodValueError, match="run 8: its pointing is RA nan"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET).create_model([run])


@pytest.mark.realdata
def test_events_not_matching_their_checksum_are_reported(dr1_dir, tmp_path, caplog):
    hdus = run_hdus(dr1_dir)
    hdus["EVENTS"].add_datasum()
    intact = write_store(tmp_path / "intact", dr1_dir, hdus=hdus)
    hdus["EVENTS"].data["ENERGY"][0] *= 2  # DATASUM now stale, as after a damage
    changed = write_store(tmp_path / "changed", dr1_dir, hdus=hdus)
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        build(RadialAcceptanceMapCreator, intact)
        assert not warnings_about(caplog, OBS_ID)
        build(RadialAcceptanceMapCreator, changed)
    [warning] = warnings_about(caplog, OBS_ID)
    assert "DATASUM" in warning and "run.fits.gz" in warning
