"""Event and GTI columns are read in the units they declare (TUNITn; for times, else the
header's TIMEUNIT), as gammapy reads them: the same run stored in other units gives the same
model."""
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from gammapy.maps import MapAxis

from baccmod import Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator
from baccmod.adapters.observation import run_arrays
from dl3_copies import run_hdus, set_column, table_of, write_store
from observations import make_observation

ENERGY = MapAxis.from_energy_bounds(0.5, 10, 3, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
CREATORS = [RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator]


def in_unit(hdu_name, column, unit, header_unit=False):
    """Store ``column`` in ``unit``: declared by TUNITn, or (``header_unit``) only by the
    header's TIMEUNIT."""
    def change(hdus):
        values = table_of(hdus, hdu_name)[column].quantity.to_value(unit)
        set_column(hdus, hdu_name, column, values, None if header_unit else unit)
        if header_unit:
            hdus[hdu_name].header["TIMEUNIT"] = unit
    return change


def all_of(*changes):
    def change(hdus):
        for one in changes:
            one(hdus)
    return change


UNIT_CHANGES = {
    "RA and DEC in rad": all_of(in_unit("EVENTS", "RA", "rad"), in_unit("EVENTS", "DEC", "rad")),
    "RA and DEC without unit (deg)": all_of(in_unit("EVENTS", "RA", None),
                                            in_unit("EVENTS", "DEC", None)),
    "ENERGY in GeV": in_unit("EVENTS", "ENERGY", "GeV"),
    "TIME and GTI in min (TUNIT)": all_of(in_unit("EVENTS", "TIME", "min"),
                                          in_unit("GTI", "START", "min"),
                                          in_unit("GTI", "STOP", "min")),
    "TIME and GTI in d (TIMEUNIT)": all_of(in_unit("EVENTS", "TIME", "d", header_unit=True),
                                           in_unit("GTI", "START", "d", header_unit=True),
                                           in_unit("GTI", "STOP", "d", header_unit=True)),
}


@pytest.fixture(scope="module")
def dr1_dir(hess_dr1):
    return Path(hess_dr1.hdu_table.base_dir)


@pytest.fixture(scope="module")
def reference(dr1_dir, tmp_path_factory):
    """Models of the run as written in DR1 units (deg, TeV, s)."""
    runs = write_store(tmp_path_factory.mktemp("reference"), dr1_dir, hdus=run_hdus(dr1_dir))
    return {creator: creator(ENERGY, OFFSET, oversample_map=2).create_model(runs).data
            for creator in CREATORS}


@pytest.mark.realdata
@pytest.mark.parametrize("change", UNIT_CHANGES.values(), ids=UNIT_CHANGES.keys())
@pytest.mark.parametrize("creator", CREATORS)
def test_a_run_in_other_units_gives_the_same_model(change, creator, reference, dr1_dir,
                                                   tmp_path):
    hdus = run_hdus(dr1_dir)
    change(hdus)
    runs = write_store(tmp_path, dr1_dir, hdus=hdus)
    model = creator(ENERGY, OFFSET, oversample_map=2).create_model(runs).data
    assert model.sum() > 0
    np.testing.assert_allclose(model, reference[creator], rtol=1e-9, atol=0)


@pytest.mark.realdata
def test_gammapy_reads_the_changed_files_as_the_original(dr1_dir, tmp_path):
    """The changed files are valid DL3: gammapy's own reading of them agrees."""
    original = write_store(tmp_path / "deg", dr1_dir, hdus=run_hdus(dr1_dir))[0].events
    hdus = run_hdus(dr1_dir)
    UNIT_CHANGES["RA and DEC in rad"](hdus)
    UNIT_CHANGES["ENERGY in GeV"](hdus)
    changed = write_store(tmp_path / "rad", dr1_dir, hdus=hdus)[0].events
    # DR1 stores RA/DEC as float32 (~5e-6 deg at RA 85 deg); gammapy keeps that precision
    assert original.radec.separation(changed.radec).max() < 1e-5 * u.deg
    np.testing.assert_allclose(changed.energy.to_value(u.TeV), original.energy.to_value(u.TeV),
                               rtol=1e-6)


def test_an_in_memory_event_list_in_rad_is_read_in_its_units():
    degrees = make_observation(1)
    radians = make_observation(1)
    table = radians.events.table
    for column in ("RA", "DEC"):
        table[column] = table[column].to(u.rad)
    table["ENERGY"] = table["ENERGY"].to(u.GeV)
    a, b = run_arrays(degrees), run_arrays(radians)
    np.testing.assert_allclose(b.lon, a.lon, rtol=1e-12)
    np.testing.assert_allclose(b.lat, a.lat, rtol=1e-12)
    np.testing.assert_allclose(b.energy, a.energy, rtol=1e-12)
