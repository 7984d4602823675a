"""The astrometry context of a run without parsing astropy's IERS tables: the values astropy
computes, from a cache of its Earth orientation table read in a new process without parsing
it (nor re-reading the leap-second table, nor starting numba)."""
import logging
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import AltAz, EarthLocation
from astropy.coordinates.erfa_astrom import ErfaAstromInterpolator, erfa_astrom
from astropy.time import Time
from astropy.utils import iers

from baccmod.adapters import earth_orientation
from baccmod.adapters.altaz import astrometry_context, tt_astrometry_context
from baccmod.core.fov import OBSERVED_FRAME_FIELDS

SITES = {"H.E.S.S.": EarthLocation(lon=16.5002 * u.deg, lat=-23.2717 * u.deg, height=1835 * u.m),
         "La Palma": EarthLocation(lon=-17.892 * u.deg, lat=28.762 * u.deg, height=2200 * u.m),
         "Paranal": EarthLocation(lon=-70.316 * u.deg, lat=-24.683 * u.deg, height=2150 * u.m),
         "VERITAS": EarthLocation(lon=-110.952 * u.deg, lat=31.675 * u.deg, height=1268 * u.m)}
#: DR1 era (2004-2008), a leap-second day (2008-12-31/2009-01-01) and recent nights (before
#: the first predicted day of the table astropy ships).
MJDS = [53343.92, 53708.1, 54500.87, 54831.99, 54832.01, 58849.5, 60500.3]
FIELDS = ("eb", "eh", "em", "v", "bm1", "bpn", "along", "xpl", "ypl", "sphi", "cphi",
          "diurab", "eral", "refa", "refb")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """An empty cache folder, and no table read yet in this process."""
    monkeypatch.setenv("BACCMOD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(earth_orientation, "_table", None)
    return tmp_path / "cache"


def astropy_context(time, location):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. ERFA's dubious-year warning
        return erfa_astrom.get().apco(AltAz(obstime=time, location=location))


def assert_same_context(ours, theirs):
    for name in FIELDS:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-13, atol=1e-15,
                                   err_msg=name)


@pytest.mark.parametrize("site", SITES.values(), ids=SITES.keys())
@pytest.mark.parametrize("scale", ["tt", "utc"])
def test_the_context_is_astropys(site, scale, cache_dir):
    for mjd in MJDS:
        time = Time(mjd, format="mjd", scale=scale)
        assert_same_context(astrometry_context(time, site), astropy_context(time, site))
    assert list(cache_dir.glob("earth-orientation-*.npz"))


def test_the_earth_orientation_is_interpolated_as_astropy_does(cache_dir):
    table = iers.earth_orientation_table.get()
    for mjd in np.linspace(53000.0, 60500.0, 97) + 0.37:
        time = Time(mjd, format="mjd", scale="utc")
        dut1, pm_x, pm_y = earth_orientation.earth_orientation(time.jd1, time.jd2)
        assert dut1 == pytest.approx(table.ut1_utc(time).to_value(u.s), rel=0, abs=1e-12)
        x, y = table.pm_xy(time)
        assert (pm_x, pm_y) == pytest.approx((x.to_value(u.arcsec), y.to_value(u.arcsec)),
                                             rel=0, abs=1e-12)


def test_outside_the_tables_known_days_astropy_answers(cache_dir):
    """Before the table and from its first predicted day on (where astropy may download a
    newer table or refuse), the Earth orientation is left to astropy."""
    table = iers.earth_orientation_table.get()
    # astropy < 6.1 without downloads: IERS-B alone, which predicts nothing
    predictive = table.meta.get("predictive_mjd", table["MJD"][-1].to_value("d"))
    for mjd in (30000.0, predictive + 1.5, predictive + 100.0):
        time = Time(mjd, format="mjd", scale="utc")
        assert earth_orientation.earth_orientation(time.jd1, time.jd2) is None
    time = Time(predictive + 2.5, format="mjd", scale="tt")
    try:
        expected = astropy_context(time, SITES["H.E.S.S."])
    except ValueError as error:  # astropy refuses predictions from a stale table
        with pytest.raises(ValueError, match=str(error)[:20]):
            tt_astrometry_context(time.jd1, time.jd2, SITES["H.E.S.S."])
    else:
        assert_same_context(tt_astrometry_context(time.jd1, time.jd2, SITES["H.E.S.S."]),
                            expected)


def test_a_table_set_by_the_user_is_used(cache_dir):
    time, site = Time(54500.87, format="mjd", scale="tt"), SITES["H.E.S.S."]
    iers_b = iers.IERS_B.open(iers.IERS_B_FILE)
    with iers.earth_orientation_table.set(iers_b):
        assert earth_orientation.earth_orientation(time.jd1, time.jd2) is None
        assert_same_context(astrometry_context(time, site), astropy_context(time, site))


