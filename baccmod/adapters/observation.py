"""gammapy ``Observation`` -> :class:`baccmod.core.model.RunArrays` (each run read once)."""
import functools
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import EarthLocation
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time
from astropy.time.utils import day_frac
from gammapy.data import FixedPointingInfo, PointingMode
from gammapy.data.io import EventListReader

from ..core import fov
from ..core.exclusion import areas_near
from ..core.model import RunArrays, run_label
from ..errors import BaccmodTypeError, BaccmodValueError, MissingLocationError
from . import dl3, fits_tables
from .altaz import apparent_place, icrs_to_cirs, observed_frame, tt_astrometry_context

log = logging.getLogger(__name__)

#: Sky-aligned FoV offset of the two directions used to measure the FoV frame rotation (rad).
_REFERENCE_OFFSET = np.deg2rad(0.1)
#: Where gammapy's lazy descriptor keeps the events' file location (name "_events").
_EVENTS_HDU_KEY = "__events_hdu"
_GTI_HDU_KEY = "__gti_hdu"
#: Spacing of the pointing track on which the FoV rotation is followed (s).
_TRACK_STEP = 10.0
#: Julian date of MJD 0.
_MJD_ZERO = 2400000.5
#: Largest difference of direction cosines left to rounding when finding the nearest event.
_COSINE_ROUNDING = 1e-9


def observation_location(obs, location=None, event_header=None):
    """Observatory site of a run: ``location``, else the observation's, else the event header's
    GEOLON/GEOLAT/ALTITUDE, else the data store's observation index; otherwise an error.

    For a data-store run, gammapy's own site is the event header's: it is read from the header
    already in hand rather than through gammapy's lazy metadata (another file open)."""
    if location is not None:
        if not isinstance(location, EarthLocation):
            raise BaccmodTypeError(f"location must be an astropy EarthLocation, not "
                                   f"{type(location).__name__}.")
        return location
    index_dir = _data_store_dir(obs)
    found = obs.__dict__.get("_location")
    if found is None and ("_meta" in obs.__dict__ or event_header is None):
        try:
            found = obs.observatory_earth_location
        except Exception:  # gammapy raises on incomplete metadata
            found = None
    if found is not None:
        return found
    if event_header is None:
        event_header = obs.events.table.meta
    found = _location_from_meta(event_header)
    if found is None and index_dir is not None:
        found = _location_from_obs_index(index_dir, obs.obs_id)
    if found is None:
        raise MissingLocationError(
            f"{run_label(obs.obs_id, _run_source(obs))}: no observatory location in the "
            "observation, its event header (GEOLON/GEOLAT/ALTITUDE) or the observation index. "
            "Give it with location=, e.g. "
            "location=EarthLocation(lon=16.5002*u.deg, lat=-23.2717*u.deg, height=1835*u.m).")
    return found


def _data_store_dir(obs):
    base = getattr(_events_file(obs), "base_dir", None)
    return Path(base) if base is not None else None


def _events_file(obs):
    """gammapy's location (HDULocation) of the run's events, None when they are in memory."""
    return None if "_events" in obs.__dict__ else obs.__dict__.get(_EVENTS_HDU_KEY)


def _run_source(obs):
    """The run's events file, '' when its events are in memory."""
    events_file = _events_file(obs)
    return str(events_file.path()) if events_file is not None else ""


@dataclass
class _RunRecord:
    """What a model needs from one run; times in s relative to the reference time ``tt``."""
    tt: tuple             # the reference time: TT two-part Julian date (days)
    ra: np.ndarray        # deg
    dec: np.ndarray       # deg
    energy: np.ndarray    # TeV
    dt: np.ndarray        # s
    gti_starts: np.ndarray
    gti_stops: np.ndarray
    livetime: float       # s
    pointing: tuple       # ICRS (RA, Dec) at tt, rad
    header: object        # fits.Header or dict
    site: EarthLocation
    source: str           # the run's events file, '' in memory


