"""Simulated OFF runs with a known background, written as DL3 files gammapy reads.

:func:`simulate_runs` draws background events from a ``Background2D`` or an AltAz-aligned
``Background3D`` for given pointings, start times, durations and site, optionally adds a
point-like gamma-ray source, and writes one events+GTI file per run plus the observation and
HDU index files that ``gammapy.data.DataStore.from_dir`` needs.

The FoV-to-sky transformation is done event by event with astropy and gammapy's
``FoVAltAzFrame`` at each event's own time, independently of baccmod's own kernels, so the
simulation can test them.
"""
import logging
import os
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import AltAz, SkyCoord
from astropy.coordinates.erfa_astrom import ErfaAstromInterpolator, erfa_astrom
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time

from .errors import BaccmodTypeError, BaccmodValueError

log = logging.getLogger(__name__)

#: Time reference of the written files (that of H.E.S.S. DL3 data), TT.
MJDREFI, MJDREFF = 51910, 7.428703703703703e-4
RATE_UNIT = u.Unit("s-1 MeV-1 sr-1")


def simulate_runs(output_dir, background, pointings, start_times, durations, location,
                  seed=None, obs_id_start=1, deadtime_fraction=0.0, source=None,
                  zenith_dependence=None, overwrite=False):
    """Write simulated DL3 runs with a known background.

    Each bin of ``background`` has a constant rate over the bin: its expected number of
    events is rate x livetime x dE x dOmega (dE in MeV; dOmega the exact solid angle:
    2 pi (cos r1 - cos r2) for offset rings, dlon (sin lat2 - sin lat1) for FoV bins). Events
    are Poisson-drawn per bin, placed uniformly in solid angle and in energy inside the bin
    (the rate is constant over it) and uniformly in time inside the run's single GTI.

    Parameters
    ----------
    output_dir : str or Path
        Folder for the files (created if missing).
    background : gammapy.irf.Background2D or Background3D
        Rate in the FoV; a Background3D must be AltAz-aligned.
    pointings : SkyCoord, shape (n_run,)
        Tracked pointing of each run.
    start_times : astropy.time.Time, shape (n_run,)
    durations : Quantity, scalar or shape (n_run,)
        Run durations (ontime).
    location : EarthLocation
        Observatory site.
    seed : int or numpy.random.Generator, optional
    obs_id_start : int
        Observation id of the first run; the next runs count up.
    deadtime_fraction : float
        Livetime = duration x (1 - deadtime_fraction).
    source : dict, optional
        A point-like gamma-ray source: ``position`` (SkyCoord), ``rate`` (Quantity, s-1, all
        energies), ``sigma`` (Angle, Gaussian PSF, default 0.1 deg), ``index`` (photon index,
        default 2.5), ``energy_range`` (Quantity [min, max], default the background's).
    zenith_dependence : callable, optional
        ``f(cos_zenith) -> factor`` in [0, 1]: the background rate at time t is ``background``
        times ``f`` of the pointing's cos(zenith) at t (events are drawn at the full rate and
        kept with probability ``f``), so the rate follows the zenith within a run.
    overwrite : bool
        Replace existing files; otherwise refuse before writing anything.

    Returns
    -------
    obs_ids : list of int
    """
    from gammapy.irf import Background2D, Background3D, FoVAlignment
    if isinstance(background, Background3D):
        if background.fov_alignment != FoVAlignment.ALTAZ:
            raise BaccmodValueError("the Background3D must be AltAz-aligned.")
    elif not isinstance(background, Background2D):
        raise BaccmodTypeError("background must be a gammapy Background2D or Background3D.")
    pointings = SkyCoord(pointings).icrs.reshape(-1)
    n_run = len(pointings)
    start_times = Time(start_times).reshape(-1)
    durations = np.broadcast_to(u.Quantity(durations, u.s).value, (n_run,))
    if len(start_times) != n_run:
        raise BaccmodValueError("give one start time per pointing.")
    if not 0 <= deadtime_fraction < 1:
        raise BaccmodValueError("deadtime_fraction must be in [0, 1).")
    rng = np.random.default_rng(seed)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    obs_ids = [obs_id_start + i for i in range(n_run)]
    names = [run_file_name(obs_id) for obs_id in obs_ids]
    targets = names + ["obs-index.fits.gz", "hdu-index.fits.gz"]
    existing = [name for name in targets if (output_dir / name).exists()]
    if existing and not overwrite:
        raise BaccmodValueError(f"{output_dir} already holds {existing[0]}; pass "
                                "overwrite=True to replace the simulated runs.")
    rows = []
    for i, obs_id in enumerate(obs_ids):
        livetime = durations[i] * (1 - deadtime_fraction)
        events = _background_events(background, pointings[i], start_times[i], durations[i],
                                    livetime, location, rng)
        if zenith_dependence is not None:
            events = _thin_by_zenith(events, zenith_dependence, pointings[i], start_times[i],
                                     durations[i], location, rng)
        if source is not None:
            events = _stack(events, _source_events(source, background, durations[i], livetime,
                                                   rng))
        row = _write_run(output_dir / names[i], obs_id, events, pointings[i], start_times[i],
                         durations[i], deadtime_fraction, location)
        rows.append(row)
        log.debug("simulated run %d: %d events", obs_id, len(events["time"]))
    _write_indexes(output_dir, rows, names)
    return obs_ids