def test_other_astropy_settings_are_computed_by_astropy(cache_dir):
    time, site = Time(54500.87, format="mjd", scale="tt"), SITES["La Palma"]
    with erfa_astrom.set(ErfaAstromInterpolator(300 * u.s)):
        assert_same_context(astrometry_context(time, site), astropy_context(time, site))


def test_an_unwritable_cache_keeps_the_table_in_memory(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BACCMOD_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(earth_orientation, "_table", None)
    time, site = Time(53343.92, format="mjd", scale="tt"), SITES["H.E.S.S."]
    with caplog.at_level(logging.DEBUG, logger="baccmod"):
        context = astrometry_context(time, site)
    assert_same_context(context, astropy_context(time, site))
    assert any("not written" in r.getMessage() and r.levelno == logging.DEBUG
               for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_damaged_cache_file_is_rebuilt(cache_dir, monkeypatch):
    time, site = Time(53343.92, format="mjd", scale="tt"), SITES["H.E.S.S."]
    astrometry_context(time, site)
    [path] = cache_dir.glob("earth-orientation-*.npz")
    path.write_bytes(b"damaged")
    monkeypatch.setattr(earth_orientation, "_table", None)
    assert_same_context(astrometry_context(time, site), astropy_context(time, site))
    with np.load(path) as content:
        assert content["mjd"].size > 10000


FRESH_PROCESS = """
import sys
from astropy.utils import iers
from astropy.time import core as time_core
{config}
from baccmod.adapters.observation import run_arrays
{make_run}
arrays = run_arrays(run, fov_edges=0.04, track=True)
assert arrays.fov_lon.size > 1000 and arrays.track_cos_zenith.size > 1
print("IERS_Auto", iers.IERS_Auto.iers_table is not None)
print("IERS_B", iers.IERS_B.iers_table is not None)
print("leap_seconds", time_core._LEAP_SECONDS_CHECK.name)
print("numba", "numba" in sys.modules)
"""
#: A DR1 run read from its file (its times in TT: no UTC conversion anywhere).
DR1_RUN = """
from gammapy.data import DataStore
run = DataStore.from_dir({path!r}).obs(23523, required_irf=[])
"""
#: An in-memory run (made from a UTC time: astropy reads its leap seconds for it).
MEMORY_RUN = """
from observations import make_observation
run = make_observation(1)
"""


def fresh_process(cache_dir, make_run, auto_download):
    """A new interpreter computing a run's FoV coordinates and zenith track; what it read."""
    config = "" if auto_download else "iers.conf.auto_download = False"
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, BACCMOD_CACHE_DIR=str(cache_dir),
               PYTHONPATH=os.pathsep.join([tests] + sys.path))
    script = FRESH_PROCESS.format(config=config, make_run=make_run)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0, result.stderr
    return dict(line.split() for line in result.stdout.strip().splitlines())


def assert_built_then_read(cache_dir, make_run, auto_download):
    """The first process builds the cache from astropy's table, a later one reads it: it
    parses no IERS table and starts no numba."""
    first = fresh_process(cache_dir, make_run, auto_download)
    assert first["IERS_Auto"] == "True"
    assert list(cache_dir.glob("earth-orientation-*.npz"))
    later = fresh_process(cache_dir, make_run, auto_download)
    assert later["IERS_Auto"] == later["IERS_B"] == later["numba"] == "False"
    return later


@pytest.mark.realdata
@pytest.mark.parametrize("auto_download", [False, True])
def test_a_new_process_reading_a_run_parses_no_iers_table(tmp_path, hess_dr1, auto_download):
    make_run = DR1_RUN.format(path=str(hess_dr1.hdu_table.base_dir))
    later = assert_built_then_read(tmp_path / "cache", make_run, auto_download)
    assert later["leap_seconds"] == "NOT_STARTED"  # nor astropy's leap-second table


def test_a_new_process_with_an_in_memory_run_parses_no_iers_table(tmp_path):
    assert_built_then_read(tmp_path / "cache", MEMORY_RUN, auto_download=False)


def test_the_context_fields_kernels_use_are_astropys(cache_dir):
    time, site = Time(60500.3, format="mjd", scale="utc"), SITES["Paranal"]
    ours, theirs = astrometry_context(time, site), astropy_context(time, site)
    for name in OBSERVED_FRAME_FIELDS:
        assert float(ours[name]) == pytest.approx(float(theirs[name]), rel=1e-14, abs=1e-17)


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BACCMOD_CACHE_DIR", str(tmp_path / "x"))
    assert earth_orientation.cache_directory() == tmp_path / "x"
    monkeypatch.delenv("BACCMOD_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert earth_orientation.cache_directory() == tmp_path / "xdg" / "baccmod"