def _read_run(obs, location):
    """Read what a model needs from a run, opening its file at most once.

    gammapy reads a data-store run lazily and, for events, at every access; its GTI, metadata
    and pointing each open the file again. Here each comes from memory when gammapy already
    holds it, else from one read of the run's file (the event header carries pointing, dead
    time and site), through :mod:`.fits_tables` (astropy for files it does not read). Runs
    with a gammapy ``obs_filter`` are filtered by gammapy.
    Definitions follow gammapy: livetime = GTI sum x DEADC. Any problem of the run's content
    is a BaccmodValueError naming the run and its file.
    """
    events_file, source = _events_file(obs), _run_source(obs)
    with dl3.reading(obs.obs_id, source):
        if obs.obs_filter.time_filter is not None or obs.obs_filter.event_filters:
            return _read_filtered(obs, location, events_file, source)
        return _read_unfiltered(obs, location, events_file, source)


def _read_unfiltered(obs, location, events_file, source):
    label = run_label(obs.obs_id, source)
    if events_file is not None:
        columns, header, gti = _read_file(obs, events_file, source, label)
    else:
        table = _in_memory_events(obs).table
        columns, header = dl3.events_from_table(table), table.meta
        gti = _gti_seconds(obs, None, None)  # gammapy reads and keeps it
    gti_starts, gti_stops, gti_ref = gti
    _check_gti_finite(label, gti_starts, gti_stops)
    livetime = float(np.sum(gti_stops - gti_starts)) * _live_fraction(obs, header, gti)
    site = observation_location(obs, location, header)
    middle = 0.5 * (gti_starts[0] + gti_stops[-1])
    tt, dt = _reference_and_event_times(columns.pop("time"), header, gti_ref, middle)
    return _RunRecord(tt=tt, dt=dt, gti_starts=gti_starts - middle,
                      gti_stops=gti_stops - middle, livetime=livetime,
                      pointing=_fixed_pointing(obs, header, tt), header=header, site=site,
                      source=source, **columns)


def _read_file(obs, events_file, path, label):
    """Event columns, EVENTS header and GTI (starts, stops, reference) of a run's file
    ``path``: by :func:`.fits_tables.read_tables`, else by astropy (which reports what is
    wrong)."""
    gti_file = None if "_gti" in obs.__dict__ else obs.__dict__.get(_GTI_HDU_KEY)
    gti_here = _same_file(gti_file, events_file)
    tables = _lean_tables(path, events_file, gti_file if gti_here else None)
    if tables is None:
        with fits.open(path, memmap=False) as hdul:
            columns, header = dl3.events_from_hdu(
                dl3.hdu_of(hdul, events_file.hdu_name, "events"), label)
            gti = _gti_seconds(obs, gti_file, hdul if gti_here else None)
        return columns, header, gti
    columns, header = dl3.events_from_hdu(tables[0], label)
    if not gti_here:
        return columns, header, _gti_seconds(obs, gti_file, None)
    gti = dl3.gti_from_hdu(tables[1])
    dl3.check_gti_rows(gti[0])
    return columns, header, gti


def _lean_tables(path, events_file, gti_file):
    """The EVENTS (and GTI, when ``gti_file`` is given: the same file) tables of the file
    ``path`` read by :mod:`.fits_tables`; None when astropy must read the file."""
    names = [events_file.hdu_name] + ([gti_file.hdu_name] if gti_file is not None else [])
    if not all(isinstance(name, str) for name in names) or len(set(names)) < len(names):
        return None
    columns = [dl3.EVENT_COLUMNS, dl3.GTI_COLUMNS][:len(names)]
    try:
        tables = fits_tables.read_tables(path, dict(zip(names, columns)))
    except (fits_tables.Unsupported, OSError) as reason:
        log.debug("%s: read by astropy (%s).", path, reason)
        return None
    return [tables[name] for name in names]


