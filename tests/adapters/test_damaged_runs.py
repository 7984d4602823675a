"""A damaged or incomplete DL3 run gets a BaccmodError naming the run, its file, what is wrong
and the fix, never a raw astropy/gammapy/numpy error nor a model built from it.

Each case damages a copy of DR1 run 23523 and loads it as a user would
(``DataStore.from_dir(folder).get_observations(required_irf=[])``).
"""
import gzip
from pathlib import Path

import pytest
from astropy.time import Time
from gammapy.data import ObservationFilter
from gammapy.maps import MapAxis

from baccmod import BaccmodValueError, Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator
from dl3_copies import OBS_ID, file_bytes, put_table, run_hdus, table_of, write_store

pytestmark = pytest.mark.realdata

ENERGY = MapAxis.from_energy_bounds(0.5, 10, 2, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
CREATORS = [RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator]


@pytest.fixture(scope="module")
def dr1_dir(hess_dr1):
    return Path(hess_dr1.hdu_table.base_dir)


def without_column(name):
    def damage(hdus):
        table = table_of(hdus, "EVENTS")
        table.remove_column(name)
        put_table(hdus, "EVENTS", table)
    return damage


def without_key(key, hdu="EVENTS"):
    def damage(hdus):
        del hdus[hdu].header[key]
    return damage


def with_key(key, value, hdu="EVENTS"):
    def damage(hdus):
        hdus[hdu].header[key] = value
    return damage


def with_unit(column, unit, hdu="EVENTS"):
    def damage(hdus):
        hdus[hdu].columns.change_attrib(column, "unit", unit)
    return damage


def without_unit(column):
    def damage(hdus):
        table = table_of(hdus, "EVENTS")
        table[column].unit = None
        table.meta.pop("EUNIT", None)
        put_table(hdus, "EVENTS", table)
    return damage


def without_hdu(name):
    def damage(hdus):
        del hdus[name]
    return damage


def gti_without_rows(hdus):
    table = table_of(hdus, "GTI")
    put_table(hdus, "GTI", table[:0])


def gti_start_nan(hdus):
    hdus["GTI"].data["START"][0] = float("nan")


def truncated(compress):
    def damage(hdus):
        raw = file_bytes(hdus, compress)
        return raw[:len(raw) // 2]
    return damage


def corrupted_gzip(hdus):
    raw = bytearray(file_bytes(hdus))
    middle = len(raw) // 2
    raw[middle:middle + 200] = bytes(b ^ 0xFF for b in raw[middle:middle + 200])
    return bytes(raw)


def not_fits(hdus):
    return gzip.compress(b"this is not a FITS file\n" * 100)


#: (damage, words saying what is wrong, the fix's keyword)
DAMAGES = {
    "no RA column": (without_column("RA"), "no column RA", "RA, DEC, ENERGY and TIME"),
    "no DEC column": (without_column("DEC"), "no column DEC", "RA, DEC, ENERGY and TIME"),
    "no ENERGY column": (without_column("ENERGY"), "no column ENERGY", "ENERGY"),
    "no TIME column": (without_column("TIME"), "no column TIME", "TIME per event"),
    "no RA_PNT": (without_key("RA_PNT"), "no RA_PNT", "Add RA_PNT"),
    "no DEC_PNT": (without_key("DEC_PNT"), "no DEC_PNT", "Add DEC_PNT"),
    "no DEADC": (without_key("DEADC"), "no DEADC", "Add DEADC"),
    "no MJDREFI": (without_key("MJDREFI"), "no MJDREFI", "Add MJDREFI"),
    "no MJDREFF": (without_key("MJDREFF"), "no MJDREFF", "MJDREFF"),
    "no GTI MJDREFI": (without_key("MJDREFI", "GTI"), "GTI header has no MJDREFI", "MJDREFI"),
    "unknown TIMESYS": (with_key("TIMESYS", "XYZ"), "TIMESYS='XYZ'", "Repair the file"),
    "DEADC not a number": (with_key("DEADC", "high"), "DEADC = 'high' is not a number",
                           "Repair the file"),
    "RA_PNT not a number": (with_key("RA_PNT", "south"), "RA_PNT = 'south'", "Repair the file"),
    "unknown RA unit": (with_unit("RA", "blah"), "TUNIT) of EVENTS column RA is 'blah'",
                        "FITS unit"),
    "RA in an energy unit": (with_unit("RA", "TeV"), "EVENTS column RA is 'TeV', not",
                             "Correct the unit"),
    "ENERGY in an angle unit": (with_unit("ENERGY", "deg"), "column ENERGY is 'deg'",
                                "Correct the unit"),
    "ENERGY without a unit": (without_unit("ENERGY"), "column ENERGY is not given", "TUNITn"),
    "unknown TIMEUNIT": (with_key("TIMEUNIT", "fortnights?"), "TIMEUNIT of the EVENTS header",
                         "FITS unit"),
    "unknown GTI START unit": (with_unit("START", "blah", "GTI"), "GTI column START is 'blah'",
                               "FITS unit"),
    "GTI without rows": (gti_without_rows, "GTI table has no rows", "good time intervals"),
    "GTI start NaN": (gti_start_nan, "GTI start or stop is NaN", "fix its GTI table"),
    "no GTI HDU": (without_hdu("GTI"), "no GTI HDU", "Repair the file"),
    "no EVENTS HDU": (without_hdu("EVENTS"), "no EVENTS HDU", "Repair the file"),
    "truncated gzip file": (truncated(compress=True), "", "Repair the file"),
    "truncated plain file": (truncated(compress=False), "", "Repair the file"),
    "corrupted gzip file": (corrupted_gzip, "reading it failed", "Repair the file"),
    "not a FITS file": (not_fits, "reading it failed", "Repair the file"),
    "DEADC of 0": (with_key("DEADC", 0.0), "DEADC = 0.0", "Correct the run's dead-time"),
    "negative DEADC": (with_key("DEADC", -0.1), "DEADC = -0.1", "Correct the run's dead-time"),
    "DEADC above 1": (with_key("DEADC", 1.5), "DEADC = 1.5", "Correct the run's dead-time"),
    "drift scan": (with_key("OBS_MODE", "DRIFT"), "OBS_MODE is 'DRIFT'", "Leave the run out"),
    "scan, lower case": (with_key("OBS_MODE", "scan"), "OBS_MODE is 'scan'", "OBS_MODE = "),
    "DEC_PNT beyond the pole": (with_key("DEC_PNT", 95.0), "DEC_PNT = 95.0", "Correct DEC_PNT"),
}


def damaged_runs(folder, dr1_dir, damage, file_name="run.fits.gz"):
    hdus = run_hdus(dr1_dir)
    raw = damage(hdus)
    if isinstance(raw, bytes):
        return write_store(folder, dr1_dir, raw=raw, file_name=file_name)
    return write_store(folder, dr1_dir, hdus=hdus, file_name=file_name)


def assert_names_run_file_and_fix(error, file_name, what, fix):
    message = str(error.value)
    assert f"run {OBS_ID}" in message
    assert file_name in message
    assert what in message
    assert fix in message


@pytest.mark.parametrize("damage, what, fix", DAMAGES.values(), ids=DAMAGES.keys())
def test_a_damaged_run_is_refused_naming_run_file_and_fix(damage, what, fix, tmp_path, dr1_dir):
    runs = damaged_runs(tmp_path, dr1_dir, damage)
    with pytest.raises(BaccmodValueError) as error:
        RadialAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_map(runs)
    assert_names_run_file_and_fix(error, "run.fits.gz", what, fix)


@pytest.mark.parametrize("name", ["no DEADC", "DEADC above 1", "no GTI HDU", "no TIME column",
                                  "drift scan", "unknown RA unit", "corrupted gzip file"])
@pytest.mark.parametrize("creator", CREATORS)
def test_both_creators_and_every_build_refuse_a_damaged_run(name, creator, tmp_path, dr1_dir):
    damage, what, fix = DAMAGES[name]
    runs = damaged_runs(tmp_path, dr1_dir, damage)
    for build in ("create_acceptance_map", "create_model_cos_zenith_binned",
                  "create_acceptance_map_per_observation"):
        with pytest.raises(BaccmodValueError) as error:
            getattr(creator(ENERGY, OFFSET), build)(runs)
        assert_names_run_file_and_fix(error, "run.fits.gz", what, fix)


@pytest.mark.parametrize("name", ["no DEADC", "no RA column", "GTI without rows", "drift scan",
                                  "unknown RA unit", "ENERGY without a unit"])
def test_a_run_read_through_gammapy_gets_the_same_errors(name, tmp_path, dr1_dir):
    """Runs with a gammapy time filter are read through gammapy, which applies it."""
    damage, what, fix = DAMAGES[name]
    runs = damaged_runs(tmp_path, dr1_dir, damage)
    runs[0].obs_filter = ObservationFilter(
        time_filter=Time(["2004-12-04T22:00:00", "2004-12-04T23:00:00"], scale="tt"))
    with pytest.raises(BaccmodValueError) as error:
        RadialAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_map(runs)
    assert_names_run_file_and_fix(error, "run.fits.gz", what, fix)


def test_a_plain_fits_file_is_named_too(tmp_path, dr1_dir):
    runs = damaged_runs(tmp_path, dr1_dir, without_key("DEADC"), file_name="run_023523.fits")
    with pytest.raises(BaccmodValueError) as error:
        Grid3DAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_map(runs)
    assert_names_run_file_and_fix(error, "run_023523.fits", "no DEADC", "Add DEADC")


@pytest.mark.parametrize("mode", ["WOBBLE", "wobble", "POINTING", "Pointing", "ON", "off", None])
def test_fixed_sky_pointing_modes_are_read(mode, tmp_path, dr1_dir):
    damage = without_key("OBS_MODE") if mode is None else with_key("OBS_MODE", mode)
    runs = damaged_runs(tmp_path, dr1_dir, damage)
    creator = RadialAcceptanceMapCreator(ENERGY, OFFSET)
    model = creator.create_acceptance_map(runs)
    assert model.data.sum() > 0 and creator.counts.sum() > 1000
