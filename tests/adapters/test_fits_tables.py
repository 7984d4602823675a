"""The lean reader of a run's binary tables gives what astropy gives, and leaves to astropy
every file it does not read exactly as astropy does."""
import bz2
import gzip
import io
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from baccmod.adapters import fits_tables
from baccmod.adapters.fits_tables import Unsupported, data_checksum, read_tables
from baccmod.adapters.observation import run_arrays

WANTED = {"EVENTS": ("RA", "DEC", "ENERGY", "TIME"), "GTI": ("START", "STOP")}
DR1_RUNS = [23523, 33787, 47802]


def events_hdu(n=50, seed=0, extra_columns=True):
    """An EVENTS table with columns of many types around the needed ones, and header cards
    of every value type astropy parses."""
    rng = np.random.default_rng(seed)
    columns = [fits.Column("EVENT_ID", "K", array=np.arange(n))]
    if extra_columns:
        columns += [fits.Column("FLAG", "L", array=rng.uniform(size=n) < 0.5),
                    fits.Column("BITS", "11X", array=np.zeros((n, 11), bool)),
                    fits.Column("NAME", "3A", array=np.array(["ab"] * n)),
                    fits.Column("VEC", "2E", array=rng.normal(size=(n, 2))),
                    fits.Column("SHORT", "I", array=np.arange(n, dtype=np.int16))]
    columns += [fits.Column("TIME", "D", unit="s", array=np.sort(rng.uniform(0, 1000, n))),
                fits.Column("RA", "E", unit="deg", array=rng.uniform(80, 85, n)),
                fits.Column("DEC", "D", unit="deg", array=rng.uniform(20, 23, n)),
                fits.Column("ENERGY", "E", unit="TeV", array=rng.uniform(0.1, 10, n))]
    hdu = fits.BinTableHDU.from_columns(columns, name="EVENTS")
    hdu.header.update({"DEADC": 0.93, "RA_PNT": 83.6, "DEC_PNT": 22.0, "OBS_MODE": "WOBBLE  ",
                       "QUOTED": "O'Hara", "LEADING": "  spaced", "EMPTY": "", "FLAG_T": True,
                       "FLAG_F": False, "NEG": -5, "BIG": 1.5e300, "TINY": -2.5e-12,
                       "MJDREFI": 51910, "MJDREFF": 7.428703703703703e-4, "TIMESYS": "TT"})
    hdu.header.add_comment("a comment")
    hdu.header.add_history("a history line")
    return hdu


def gti_hdu():
    hdu = fits.BinTableHDU.from_columns(
        [fits.Column("START", "D", unit="s", array=[0.0, 600.0]),
         fits.Column("STOP", "D", unit="s", array=[500.0, 1000.0])], name="GTI")
    hdu.header.update({"MJDREFI": 51910, "MJDREFF": 7.428703703703703e-4, "TIMESYS": "TT"})
    return hdu


def write(path, hdus, compress=None):
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU()] + hdus).writeto(buffer)
    compressors = {None: bytes, "gzip": gzip.compress, "bz2": bz2.compress}
    path.write_bytes(compressors[compress](buffer.getvalue()))
    return path


def assert_as_astropy(path, wanted=WANTED):
    lean = read_tables(path, wanted)
    with fits.open(path) as hdul:
        for name, columns in wanted.items():
            hdu, table = hdul[name], lean[name]
            expected = {key.upper(): value for key, value in hdu.header.items()
                        if key not in ("COMMENT", "HISTORY", "")}
            assert table.header == expected
            assert [type(v) for v in table.header.values()] == \
                [type(v) for v in expected.values()]
            assert table.columns.names == hdu.columns.names
            for column in columns:
                assert table.columns[column].unit == hdu.columns[column].unit
                np.testing.assert_array_equal(table.data[column], hdu.data[column])
            assert data_checksum(table._raw) == hdu._calculate_datasum()
            assert table.verify_datasum() == hdu.verify_datasum()