def _reference_and_event_times(event_times, header, gti_ref, middle):
    """The run's reference time, ``middle`` s after the GTIs' reference ``gti_ref``, as a TT
    two-part Julian date, and the event times in s from it.

    Event times are astropy Times, or s from the EVENTS header's reference. References in TT
    (see ``dl3.reference_time``) are handled in plain float arithmetic, others by astropy."""
    event_ref = None if isinstance(event_times, Time) \
        else dl3.reference_time(header, "EVENTS")
    if isinstance(gti_ref, tuple) and isinstance(event_ref, tuple):
        offset = (event_ref[0] - gti_ref[0] + (event_ref[1] - gti_ref[1])) * 86400.0 - middle
        return _tt_plus_seconds(_tt_jd(gti_ref), middle), event_times + offset
    t_ref = _as_time(gti_ref) + middle * u.s
    return _tt_of(t_ref), _seconds_since(event_times, t_ref, header)


def _tt_jd(mjd):
    """TT two-part Julian date of an (integer, fraction) MJD."""
    return day_frac(_MJD_ZERO + mjd[0], mjd[1])


def _tt_plus_seconds(jd, seconds):
    """A two-part Julian date ``seconds`` s later, as astropy's Time + TimeDelta."""
    days = day_frac(seconds, 0.0, divisor=86400.0)
    return day_frac(jd[0] + days[0], jd[1] + days[1])


def _as_time(reference):
    """An astropy Time of a time reference (a TT (MJDREFI, MJDREFF) pair or a Time)."""
    if isinstance(reference, tuple):
        return Time(*reference, format="mjd", scale="tt")
    return reference


def _as_reference(time):
    """A time reference: a scalar TT astropy Time as a TT (MJD integer, fraction) pair (see
    ``dl3.reference_time``), any other Time as it is."""
    if time.scale == "tt" and time.location is None and time.isscalar:
        return float(time.jd1) - _MJD_ZERO, float(time.jd2)
    return time


def _tt_of(time):
    """TT two-part Julian date of an astropy Time."""
    tt = time.tt
    return float(tt.jd1), float(tt.jd2)


def _read_filtered(obs, location, events_file, source):
    """A run with a gammapy ``obs_filter``: its events and GTI as gammapy filters them (the
    file's columns and units checked first)."""
    if events_file is not None:
        with fits.open(events_file.path(), memmap=False) as hdul:
            hdu = dl3.hdu_of(hdul, events_file.hdu_name, "events")
            dl3.events_from_hdu(hdu, run_label(obs.obs_id, source))
            events = EventListReader.from_gadf_hdu(hdu)
    else:
        events = _in_memory_events(obs)
    table = obs.obs_filter.filter_events(events).table
    columns = dl3.events_from_table(table)
    gti = _gammapy_gti(obs)
    t_ref = obs.tmid
    gti_starts = (gti.time_start - t_ref).to_value(u.s)
    gti_stops = (gti.time_stop - t_ref).to_value(u.s)
    fraction = _live_fraction(obs, table.meta, (gti_starts, gti_stops))
    site = observation_location(obs, location, table.meta)
    tt = _tt_of(t_ref)
    return _RunRecord(
        tt=tt, ra=columns["ra"], dec=columns["dec"], energy=columns["energy"],
        dt=_seconds_since(columns["time"], t_ref, table.meta), gti_starts=gti_starts,
        gti_stops=gti_stops,
        livetime=float(np.sum(gti_stops - gti_starts)) * fraction
        * float(obs.obs_filter.livetime_fraction),
        pointing=_fixed_pointing(obs, table.meta, tt), header=table.meta, site=site,
        source=source)


def _in_memory_events(obs):
    """The run's unfiltered gammapy EventList held in memory."""
    events = obs.__dict__.get("_events")
    if events is None:
        raise dl3.RunProblem("it has no event list", "Give it its events (an EVENTS HDU in "
                             "the HDU index, or Observation(events=EventList(...))).")
    return events


