"""Copies of one H.E.S.S. DL3 DR1 run, changed on purpose, in a data store gammapy reads.

A copy keeps the run's PRIMARY, EVENTS and GTI HDUs; :func:`write_store` writes it (or raw
bytes standing for a damaged file) with the HDU and observation indexes
``DataStore.from_dir`` needs, and gives the runs as a user gets them.
"""
import gzip
import io

import numpy as np
from astropy.io import fits
from astropy.table import Table

OBS_ID = 23523
RUN_FILE = "hess_dl3_dr1_obs_id_023523.fits.gz"


def run_hdus(dr1_dir):
    """The run's PRIMARY, EVENTS and GTI HDUs, in memory."""
    with fits.open(dr1_dir / "data" / RUN_FILE) as hdus:
        return fits.HDUList([hdu.copy() for hdu in hdus[:3]])


def file_bytes(hdus, compress=True):
    """The bytes of ``hdus`` written as a FITS file (gzip-compressed when ``compress``)."""
    buffer = io.BytesIO()
    hdus.writeto(buffer)
    return gzip.compress(buffer.getvalue()) if compress else buffer.getvalue()


def write_store(folder, dr1_dir, hdus=None, raw=None, file_name="run.fits.gz"):
    """Write the run (``hdus``, or the file's ``raw`` bytes) and its indexes in ``folder``;
    return its observations as ``DataStore.from_dir(folder)`` gives them."""
    from gammapy.data import DataStore
    folder.mkdir(parents=True, exist_ok=True)
    if raw is None:
        raw = file_bytes(hdus, compress=file_name.endswith(".gz"))
    (folder / file_name).write_bytes(raw)
    rows = [{"OBS_ID": OBS_ID, "HDU_TYPE": kind, "HDU_CLASS": kind, "FILE_DIR": ".",
             "FILE_NAME": file_name, "HDU_NAME": kind.upper()} for kind in ("events", "gti")]
    Table(rows=rows).write(folder / "hdu-index.fits.gz", overwrite=True)
    obs_index = Table.read(dr1_dir / "obs-index.fits.gz")
    obs_index[obs_index["OBS_ID"] == OBS_ID].write(folder / "obs-index.fits.gz", overwrite=True)
    return DataStore.from_dir(folder).get_observations(required_irf=[])


def table_of(hdus, name):
    """HDU ``name`` as an astropy Table (header keywords in ``meta``)."""
    return Table.read(hdus[name])


def put_table(hdus, name, table):
    """Replace HDU ``name`` by ``table``."""
    hdu = fits.table_to_hdu(table)
    hdu.name = name
    hdus[name] = hdu


def set_column(hdus, hdu_name, column, values, unit):
    """Replace a column by float64 ``values`` declared in ``unit`` (None: no TUNIT)."""
    table = table_of(hdus, hdu_name)
    table[column] = np.asarray(values, dtype=np.float64)
    table[column].unit = unit
    put_table(hdus, hdu_name, table)