@pytest.mark.parametrize("compress", [None, "gzip"])
def test_tables_header_and_columns_are_astropys(tmp_path, compress):
    path = write(tmp_path / "run.fits", [events_hdu(), gti_hdu()], compress)
    assert_as_astropy(path)


def test_tables_are_found_by_name_past_other_hdus(tmp_path):
    other = fits.ImageHDU(np.ones((7, 3), dtype=np.float32), name="IMAGE")
    path = write(tmp_path / "run.fits", [other, gti_hdu(), events_hdu(n=3000)], "gzip")
    assert_as_astropy(path)
    assert_as_astropy(path, {"events": WANTED["EVENTS"]})  # names ignoring case


def test_the_checksum_is_astropys_for_any_length(tmp_path):
    for n in (0, 1, 2, 3, 7, 1001):
        hdu = fits.BinTableHDU.from_columns([fits.Column("A", "3A", array=["abc"] * n),
                                             fits.Column("RA", "E", array=np.ones(n))],
                                            name="EVENTS")
        hdu.add_datasum()
        path = write(tmp_path / f"run{n}.fits", [hdu])
        assert_as_astropy(path, {"EVENTS": ("RA",)})
        assert read_tables(path, {"EVENTS": ("RA",)})["EVENTS"].verify_datasum() == 1


def test_data_not_matching_datasum_are_found(tmp_path):
    hdu = events_hdu()
    hdu.add_datasum()
    hdu.data["ENERGY"][0] *= 2
    path = write(tmp_path / "run.fits", [hdu, gti_hdu()])
    assert read_tables(path, WANTED)["EVENTS"].verify_datasum() == 0
    assert_as_astropy(path)


def scaled(hdus):
    hdus[0].columns.change_attrib("RA", "bscale", 2.0)


def long_string(hdus):
    hdus[0].header["LONGSTR"] = "x" * 100  # written with CONTINUE cards


def complex_value(hdus):
    hdus[0].header["CPLX"] = 1 + 2j


def undefined_value(hdus):
    hdus[0].header["UNDEF"] = None


def shaped(hdus):
    hdus[0].columns.change_attrib("RA", "dim", "(1)")


def hierarch(hdus):
    hdus[0].header["HIERARCH LONG KEYWORD NAME"] = 1.0


#: changes after which astropy must read the file
UNREAD = {"a scaled column": scaled, "a long string": long_string,
          "a complex value": complex_value, "an undefined value": undefined_value,
          "a shaped column": shaped, "a HIERARCH card": hierarch}


@pytest.mark.parametrize("change", UNREAD.values(), ids=UNREAD.keys())
def test_what_the_reader_does_not_handle_is_left_to_astropy(tmp_path, change):
    hdus = [events_hdu(), gti_hdu()]
    change(hdus)
    path = write(tmp_path / "run.fits", hdus)
    with pytest.raises(Unsupported):
        read_tables(path, WANTED)


def test_a_needed_column_of_several_numbers_or_a_heap_is_left_to_astropy(tmp_path):
    for column in (fits.Column("RA", "2E", array=np.ones((4, 2))),
                   fits.Column("RA", "PJ()", array=[[1], [2, 3], [], [4]])):
        hdu = fits.BinTableHDU.from_columns([column], name="EVENTS")
        path = write(tmp_path / "run.fits", [hdu])
        with pytest.raises(Unsupported):
            read_tables(path, {"EVENTS": ("RA",)})


@pytest.mark.parametrize("damage", ["truncated gzip", "truncated", "bz2", "not FITS",
                                    "corrupted gzip", "no GTI"])