def _seconds_since(time, t_ref, header):
    """Event times (astropy Time, or s from the header's time reference) in s from t_ref."""
    if isinstance(time, Time):
        return np.asarray((time - t_ref).to_value(u.s), dtype=float)
    return time + (dl3.time_reference(header, "EVENTS") - t_ref).to_value(u.s)


def _live_fraction(obs, header, gti):
    """Livetime / GTI time of a run: 1 - gammapy's dead-time fraction when gammapy holds the
    run's metadata, else the EVENTS header's DEADC; refused outside (0, 1]."""
    gti_seconds = float(np.sum(gti[1] - gti[0]))
    if "_meta" in obs.__dict__:
        dead = float(obs.observation_dead_time_fraction)
        fraction, origin = 1.0 - dead, f"dead-time fraction {dead}"
    else:
        fraction = dl3.header_number(header, "DEADC", "the live fraction, LIVETIME / ONTIME")
        origin = f"DEADC = {fraction}"
    dl3.check_live_fraction(fraction, origin, gti_seconds)
    return fraction


def _fixed_pointing(obs, header, tt):
    """The run's ICRS pointing (RA, Dec in rad) at ``tt`` (TT two-part JD): gammapy's when
    it holds one, else RA_PNT/DEC_PNT. Only pointings fixed on the sky are accepted."""
    dl3.check_fixed_pointing_mode(header.get("OBS_MODE"))
    if "_pointing" in obs.__dict__:
        pointing = obs.__dict__["_pointing"]
        if not isinstance(pointing, FixedPointingInfo) or pointing.mode != PointingMode.POINTING:
            raise dl3.RunProblem(
                f"its pointing is {_pointing_kind(pointing)}, not a position fixed on the sky; "
                "baccmod follows no pointing table",
                "Give the run FixedPointingInfo(fixed_icrs=SkyCoord(ra, dec)) if it tracked a "
                "fixed sky position; else leave it out.")
        icrs = obs.get_pointing_icrs(Time(*tt, format="jd", scale="tt"))
        if not np.all(np.isfinite([icrs.ra.deg, icrs.dec.deg])):
            raise dl3.RunProblem(f"its pointing is RA {icrs.ra.deg}, Dec {icrs.dec.deg} deg",
                                 "Give it a finite fixed_icrs pointing.")
        return float(icrs.ra.rad), float(icrs.dec.rad)
    ra = dl3.header_number(header, "RA_PNT", "the pointing's RA, deg")
    dec = dl3.header_number(header, "DEC_PNT", "the pointing's Dec, deg")
    if abs(dec) > 90:
        raise dl3.RunProblem(f"its pointing DEC_PNT = {dec} deg is not a declination",
                             "Correct DEC_PNT in its EVENTS header.")
    # as gammapy's FixedPointingInfo(fixed_icrs=SkyCoord(ra, dec)): RA wrapped to [0, 360)
    return float(np.deg2rad(np.mod(ra, 360.0))), float(np.deg2rad(dec))


def _pointing_kind(pointing):
    if isinstance(pointing, FixedPointingInfo):
        return f"fixed in {pointing.mode.name} mode (fixed AltAz)"
    return f"a {type(pointing).__name__}"


def _same_file(a, b):
    """Whether two gammapy HDU locations are in the same file."""
    if a is None or b is None:
        return False
    where = [(x.base_dir, x.file_dir, x.file_name) for x in (a, b)]
    return where[0] == where[1] or a.path() == b.path()


