"""UT1-UTC and polar motion as astropy's default IERS table gives them, without parsing that
table in every new process.

astropy interpolates UT1-UTC and the polar motion (PM_x, PM_y) linearly in its default Earth
orientation table (``earth_orientation_table``: ``IERS_Auto``), which it builds by parsing
the IERS-A and IERS-B text files of the ``astropy-iers-data`` package: ~0.6 s in each new
process. Here the columns needed (MJD, UT1_UTC, PM_x, PM_y) and the first predictive MJD are
taken once from astropy's own table and kept in a small ``.npz`` cache file, keyed by the
astropy version, its ``iers.conf.auto_download`` setting and the identity (path, size,
modification time) of those files; a later process reads it in about a millisecond and
interpolates as astropy's ``IERS._interpolate`` does, to the same values.

Only what astropy itself would use is cached: a table read from the bundled IERS-A file and
not refreshed from the network. Whenever astropy's answer could be another (a table set by
the user, a downloaded or refreshed table, a ``finals2000A.all`` in the working directory,
times before the table or at or after its first predicted day, where astropy may download a
newer table or refuse), :func:`earth_orientation` returns None and the caller uses astropy.

The cache lives in ``$BACCMOD_CACHE_DIR``, else ``$XDG_CACHE_HOME/baccmod``, else
``~/.cache/baccmod``; when it cannot be written the table stays in memory for this process.
"""
import contextlib
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: Version of the cache file's content; a change makes older files unused.
_FORMAT = 1
_MJD_ZERO = 2400000.5
#: Columns kept, in astropy's table units: d, s, arcsec, arcsec.
_COLUMNS = ("mjd", "ut1_utc", "pm_x", "pm_y")
#: astropy's default table, once read in this process (or False: astropy must be used).
_table = None


