"""A run's DL3 content as plain numbers: event columns and header values in their declared
units, checked; and the one place (:func:`reading`) where any problem met while reading a run
becomes a :class:`~baccmod.errors.BaccmodValueError` naming the run, its file and the fix.

Units follow gammapy's reading of GADF files: a column's ``TUNITn``; for times, else the
header's ``TIMEUNIT``, else s; RA/DEC without a unit are in deg (GADF); an energy needs one.
"""
import logging
import zlib
from contextlib import contextmanager

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.time import ScaleValueError, Time
from gammapy.utils.time import time_ref_from_dict

from ..core.model import run_label
from ..errors import BaccmodError, BaccmodValueError

log = logging.getLogger(__name__)

#: Event columns a model needs.
EVENT_COLUMNS = ("RA", "DEC", "ENERGY", "TIME")
#: GTI columns.
GTI_COLUMNS = ("START", "STOP")
#: OBS_MODE values of a pointing fixed on the sky (GADF's POINTING, H.E.S.S.'s WOBBLE, and
#: the ON/OFF runs of an on-off observation, which track a fixed sky position too).
FIXED_POINTING_MODES = ("POINTING", "WOBBLE", "ON", "OFF")
_TIME_REFERENCE_KEYS = ("MJDREFI", "MJDREFF")
_FIX_FILE = "Repair the file (or copy it again from its source), or leave the run out."
_DAMAGED_FILE = ("the file is truncated, corrupted or not a GADF DL3 run (check it with "
                 "astropy's fitsinfo/fitscheck). " + _FIX_FILE)
_DAMAGED_IN_MEMORY = ("its in-memory events, GTI or metadata are not as gammapy makes them; "
                      "fix them or leave the run out.")
#: What astropy, gammapy, numpy and zlib raise on a damaged file or header.
_READ_ERRORS = (OSError, EOFError, zlib.error, fits.VerifyError, KeyError, IndexError,
                ValueError, TypeError, AttributeError, ScaleValueError)


class RunProblem(Exception):
    """What is wrong with a run and how to fix it; :func:`reading` adds the run and file."""

    def __init__(self, problem, fix):
        super().__init__(problem)
        self.problem, self.fix = problem, fix


@contextmanager
def reading(obs_id, source=""):
    """Context of reading run ``obs_id`` (file ``source``, '' in memory): a
    :class:`RunProblem`, or an error of astropy, gammapy or zlib on the run's content, leaves
    it as a BaccmodValueError naming the run and file; baccmod's own errors pass unchanged."""
    where = run_label(obs_id, source)
    try:
        yield
    except BaccmodError:
        raise
    except RunProblem as err:
        raise BaccmodValueError(f"{where}: {err.problem}. {err.fix}") from None
    except _READ_ERRORS as err:
        what = _DAMAGED_FILE if source else _DAMAGED_IN_MEMORY
        raise BaccmodValueError(
            f"{where}: reading it failed ({type(err).__name__}: {err}); {what}") from err


def hdu_of(hdul, name, kind):
    """HDU ``name`` (from the HDU index) of an open file, ``kind`` naming it ('events', 'gti')."""
    try:
        return hdul[name]  # HDUs after it are not read (``name in hdul`` would read them all)
    except KeyError:
        raise RunProblem(f"the file has no {name} HDU (its {kind}; the file may be truncated, "
                         f"or the HDU index names another HDU)", _FIX_FILE) from None


def parse_unit(text, what):
    """An astropy unit from a FITS unit string (FITS syntax first, then astropy's)."""
    if isinstance(text, u.UnitBase):
        return text
    for unit_format in ("fits", None):
        try:
            return u.Unit(str(text).strip(), format=unit_format)
        except ValueError:
            continue
    raise RunProblem(f"{what} is {text!r}, which is not a unit",
                     f"Write a FITS unit string there (e.g. 'deg', 'TeV', 's'). {_FIX_FILE}")