def _gti_seconds(obs, gti_file, open_hdul):
    """GTI starts and stops (s) and their reference time: from the open events file when the
    GTI is in it, else through gammapy (which keeps it)."""
    if gti_file is None or open_hdul is None:
        gti = _gammapy_gti(obs)
        ref = gti.time_ref
        return ((gti.time_start - ref).to_value(u.s), (gti.time_stop - ref).to_value(u.s),
                _as_reference(ref))
    starts, stops, ref = dl3.gti_from_hdu(dl3.hdu_of(open_hdul, gti_file.hdu_name, "GTI"))
    dl3.check_gti_rows(starts)
    return starts, stops, ref


def _gammapy_gti(obs):
    """gammapy's GTI of a run (it logs and gives None when the GTI HDU is missing)."""
    gti = obs.gti
    if gti is None:
        raise dl3.RunProblem("it has no GTI", "Give the run its good time intervals (a GTI HDU "
                             "in the HDU index).")
    dl3.check_gti_rows(gti.time_start)
    return gti


def _location_from_meta(meta):
    if all(k in meta for k in ("GEOLON", "GEOLAT")):
        return _site(float(meta["GEOLON"]), float(meta["GEOLAT"]),
                     float(meta.get("ALTITUDE", 0.0)))
    return None


@functools.lru_cache(maxsize=64)
def _site(lon_deg, lat_deg, height_m):
    """The EarthLocation of geodetic coordinates (made once for all the runs of a site)."""
    return EarthLocation(lon=lon_deg * u.deg, lat=lat_deg * u.deg, height=height_m * u.m)


def _location_from_obs_index(index_dir, obs_id):
    for name in ("obs-index.fits.gz", "obs-index.fits"):
        path = index_dir / name
        if path.exists():
            table = Table.read(path)
            if {"OBS_ID", "GEOLON", "GEOLAT"} <= set(table.colnames):
                row = table[table["OBS_ID"] == obs_id]
                if len(row):
                    return _location_from_meta({k: row[k][0] for k in row.colnames})
            return _location_from_meta(table.meta)
    return None


def run_arrays(obs, location=None, fov_edges=None, areas=(), rotation_limit=None,
               min_node_duration=0.0, track=False):
    """Read a run into plain arrays.

    Parameters
    ----------
    obs : gammapy.data.Observation
    location : EarthLocation, optional
        Overrides the site found in the run (see :func:`observation_location`).
    fov_edges : float, optional
        Largest |fov_lon|, |fov_lat| of a 3D model (rad). When given, the events' AltAz FoV
        coordinates are computed, and, if exclusion areas reach the run, the FoV rotation at
        time nodes.
    areas : list of ExcludedArea
    rotation_limit : float, optional
        Largest FoV rotation (rad) allowed between neighbouring time nodes.
    min_node_duration : float
        Shortest time (s) a node may represent.
    track : bool
        Also give the event times, GTIs and the pointing's zenith/azimuth track (every
        ``_TRACK_STEP`` s), as needed to bin runs in zenith or split them in time.

    Returns
    -------
    RunArrays
    """
    if not hasattr(type(obs), "events") or not hasattr(type(obs), "gti"):
        raise BaccmodTypeError(f"expected gammapy Observation objects, got {type(obs).__name__}.")
    run = _read_run(obs, location)
    label = run_label(obs.obs_id, run.source)
    run = _usable_events(run, label)
    site = run.site
    livetime = run.livetime  # checked by the core when the run is added
    dt = run.dt
    _check_gti(label, dt, run.gti_starts, run.gti_stops)
    p_lon, p_lat = run.pointing
    lon, lat = np.deg2rad(run.ra), np.deg2rad(run.dec)
    directions = fov.unit_vectors(lon, lat)
    energy = run.energy
    arrays = dict(obs_id=int(obs.obs_id), livetime=livetime, energy=energy, lon=lon, lat=lat,
                  pointing_lon=p_lon, pointing_lat=p_lat, source=run.source,
                  nearest_event_offset=_nearest_offset(p_lon, p_lat, lon, lat, directions),
                  time_start_mjd=_mjd(run.tt, np.min(run.gti_starts)),
                  time_stop_mjd=_mjd(run.tt, np.max(run.gti_stops)))
    if fov_edges is not None or track:
        astrom = tt_astrometry_context(*run.tt, site)
        frame = observed_frame(astrom)
        p_ra_c, p_dec_c = icrs_to_cirs(p_lon, p_lat, astrom)
    if track:
        times = _track_times(run.gti_starts, run.gti_stops)
        alt, az = fov.horizontal_coordinates(float(p_ra_c), float(p_dec_c), times, frame)
        arrays.update(dt=dt, gti_starts=run.gti_starts, gti_stops=run.gti_stops,
                      track_times=times, track_cos_zenith=np.sin(alt), track_azimuth=az)
    if fov_edges is not None:
        arrays["fov_lon"], arrays["fov_lat"] = fov.fov_coordinates(
            fov.cirs_vectors(directions, apparent_place(astrom)), dt,
            fov.unit_vectors(float(p_ra_c), float(p_dec_c)), frame)
        max_offset = float(fov.angular_separation(0.0, 0.0, fov_edges, fov_edges))
        if areas_near(list(areas), p_lon, p_lat, max_offset):
            matrices, weights, times = _rotation_nodes(
                run.gti_starts, run.gti_stops, (p_lon, p_lat), (float(p_ra_c), float(p_dec_c)),
                astrom, frame, rotation_limit, min_node_duration)
            arrays.update(sky_to_altaz_matrices=matrices, node_times=times,
                          node_weights=weights * livetime / np.sum(weights))
    return RunArrays(**arrays)


