"""gammapy ``Observation`` -> :class:`baccmod.core.model.RunArrays` (each run read once)."""
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import EarthLocation, SkyCoord
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time
from gammapy.data import FixedPointingInfo
from gammapy.utils.time import time_ref_from_dict

from ..core import fov
from ..core.exclusion import areas_near
from ..core.model import RunArrays
from ..errors import BaccmodTypeError, BaccmodValueError, MissingLocationError
from .altaz import astrometry_context, icrs_to_cirs, observed_frame

log = logging.getLogger(__name__)

#: Sky-aligned FoV offset of the two directions used to measure the FoV frame rotation (rad).
_REFERENCE_OFFSET = np.deg2rad(0.1)
#: Where gammapy's lazy descriptor keeps the events' file location (name "_events").
_EVENTS_HDU_KEY = "__events_hdu"
_GTI_HDU_KEY = "__gti_hdu"
#: Spacing of the pointing track on which the FoV rotation is followed (s).
_TRACK_STEP = 10.0


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
            f"run {obs.obs_id}: no observatory location in the observation, its event header "
            "(GEOLON/GEOLAT/ALTITUDE) or the observation index. Give it with location=, e.g. "
            "location=EarthLocation(lon=16.5002*u.deg, lat=-23.2717*u.deg, height=1835*u.m).")
    return found


def _data_store_dir(obs):
    hdu = obs.__dict__.get(_EVENTS_HDU_KEY)
    base = getattr(hdu, "base_dir", None)
    return Path(base) if base is not None and "_events" not in obs.__dict__ else None


@dataclass
class _RunRecord:
    """What a model needs from one run; times in s relative to ``t_ref``."""
    t_ref: Time
    ra: np.ndarray        # deg
    dec: np.ndarray       # deg
    energy: np.ndarray    # TeV
    dt: np.ndarray        # s
    gti_starts: np.ndarray
    gti_stops: np.ndarray
    livetime: float       # s
    pointing: SkyCoord    # ICRS, at t_ref
    header: object        # fits.Header or dict
    site: EarthLocation


def _read_run(obs, location):
    """Read what a model needs from a run, opening its file at most once.

    gammapy reads a data-store run lazily and, for events, at every access; its GTI, metadata
    and pointing each open the file again. Here each comes from memory when gammapy already
    holds it, else from one open of the run's file (the event header carries pointing, dead
    time and site). Runs with a gammapy ``obs_filter`` are read through gammapy, which
    applies the filter. Definitions follow gammapy: livetime = GTI sum x DEADC.
    """
    if obs.obs_filter.time_filter is not None or obs.obs_filter.event_filters:
        return _read_through_gammapy(obs, location)
    in_memory = {key for key in ("_events", "_gti", "_meta", "_pointing") if key in obs.__dict__}
    events_file = None if "_events" in in_memory else obs.__dict__.get(_EVENTS_HDU_KEY)
    gti_file = None if "_gti" in in_memory else obs.__dict__.get(_GTI_HDU_KEY)
    if "_events" not in in_memory and events_file is None:
        return _read_through_gammapy(obs, location)
    if events_file is not None:
        with fits.open(events_file.path(), memmap=False) as hdul:
            columns, header = _columns_from_hdu(hdul[events_file.hdu_name])
            gti = _gti_seconds(obs, gti_file, hdul if _same_file(gti_file, events_file) else None)
    else:
        columns, header = _columns_from_event_list(obs.events)
        gti = _gti_seconds(obs, None, None)  # gammapy reads and keeps it
    gti_starts, gti_stops, gti_ref = gti
    t_ref = gti_ref + 0.5 * (gti_starts[0] + gti_stops[-1]) * u.s
    gti_shift = (gti_ref - t_ref).to_value(u.s)
    if "_meta" in in_memory or "DEADC" not in header:
        livetime = float(obs.observation_live_time_duration.to_value(u.s))
    else:
        livetime = float(np.sum(gti_stops - gti_starts) * header["DEADC"])
    site = observation_location(obs, location, header)
    if "_pointing" in in_memory or "RA_PNT" not in header:
        pointing = obs.get_pointing_icrs(t_ref)
    else:
        pointing = FixedPointingInfo.from_fits_header(header).get_icrs(t_ref, site)
    time = columns.pop("time")
    dt = (time - t_ref).to_value(u.s) if isinstance(time, Time) else \
        time + (time_ref_from_dict(header) - t_ref).to_value(u.s)
    return _RunRecord(t_ref=t_ref, dt=np.asarray(dt, dtype=float),
                      gti_starts=gti_starts + gti_shift, gti_stops=gti_stops + gti_shift,
                      livetime=livetime, pointing=pointing, header=header, site=site, **columns)


def _read_through_gammapy(obs, location):
    events = obs.events
    columns, header = _columns_from_event_list(events)
    t_ref = obs.tmid
    return _RunRecord(
        t_ref=t_ref, ra=columns["ra"], dec=columns["dec"], energy=columns["energy"],
        dt=np.asarray((columns["time"] - t_ref).to_value(u.s), dtype=float),
        gti_starts=(obs.gti.time_start - t_ref).to_value(u.s),
        gti_stops=(obs.gti.time_stop - t_ref).to_value(u.s),
        livetime=float(obs.observation_live_time_duration.to_value(u.s)),
        pointing=obs.get_pointing_icrs(t_ref), header=header,
        site=observation_location(obs, location, header))