def _unit_of(declared, default, what, target):
    """The unit a column is declared in (``default`` when it has none), checked to be a
    ``target`` quantity."""
    if isinstance(declared, u.UnitBase) and declared == u.dimensionless_unscaled:
        declared = None
    if declared is None or str(declared).strip() == "":
        if default is None:
            raise RunProblem(f"{what} is not given", "Declare the column's unit (TUNITn, e.g. "
                             "'TeV'). " + _FIX_FILE)
        declared = default
    unit = parse_unit(declared, what)
    if not unit.is_equivalent(target):
        raise RunProblem(f"{what} is {unit.to_string()!r}, not a unit of "
                         f"{target.physical_type}", "Correct the unit. " + _FIX_FILE)
    return unit


def column_values(values, declared, target, what, default=None):
    """Values of a column, float64 in unit ``target``.

    Parameters
    ----------
    values : array_like, shape (n,)
    declared : str, astropy Unit or None
        The column's declared unit (``TUNITn``); None or '' if it has none.
    target : astropy Unit
    what : str
        Names the column in messages (e.g. "the unit of EVENTS column RA").
    default : str or astropy Unit, optional
        Unit of a column without one; without a default such a column is refused.
    """
    scale = _unit_of(declared, default, what, target).to(target)
    values = np.array(values, dtype=np.float64)
    if scale != 1.0:
        values *= scale
    return values


def check_event_columns(names):
    """Refuse an event list without one of :data:`EVENT_COLUMNS` (case-insensitive)."""
    missing = sorted(set(EVENT_COLUMNS) - {str(n).upper() for n in names})
    if missing:
        raise RunProblem(f"its EVENTS table has no column {', '.join(missing)}",
                         "A model needs RA, DEC, ENERGY and TIME per event. " + _FIX_FILE)


def events_from_hdu(hdu, label):
    """Event columns of an EVENTS HDU: ra, dec (deg), energy (TeV) and time (s from the
    header's reference), and the header. ``label`` names the run in a checksum warning."""
    header = hdu.header
    check_event_columns(hdu.columns.names)
    if "DATASUM" in header and hdu.verify_datasum() == 0:
        log.warning("%s: its EVENTS data do not match their DATASUM checksum; the file may be "
                    "corrupted (or was edited without updating the checksum).", label)
    data = hdu.data
    declared = {name: hdu.columns[name].unit for name in EVENT_COLUMNS}
    time_unit = parse_unit(header.get("TIMEUNIT", "s"), "TIMEUNIT of the EVENTS header")
    return {"ra": column_values(data["RA"], declared["RA"], u.deg, _unit_name("RA"), u.deg),
            "dec": column_values(data["DEC"], declared["DEC"], u.deg, _unit_name("DEC"), u.deg),
            "energy": column_values(data["ENERGY"], declared["ENERGY"], u.TeV,
                                    _unit_name("ENERGY"), header.get("EUNIT")),
            "time": column_values(data["TIME"], declared["TIME"], u.s, _unit_name("TIME"),
                                  time_unit)}, header


def _unit_name(column, table="EVENTS"):
    return f"the unit (TUNIT) of {table} column {column}"


def events_from_table(table):
    """Event columns of an in-memory event table (gammapy ``EventList.table``), as
    :func:`events_from_hdu`; a TIME column of astropy Time stays one."""
    check_event_columns(table.colnames)
    columns = {"ra": column_values(table["RA"], table["RA"].unit, u.deg, _unit_name("RA"),
                                   u.deg),
               "dec": column_values(table["DEC"], table["DEC"].unit, u.deg, _unit_name("DEC"),
                                    u.deg),
               "energy": column_values(table["ENERGY"], table["ENERGY"].unit, u.TeV,
                                       _unit_name("ENERGY"), table.meta.get("EUNIT"))}
    time = table["TIME"]
    if not isinstance(time, Time):
        default = parse_unit(table.meta.get("TIMEUNIT", "s"), "TIMEUNIT of the event list")
        time = column_values(time, time.unit, u.s, _unit_name("TIME"), default)
    columns["time"] = time
    return columns


def gti_from_hdu(hdu):
    """GTI starts and stops (s, sorted) and their reference time (see
    :func:`reference_time`), from a GTI HDU."""
    header = hdu.header
    missing = sorted(set(GTI_COLUMNS) - {n.upper() for n in hdu.columns.names})
    if missing:
        raise RunProblem(f"its GTI table has no column {', '.join(missing)}", _FIX_FILE)
    time_unit = parse_unit(header.get("TIMEUNIT", "s"), "TIMEUNIT of the GTI header")
    starts, stops = (column_values(hdu.data[name], hdu.columns[name].unit, u.s,
                                   _unit_name(name, "GTI"), time_unit)
                     for name in GTI_COLUMNS)
    order = np.argsort(starts)
    return starts[order], stops[order], reference_time(header, "GTI")