def _mjd(jd, seconds):
    """MJD (float) ``seconds`` s after a two-part Julian date."""
    later = _tt_plus_seconds(jd, seconds)
    return float((later[0] - _MJD_ZERO) + later[1])


def _usable_events(run, label):
    """The run without its events with a non-finite RA, DEC, ENERGY or TIME or out of range
    (ENERGY <= 0, |DEC| > 90 deg), reported in one warning (``label`` names the run); a run
    left without events is reported too (it adds only its livetime)."""
    finite = np.isfinite(run.ra) & np.isfinite(run.dec) & np.isfinite(run.energy) \
        & np.isfinite(run.dt)
    in_range = (run.energy > 0) & (np.abs(run.dec) <= 90)
    keep = finite & in_range
    n_read, n_kept = keep.size, int(np.count_nonzero(keep))
    if n_kept < n_read:
        n_not_finite = n_read - int(np.count_nonzero(finite))
        log.warning("%s: %d of its %d events are left out: %d with a NaN or infinite RA, DEC, "
                    "ENERGY or TIME, %d out of range (ENERGY <= 0 or |DEC| > 90 deg).", label,
                    n_read - n_kept, n_read, n_not_finite, n_read - n_kept - n_not_finite)
        run = replace(run, ra=run.ra[keep], dec=run.dec[keep], energy=run.energy[keep],
                      dt=run.dt[keep])
    if n_kept == 0:
        log.warning("%s: no usable event (%d in its event list); it adds only its livetime "
                    "(%.1f s) to the model, which lowers the model's rate. Leave the run out "
                    "unless that is intended.", label, n_read, run.livetime)
    return run


def _nearest_offset(p_lon, p_lat, lon, lat, directions):
    """Smallest angular distance (rad) of the events (also given as unit vectors
    ``directions``) from the pointing; inf without events. The distance is computed for the
    events whose direction cosine is the largest within rounding."""
    if not lon.size:
        return np.inf
    cosines = fov.unit_vectors(p_lon, p_lat) @ directions
    near = cosines >= np.max(cosines) - _COSINE_ROUNDING
    return float(np.min(fov.angular_separation(p_lon, p_lat, lon[near], lat[near])))


def _check_gti_finite(label, starts, stops):
    if not (np.all(np.isfinite(starts)) and np.all(np.isfinite(stops))):
        raise BaccmodValueError(f"{label}: a GTI start or stop is NaN or infinite; fix its GTI "
                                "table or leave the run out.")