def run_file_name(obs_id):
    return f"run_{obs_id:06d}.fits.gz"


def _draw_counts(background, livetime, rng):
    """Poisson counts per bin and the bin edges (energy in MeV, angles in rad)."""
    rate = background.quantity.to_value(RATE_UNIT)
    e_edges = background.axes["energy"].edges.to_value(u.MeV)
    de = np.diff(e_edges)
    if "offset" in background.axes.names:
        r_edges = background.axes["offset"].edges.to_value(u.rad)
        solid_angle = 2 * np.pi * -np.diff(np.cos(r_edges))
        spatial = (r_edges,)
    else:
        lon_edges = background.axes["fov_lon"].edges.to_value(u.rad)
        lat_edges = background.axes["fov_lat"].edges.to_value(u.rad)
        solid_angle = np.outer(np.diff(lon_edges), np.diff(np.sin(lat_edges)))
        spatial = (lon_edges, lat_edges)
    expected = rate * livetime * de.reshape((-1,) + (1,) * solid_angle.ndim) * solid_angle
    if np.any(expected < 0) or not np.all(np.isfinite(expected)):
        raise BaccmodValueError("the background rate must be finite and non-negative.")
    return rng.poisson(expected), e_edges, spatial


def _background_events(background, pointing, start, duration, livetime, location, rng):
    counts, e_edges, spatial = _draw_counts(background, livetime, rng)
    bins = np.argwhere(counts > 0)
    n = counts[counts > 0]
    idx = np.repeat(np.arange(len(n)), n)
    energy_bin = bins[idx, 0]
    # a constant rate per MeV over the bin: uniform in energy
    energy = e_edges[energy_bin] + np.diff(e_edges)[energy_bin] * rng.uniform(size=idx.size)
    time = rng.uniform(0, duration, idx.size)
    if len(spatial) == 1:
        r_edges = spatial[0]
        ring = bins[idx, 1]
        cos_r = np.cos(r_edges[ring]) + (np.cos(r_edges[ring + 1]) - np.cos(r_edges[ring])) \
            * rng.uniform(size=idx.size)
        offset = np.arccos(cos_r)
        sky = pointing.directional_offset_by(rng.uniform(0, 2 * np.pi, idx.size) * u.rad,
                                             offset * u.rad)
    else:
        lon_edges, lat_edges = spatial
        ix, iy = bins[idx, 1], bins[idx, 2]
        fov_lon = lon_edges[ix] + np.diff(lon_edges)[ix] * rng.uniform(size=idx.size)
        s1, s2 = np.sin(lat_edges[iy]), np.sin(lat_edges[iy + 1])
        fov_lat = np.arcsin(s1 + (s2 - s1) * rng.uniform(size=idx.size))
        sky = _fov_altaz_to_icrs(fov_lon, fov_lat, pointing, start + time * u.s, location)
    return {"time": time, "ra": sky.ra.deg, "dec": sky.dec.deg, "energy": energy / 1e6}