def check_gti_rows(starts):
    if np.size(starts) == 0:
        raise RunProblem("its GTI table has no rows (no good time interval)",
                         "Write the run's good time intervals in its GTI HDU. " + _FIX_FILE)


def reference_time(header, hdu_name):
    """The time origin of an HDU's times: (MJDREFI, MJDREFF) as floats, days, when its scale
    is TT (TIMESYS 'TT' or absent, as gammapy), else an astropy Time (see
    :func:`time_reference`)."""
    _check_time_reference_keys(header, hdu_name)
    scale = header.get("TIMESYS", "tt")
    if isinstance(scale, str) and scale.lower() == "tt":
        try:
            mjd = float(header["MJDREFI"]), float(header["MJDREFF"])
        except (TypeError, ValueError):
            mjd = None
        if mjd is not None and np.all(np.isfinite(mjd)):
            return mjd
    return time_reference(header, hdu_name)


def _check_time_reference_keys(header, hdu_name):
    missing = [key for key in _TIME_REFERENCE_KEYS if key not in header]
    if missing:
        raise RunProblem(f"its {hdu_name} header has no {' or '.join(missing)} (the time "
                         f"reference of its times)", "Add MJDREFI and MJDREFF (the MJD of time "
                         "0, integer and fraction) and TIMESYS. " + _FIX_FILE)


def time_reference(header, hdu_name):
    """The time origin (astropy Time) of an HDU's times: MJDREFI + MJDREFF in TIMESYS
    (TT when absent, as gammapy)."""
    _check_time_reference_keys(header, hdu_name)
    try:
        return time_ref_from_dict(header)
    except (ValueError, TypeError, ScaleValueError) as err:
        raise RunProblem(f"its {hdu_name} time reference (MJDREFI={header['MJDREFI']!r}, "
                         f"MJDREFF={header['MJDREFF']!r}, TIMESYS={header.get('TIMESYS')!r}) "
                         f"cannot be read ({err})", _FIX_FILE) from None


def header_number(header, key, meaning):
    """A required numeric header keyword of the EVENTS header, as float."""
    if key not in header:
        raise RunProblem(f"its EVENTS header has no {key} ({meaning})",
                         f"Add {key} to the EVENTS header. " + _FIX_FILE)
    try:
        value = float(header[key])
    except (TypeError, ValueError):
        raise RunProblem(f"its EVENTS header's {key} = {header[key]!r} is not a number "
                         f"({meaning})", _FIX_FILE) from None
    if not np.isfinite(value):
        raise RunProblem(f"its EVENTS header's {key} is {value} ({meaning})", _FIX_FILE)
    return value


def check_fixed_pointing_mode(mode):
    """Refuse an OBS_MODE other than a pointing fixed on the sky (None: not given, accepted)."""
    if mode is not None and str(mode).strip().upper() not in FIXED_POINTING_MODES:
        raise RunProblem(
            f"OBS_MODE is {mode!r}, a pointing that moves on the sky; baccmod reads a fixed "
            f"sky pointing (RA_PNT/DEC_PNT) and follows no pointing table",
            "Leave the run out; if it did track a fixed sky position, set OBS_MODE = "
            "'POINTING' in its EVENTS header.")


def check_live_fraction(live_fraction, origin, gti_seconds):
    """Refuse a live fraction (livetime / GTI time) outside (0, 1]; ``origin`` says where it
    came from (e.g. "DEADC = 1.2")."""
    if not 0.0 < live_fraction <= 1.0:
        raise RunProblem(
            f"livetime is {gti_seconds * live_fraction:.1f} s ({origin}): the live fraction "
            f"(livetime / ontime) must be in (0, 1]",
            "Correct the run's dead-time (DEADC in its EVENTS header, or "
            "ObservationMetaData.deadtime_fraction in [0, 1)), or leave the run out.")