def _columns_from_hdu(hdu):
    """Event columns of an EVENTS HDU: ra, dec (deg), energy (TeV), time (s, header ref)."""
    data, header = hdu.data, hdu.header  # header cards are parsed only when read
    energy_unit = u.Unit(header.get(f"TUNIT{data.names.index('ENERGY') + 1}", "TeV"))
    return {"ra": np.array(data["RA"], dtype=float), "dec": np.array(data["DEC"], dtype=float),
            "energy": (np.array(data["ENERGY"], dtype=float) * energy_unit).to_value(u.TeV),
            "time": np.array(data["TIME"], dtype=float)}, header


def _columns_from_event_list(events):
    """Event columns of a gammapy EventList (time as astropy Time)."""
    table = events.table
    return {"ra": np.asarray(table["RA"], dtype=float), "dec": np.asarray(table["DEC"], dtype=float),
            "energy": events.energy.to_value(u.TeV).astype(float),
            "time": events.time}, table.meta


def _same_file(a, b):
    return a is not None and b is not None and a.path() == b.path()


def _gti_seconds(obs, gti_file, open_hdul):
    """GTI starts and stops (s) and their reference time: from the open events file when the
    GTI is in it, else through gammapy (which keeps it)."""
    if gti_file is None or open_hdul is None:
        gti = obs.gti
        ref = gti.time_ref
        return ((gti.time_start - ref).to_value(u.s), (gti.time_stop - ref).to_value(u.s), ref)
    return _gti_from_hdu(open_hdul[gti_file.hdu_name])


def _gti_from_hdu(hdu):
    unit = u.Unit(hdu.header.get("TIMEUNIT", "s"))
    starts = (np.array(hdu.data["START"], dtype=float) * unit).to_value(u.s)
    stops = (np.array(hdu.data["STOP"], dtype=float) * unit).to_value(u.s)
    order = np.argsort(starts)
    return starts[order], stops[order], time_ref_from_dict(hdu.header)


def _location_from_meta(meta):
    if all(k in meta for k in ("GEOLON", "GEOLAT")):
        return EarthLocation(lon=float(meta["GEOLON"]) * u.deg, lat=float(meta["GEOLAT"]) * u.deg,
                             height=float(meta.get("ALTITUDE", 0.0)) * u.m)
    return None


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
    site = run.site
    livetime = run.livetime  # checked by the core when the run is added
    dt = run.dt
    _check_gti(obs.obs_id, dt, run.gti_starts, run.gti_stops)
    p_lon, p_lat = float(run.pointing.ra.rad), float(run.pointing.dec.rad)
    lon, lat = np.deg2rad(run.ra), np.deg2rad(run.dec)
    energy = run.energy
    arrays = dict(obs_id=int(obs.obs_id), livetime=livetime, energy=energy, lon=lon, lat=lat,
                  pointing_lon=p_lon, pointing_lat=p_lat)
    if fov_edges is not None or track:
        astrom = astrometry_context(run.t_ref, site)
        frame = observed_frame(astrom)
        p_ra_c, p_dec_c = icrs_to_cirs(p_lon, p_lat, astrom)
    if track:
        times = _track_times(run.gti_starts, run.gti_stops)
        alt, az = fov.horizontal_coordinates(float(p_ra_c), float(p_dec_c), times, frame)
        arrays.update(dt=dt, gti_starts=run.gti_starts, gti_stops=run.gti_stops,
                      track_times=times, track_cos_zenith=np.sin(alt), track_azimuth=az)
    if fov_edges is not None:
        ra_c, dec_c = icrs_to_cirs(lon, lat, astrom)
        arrays["fov_lon"], arrays["fov_lat"] = fov.altaz_fov_coordinates(
            ra_c, dec_c, dt, float(p_ra_c), float(p_dec_c), frame)
        max_offset = float(fov.angular_separation(0.0, 0.0, fov_edges, fov_edges))
        if areas_near(list(areas), p_lon, p_lat, max_offset):
            matrices, weights, times = _rotation_nodes(
                run.gti_starts, run.gti_stops, (p_lon, p_lat), (float(p_ra_c), float(p_dec_c)),
                astrom, frame, rotation_limit, min_node_duration)
            arrays.update(sky_to_altaz_matrices=matrices, node_times=times,
                          node_weights=weights * livetime / np.sum(weights))
    return RunArrays(**arrays)


def _check_gti(obs_id, dt, starts, stops):
    if np.any(stops <= starts):
        raise BaccmodValueError(f"run {obs_id}: a GTI has zero or negative length; fix its GTI "
                                "table or leave the run out.")
    if dt.size == 0:
        return
    if stops.max() < dt.min() or starts.min() > dt.max():
        raise BaccmodValueError(
            f"run {obs_id}: its GTIs lie outside the time span of its events; the GTI or the "
            "event times use another time reference. Fix the run's files or leave it out.")
    inside = np.zeros(dt.size, dtype=bool)
    for a, b in zip(starts, stops):
        inside |= (dt >= a) & (dt <= b)
    n_outside = int((~inside).sum())
    if n_outside:
        # a few events on a GTI boundary are common (rounding of TSTOP); many are suspicious
        level = logging.WARNING if n_outside > 0.01 * dt.size else logging.DEBUG
        log.log(level, "run %s: %d of %d events lie outside its GTIs.", obs_id, n_outside,
                dt.size)


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