def cache_directory():
    """Folder of baccmod's caches: ``$BACCMOD_CACHE_DIR``, else ``$XDG_CACHE_HOME/baccmod``,
    else ``~/.cache/baccmod``."""
    explicit = os.environ.get("BACCMOD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "baccmod"


def earth_orientation(utc_jd1, utc_jd2):
    """UT1-UTC and polar motion at a UTC time, as astropy interpolates them.

    Parameters
    ----------
    utc_jd1, utc_jd2 : float
        UTC two-part Julian date (for UT1-UTC, the pair ERFA's TAI -> UTC gives; for the polar
        motion, astropy's normalised pair: they differ by rounding only).

    Returns
    -------
    tuple of float or None
        UT1-UTC (s), PM_x and PM_y (arcsec); None when astropy's own table must be used.
    """
    table = _default_table()
    if table is None:
        return None
    mjd, fraction = _mjd_utc(utc_jd1, utc_jd2)
    row = int(np.searchsorted(table["mjd"], mjd, side="right"))
    if not (0 < row < table["mjd"].size and mjd <= table["predictive_mjd"]):
        return None
    return tuple(_interpolated(table, name, row, mjd, fraction)
                 for name in ("ut1_utc", "pm_x", "pm_y"))


def _mjd_utc(jd1, jd2):
    """Integer and fractional MJD, as astropy's ``IERS.mjd_utc``."""
    mjd = np.floor(jd1 - _MJD_ZERO + jd2)
    return mjd, jd1 - (_MJD_ZERO + mjd) + jd2


def _interpolated(table, name, row, mjd, fraction):
    """Linear interpolation between rows row - 1 and row, as astropy's ``IERS._interpolate``
    (UT1-UTC across a leap second: the jump removed from the difference)."""
    mjd_0, mjd_1 = table["mjd"][row - 1], table["mjd"][row]
    value_0, value_1 = table[name][row - 1], table[name][row]
    delta = value_1 - value_0
    if name == "ut1_utc":
        delta -= np.round(delta)
    return float(value_0 + (mjd - mjd_0 + fraction) / (mjd_1 - mjd_0) * delta)


def _default_table():
    """The columns of astropy's default table ({name: array}, 'predictive_mjd'), or None
    when astropy's answer may come from another table."""
    global _table
    from astropy.utils import iers
    if iers.earth_orientation_table._value is not None or os.path.exists("finals2000A.all"):
        return None  # a table chosen by the user, or the one astropy reads from the cwd
    if _table is None:
        _table = _load_or_build(_source_key())
    return _table or None


def _source_key():
    """What astropy's default table is made of: astropy's version, whether it may download,
    and the identity of the bundled IERS files."""
    import astropy
    from astropy.utils import iers
    files = [iers.IERS_A_FILE, iers.IERS_A_README, iers.IERS_B_FILE, iers.IERS_B_README]
    identity = [_FORMAT, astropy.__version__, bool(iers.conf.auto_download)]
    for name in files:
        stat = os.stat(name)
        identity.append([str(name), stat.st_size, stat.st_mtime_ns])
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def _cache_file(key):
    return cache_directory() / f"earth-orientation-{key[:32]}.npz"


def _load_or_build(key):
    """The table from the cache file, else from astropy (then written to the cache); False
    when astropy's table is not the bundled one."""
    path = _cache_file(key)
    table = _read_cache(path, key)
    if table is not None:
        return table
    table = _from_astropy()
    if table is None:
        return False
    _write_cache(path, key, table)
    return table


def _read_cache(path, key):
    try:
        with np.load(path, allow_pickle=False) as content:
            table = {name: np.asarray(content[name], dtype=float) for name in _COLUMNS}
            stored_key = str(content["key"])
            predictive_mjd = float(content["predictive_mjd"])
    except FileNotFoundError:
        return None
    except Exception as error:  # a damaged or foreign file: rebuilt
        log.debug("Earth orientation cache %s unreadable (%s); rebuilding it.", path, error)
        return None
    if stored_key != key or not _valid(table):
        log.debug("Earth orientation cache %s does not match; rebuilding it.", path)
        return None
    table["predictive_mjd"] = predictive_mjd
    return table


def _valid(table):
    mjd = table["mjd"]
    sizes = {table[name].shape for name in _COLUMNS}
    return (len(sizes) == 1 and mjd.ndim == 1 and mjd.size >= 2 and np.all(np.diff(mjd) > 0)
            and all(np.all(np.isfinite(table[name])) for name in _COLUMNS))


def _from_astropy():
    """The needed columns of astropy's default table (parsing it, as astropy would), or None
    when that table is not read from the bundled IERS-A file (downloaded or refreshed)."""
    from astropy import units as u
    from astropy.utils import iers
    source = iers.earth_orientation_table.get()
    path = os.path.abspath(str(source.meta.get("data_path", "")))
    # astropy < 6.1 without downloads uses the bundled IERS-B alone (no predictions)
    bundled = path in (os.path.abspath(str(iers.IERS_A_FILE)),
                       os.path.abspath(str(iers.IERS_B_FILE)))
    predicts = "predictive_mjd" in source.meta or isinstance(source, iers.IERS_B)
    if not bundled or "data_url" in source.meta or not predicts:
        log.debug("astropy's Earth orientation table is not the bundled one; using astropy.")
        return None
    table = {"mjd": np.asarray(source["MJD"].to_value(u.d), dtype=float),
             "ut1_utc": np.asarray(source["UT1_UTC"].to_value(u.s), dtype=float),
             "pm_x": np.asarray(source["PM_x"].to_value(u.arcsec), dtype=float),
             "pm_y": np.asarray(source["PM_y"].to_value(u.arcsec), dtype=float)}
    if not _valid(table):
        return None
    # times from the first predicted day on (IERS-B: past its last day) are left to astropy
    table["predictive_mjd"] = float(source.meta.get("predictive_mjd", table["mjd"][-1]))
    return table


def _write_cache(path, key, table):
    """Write the cache file atomically (a temporary file renamed); failures are logged only."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem,
                                                 suffix=".tmp")
    except OSError as error:
        log.debug("Earth orientation cache %s not written (%s); keeping it in memory.", path,
                  error)
        return
    try:
        with os.fdopen(descriptor, "wb") as handle:
            np.savez(handle, key=np.array(key), **{name: table[name] for name in _COLUMNS},
                     predictive_mjd=np.array(table["predictive_mjd"]))
        os.chmod(temporary, 0o644)  # mkstemp's 0o600 would hide it from a shared cache's users
        os.replace(temporary, path)
    except OSError as error:
        log.debug("Earth orientation cache %s not written (%s); keeping it in memory.", path,
                  error)
        with contextlib.suppress(OSError):
            os.unlink(temporary)