def _thin_by_zenith(events, zenith_dependence, pointing, start, duration, location, rng):
    """Keep each event with probability f(cos zenith of the pointing at its time)."""
    nodes = np.linspace(0.0, duration, max(2, int(np.ceil(duration / 10.0)) + 1))
    alt = pointing.transform_to(AltAz(obstime=start + nodes * u.s, location=location)).alt
    cos_zenith = np.interp(events["time"], nodes, np.sin(alt.rad))
    factor = np.asarray(zenith_dependence(cos_zenith), dtype=float)
    if np.any(factor < 0) or np.any(factor > 1):
        raise BaccmodValueError("zenith_dependence must return factors in [0, 1].")
    keep = rng.uniform(size=factor.size) < factor
    return {key: value[keep] for key, value in events.items()}


def _fov_altaz_to_icrs(fov_lon, fov_lat, pointing, times, location):
    """Event by event: AltAz-aligned FoV coordinates (rad) at their times -> ICRS."""
    from gammapy.utils.coordinates import FoVAltAzFrame
    if len(times) == 0:
        return SkyCoord([], [], unit="deg")
    # astropy's interpolator of the astrometry context: milliarcsecond-accurate, much faster
    with erfa_astrom.set(ErfaAstromInterpolator(60 * u.s)):
        origin = pointing.transform_to(AltAz(obstime=times, location=location))
        frame = FoVAltAzFrame(origin=origin, location=location, obstime=times)
        fov = SkyCoord(fov_lon * u.rad, fov_lat * u.rad, frame=frame)
        return fov.transform_to(AltAz(obstime=times, location=location)).icrs


def _source_events(source, background, duration, livetime, rng):
    position = SkyCoord(source["position"]).icrs
    n = rng.poisson(u.Quantity(source["rate"], u.s ** -1).value * livetime)
    sigma = u.Quantity(source.get("sigma", 0.1 * u.deg), u.rad).value
    index = float(source.get("index", 2.5))
    e_range = u.Quantity(source.get("energy_range", background.axes["energy"].edges[[0, -1]]),
                         u.TeV).value
    radius = sigma * np.sqrt(-2 * np.log(1 - rng.uniform(size=n)))
    sky = position.directional_offset_by(rng.uniform(0, 2 * np.pi, n) * u.rad, radius * u.rad)
    g = 1 - index
    lo, hi = e_range[0] ** g, e_range[1] ** g
    energy = (lo + (hi - lo) * rng.uniform(size=n)) ** (1 / g)
    return {"time": rng.uniform(0, duration, n), "ra": sky.ra.deg, "dec": sky.dec.deg,
            "energy": energy}


def _stack(a, b):
    return {key: np.concatenate([a[key], b[key]]) for key in a}


def _time_header(start, duration):
    tstart = (start.tt - Time(MJDREFI, MJDREFF, format="mjd", scale="tt")).to_value(u.s)
    return {"MJDREFI": MJDREFI, "MJDREFF": MJDREFF, "TIMEUNIT": "s", "TIMESYS": "TT",
            "TIMEREF": "LOCAL", "TSTART": tstart, "TSTOP": tstart + duration}