def test_damaged_or_other_files_are_left_to_astropy(tmp_path, damage):
    path = write(tmp_path / "run.fits", [events_hdu(n=3000), gti_hdu()],
                 "bz2" if damage == "bz2" else "gzip")
    raw = path.read_bytes()
    if damage == "truncated gzip":
        path.write_bytes(raw[:len(raw) // 2])
    elif damage == "truncated":
        path.write_bytes(gzip.decompress(raw)[:20000])
    elif damage == "not FITS":
        path.write_bytes(gzip.compress(b"this is not a FITS file\n" * 200))
    elif damage == "corrupted gzip":
        middle = len(raw) // 3
        path.write_bytes(raw[:middle] + bytes(b ^ 0xFF for b in raw[middle:middle + 400])
                         + raw[middle + 400:])
    elif damage == "no GTI":
        write(path, [events_hdu(n=3000)], "gzip")
    with pytest.raises(Unsupported):
        read_tables(path, WANTED)


@pytest.fixture(scope="module")
def dr1_dir(hess_dr1):
    return Path(hess_dr1.hdu_table.base_dir)


@pytest.mark.realdata
@pytest.mark.parametrize("obs_id", DR1_RUNS)
def test_dr1_runs_are_read_as_astropy_reads_them(dr1_dir, obs_id):
    assert_as_astropy(dr1_dir / "data" / f"hess_dl3_dr1_obs_id_{obs_id:06d}.fits.gz")


@pytest.mark.realdata
def test_a_run_read_by_the_reader_equals_the_run_read_by_astropy(hess_dr1, monkeypatch):
    lean = [run_arrays(hess_dr1.obs(obs_id, required_irf=[]), fov_edges=0.04, track=True)
            for obs_id in DR1_RUNS]

    def unsupported(path, wanted):
        raise Unsupported("test")

    monkeypatch.setattr(fits_tables, "read_tables", unsupported)
    for obs_id, fast in zip(DR1_RUNS, lean):
        slow = run_arrays(hess_dr1.obs(obs_id, required_irf=[]), fov_edges=0.04, track=True)
        for name, value in vars(slow).items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(getattr(fast, name), value, err_msg=name)
            else:
                assert getattr(fast, name) == value, name


def test_tables_of_an_astropy_table_file(tmp_path):
    """A file as astropy's Table.write makes it (units, TIMESYS) reads the same."""
    table = Table({"RA": np.arange(5.0), "DEC": np.arange(5.0), "ENERGY": np.ones(5),
                   "TIME": np.arange(5.0)}, meta={"EXTNAME": "EVENTS"})
    table["ENERGY"].unit = "TeV"
    path = tmp_path / "events.fits.gz"
    table.write(path)
    assert_as_astropy(path, {"EVENTS": WANTED["EVENTS"]})


@pytest.mark.realdata
@pytest.mark.parametrize("obs_id", DR1_RUNS)
def test_the_effective_area_header_is_astropys_without_its_table(dr1_dir, obs_id):
    path = dr1_dir / "data" / f"hess_dl3_dr1_obs_id_{obs_id:06d}.fits.gz"
    header = fits_tables.read_header(path, "aeff")
    expected = {key: value for key, value in fits.getheader(path, "AEFF").items()
                if key not in ("COMMENT", "HISTORY", "")}
    assert header == expected and header["LO_THRES"] > 0


def test_a_missing_hdu_header_is_left_to_astropy(tmp_path):
    path = write(tmp_path / "run.fits.gz", [events_hdu()], compress="gzip")
    with pytest.raises(Unsupported):
        fits_tables.read_header(path, "AEFF")


@pytest.mark.realdata
def test_the_safe_threshold_is_read_from_the_header_alone(hess_dr1, monkeypatch):
    from gammapy.data.hdu_index_table import HDULocation

    from baccmod.adapters.irf import safe_energy_threshold
    runs = hess_dr1.get_observations(DR1_RUNS, required_irf=[])
    want = [float(obs.aeff.meta["LO_THRES"]) for obs in runs]

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"the whole {self.hdu_class} was read")

    monkeypatch.setattr(HDULocation, "load", refuse)
    fresh = hess_dr1.get_observations(DR1_RUNS, required_irf=[])
    assert [safe_energy_threshold(obs) for obs in fresh] == want