def _check_gti(label, dt, starts, stops):
    _check_gti_finite(label, starts, stops)
    if np.any(stops <= starts):
        raise BaccmodValueError(f"{label}: a GTI has zero or negative length; fix its GTI "
                                "table or leave the run out.")
    if dt.size == 0:
        return
    if stops.max() < dt.min() or starts.min() > dt.max():
        raise BaccmodValueError(
            f"{label}: its GTIs lie outside the time span of its events; the GTI or the "
            "event times use another time reference. Fix the run's files or leave it out.")
    inside = np.zeros(dt.size, dtype=bool)
    for a, b in zip(starts, stops):
        inside |= (dt >= a) & (dt <= b)
    n_outside = int((~inside).sum())
    if n_outside:
        # a few events on a GTI boundary are common (rounding of TSTOP); many are suspicious
        level = logging.WARNING if n_outside > 0.01 * dt.size else logging.DEBUG
        log.log(level, "%s: %d of %d events lie outside its GTIs.", label, n_outside, dt.size)


def _rotation_nodes(starts, stops, pointing, pointing_cirs, astrom, frame, rotation_limit,
                    min_node_duration):
    """Time nodes over the GTIs such that the FoV turns by < rotation_limit between them.

    Returns the sky-to-AltAz FoV maps at the nodes, shape (n, 2, 2), the time each node
    represents, shape (n,), in s, and the node times, shape (n,), in s.
    """
    ref_lon, ref_lat = fov.fov_radec_to_sky(np.array([0.0, _REFERENCE_OFFSET]),
                                            np.array([_REFERENCE_OFFSET, 0.0]), *pointing)
    ref_ra_c, ref_dec_c = icrs_to_cirs(ref_lon, ref_lat, astrom)

    def matrices_at(times):
        return fov.fov_frame_matrices(np.asarray(times, dtype=float), *pointing_cirs, ref_ra_c,
                                      ref_dec_c, _REFERENCE_OFFSET, frame)

    node_times, node_weights = [], []
    for start, stop in zip(starts, stops):
        n_step = max(1, int(np.ceil((stop - start) / _TRACK_STEP)))
        edges = np.linspace(start, stop, n_step + 1)
        angle = fov.rotation_angle(matrices_at(edges))
        mid_angle = 0.5 * (angle[1:] + angle[:-1]) - angle[0]
        segment = np.floor(np.abs(mid_angle) / rotation_limit).astype(int)
        durations = np.diff(edges)
        mids = 0.5 * (edges[1:] + edges[:-1])
        for k in np.unique(segment):
            sel = segment == k
            node_weights.append(durations[sel].sum())
            node_times.append(np.average(mids[sel], weights=durations[sel]))
    node_times, node_weights = _merge_short_nodes(np.array(node_times), np.array(node_weights),
                                                  min_node_duration)
    return matrices_at(node_times), node_weights, node_times


def _track_times(starts, stops):
    """Times (s) every ``_TRACK_STEP`` over the span of the GTIs, ends included."""
    first, last = float(np.min(starts)), float(np.max(stops))
    return np.linspace(first, last, max(1, int(np.ceil((last - first) / _TRACK_STEP))) + 1)


def _merge_short_nodes(times, weights, min_duration):
    """Merge nodes shorter than min_duration into their predecessor."""
    if min_duration <= 0 or times.size <= 1:
        return times, weights
    out_t, out_w = [times[0]], [weights[0]]
    for t, w in zip(times[1:], weights[1:]):
        if w < min_duration:
            out_t[-1] = (out_t[-1] * out_w[-1] + t * w) / (out_w[-1] + w)
            out_w[-1] += w
        else:
            out_t.append(t)
            out_w.append(w)
    return np.array(out_t), np.array(out_w)