def _write_run(path, obs_id, events, pointing, start, duration, deadtime_fraction, location):
    order = np.argsort(events["time"])
    header = _time_header(start, duration)
    mid = start + duration / 2 * u.s
    altaz = pointing.transform_to(AltAz(obstime=mid, location=location))
    ontime = duration
    header.update({
        "OBS_ID": obs_id, "RA_PNT": pointing.ra.deg, "DEC_PNT": pointing.dec.deg,
        "ALT_PNT": altaz.alt.deg, "AZ_PNT": altaz.az.deg, "OBS_MODE": "POINTING",
        "GEOLON": location.lon.deg, "GEOLAT": location.lat.deg,
        "ALTITUDE": location.height.to_value(u.m), "ONTIME": ontime,
        "LIVETIME": ontime * (1 - deadtime_fraction), "DEADC": 1 - deadtime_fraction,
        "DATE-OBS": start.utc.isot[:10], "TIME-OBS": start.utc.isot[11:],
        "TELESCOP": "SIMULATED", "INSTRUME": "baccmod.simulate", "EQUINOX": 2000.0,
        "RADECSYS": "ICRS", "HDUCLASS": "GADF", "HDUDOC": "gamma-astro-data-formats",
        "HDUVERS": "0.2", "HDUCLAS1": "EVENTS",
    })
    table = Table({
        "EVENT_ID": np.arange(1, len(order) + 1, dtype=np.int64),
        "TIME": (events["time"][order] + header["TSTART"]) * u.s,
        "RA": events["ra"][order] * u.deg, "DEC": events["dec"][order] * u.deg,
        "ENERGY": events["energy"][order] * u.TeV,
    })
    events_hdu = fits.BinTableHDU(table, name="EVENTS")
    events_hdu.header.update(header)
    gti = Table({"START": [header["TSTART"]] * u.s, "STOP": [header["TSTOP"]] * u.s})
    gti_hdu = fits.BinTableHDU(gti, name="GTI")
    gti_hdu.header.update(_time_header(start, duration))
    gti_hdu.header.update({"HDUCLASS": "GADF", "HDUCLAS1": "GTI"})
    _atomic_write(fits.HDUList([fits.PrimaryHDU(), events_hdu, gti_hdu]), path)
    return {"OBS_ID": obs_id, "RA_PNT": pointing.ra.deg, "DEC_PNT": pointing.dec.deg,
            "ALT_PNT": altaz.alt.deg, "AZ_PNT": altaz.az.deg, "ZEN_PNT": 90 - altaz.alt.deg,
            "TSTART": header["TSTART"], "TSTOP": header["TSTOP"], "ONTIME": ontime,
            "LIVETIME": header["LIVETIME"], "DEADC": header["DEADC"],
            "GEOLON": header["GEOLON"], "GEOLAT": header["GEOLAT"],
            "ALTITUDE": header["ALTITUDE"], "EVENT_COUNT": len(order),
            "OBJECT": "simulated OFF run", "TARGET_NAME": "simulated OFF run"}


def _write_indexes(output_dir, rows, names):
    obs = Table(rows=rows)
    obs.meta.update({"MJDREFI": MJDREFI, "MJDREFF": MJDREFF, "TIMEUNIT": "s", "TIMESYS": "TT",
                     "TIMEREF": "LOCAL", "HDUCLASS": "GADF", "HDUDOC": "gamma-astro-data-formats",
                     "HDUVERS": "0.2", "HDUCLAS1": "INDEX", "HDUCLAS2": "OBS"})
    hdu_rows = []
    for row, name in zip(rows, names):
        for hdu_type, hdu_name in (("events", "EVENTS"), ("gti", "GTI")):
            hdu_rows.append({"OBS_ID": row["OBS_ID"], "HDU_TYPE": hdu_type,
                             "HDU_CLASS": hdu_type, "FILE_DIR": ".", "FILE_NAME": name,
                             "HDU_NAME": hdu_name})
    hdu = Table(rows=hdu_rows)
    hdu.meta.update({"HDUCLASS": "GADF", "HDUDOC": "gamma-astro-data-formats",
                     "HDUVERS": "0.2", "HDUCLAS1": "INDEX", "HDUCLAS2": "HDU"})
    _atomic_write(fits.HDUList([fits.PrimaryHDU(), fits.table_to_hdu(obs)]),
                  output_dir / "obs-index.fits.gz")
    _atomic_write(fits.HDUList([fits.PrimaryHDU(), fits.table_to_hdu(hdu)]),
                  output_dir / "hdu-index.fits.gz")


def _atomic_write(hdulist, path):
    """Write to a temporary name, then rename: no half-written file is ever left."""
    tmp = path.with_name(f".{path.name}.tmp.gz")
    try:
        hdulist.writeto(tmp, overwrite=True)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
