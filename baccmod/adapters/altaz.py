"""Astropy's observed-place parameters of a run, for the per-event kernels of ``core.fov``.

Astropy transforms ICRS -> AltAz as ICRS -> topocentric CIRS (``erfa.atciqz`` with an
astrometry context from ``erfa_astrom.apco``) -> observed (``erfa.atioq``). Here the context is
computed once per run (at a reference time), the CIRS places of the events with it, and the
Earth rotation is advanced per event in the kernel.

The context is what astropy's ``ErfaAstrom.apco`` computes for its default ``AltAz`` frame (no
refraction) with astropy's defaults (built-in ephemeris, ``IERS_Auto`` Earth orientation), made
from the same ERFA calls with the time scales converted by ERFA and UT1-UTC and polar motion
read through :mod:`.earth_orientation` (so no IERS table is parsed and no leap-second table is
re-read in a new process). With other astropy settings, or where the Earth orientation cache
cannot answer, astropy computes it.
"""
import erfa
import numpy as np
from astropy import units as u
from astropy.time.utils import day_frac

from ..core.fov import APPARENT_PLACE_FIELDS, OBSERVED_FRAME_FIELDS
from .earth_orientation import earth_orientation

_ARCSEC = u.arcsec.to(u.rad)
#: Refraction constants of astropy's default AltAz frame (pressure 0: no refraction).
_REFRACTION = erfa.refco(0.0, 0.0, 0.0, 1.0)
#: Geodetic (lon rad, lat rad, height m) of the sites met, keyed by their geocentric values.
_geodetic_sites = {}


def astrometry_context(time, location):
    """Astropy's ERFA astrometry context (ICRS -> AltAz) at a time and site.

    Parameters
    ----------
    time : astropy.time.Time
        A scalar time.
    location : astropy.coordinates.EarthLocation
    """
    if np.ndim(time) == 0 and time.location is None and time.scale in ("tt", "utc"):
        if time.scale == "tt":
            return tt_astrometry_context(time.jd1, time.jd2, location)
        tt = day_frac(*erfa.taitt(*erfa.utctai(time.jd1, time.jd2)))
        return tt_astrometry_context(*tt, location)
    return _astropy_context(time, location)


def tt_astrometry_context(tt_jd1, tt_jd2, location):
    """:func:`astrometry_context` at a TT two-part Julian date."""
    tt = day_frac(tt_jd1, tt_jd2)
    context = _erfa_context(tt, location) if _astropy_defaults() else None
    if context is None:
        from astropy.time import Time
        context = _astropy_context(Time(*tt, format="jd", scale="tt"), location)
    return context


def _astropy_context(time, location):
    from astropy.coordinates import AltAz
    from astropy.coordinates.erfa_astrom import erfa_astrom
    return erfa_astrom.get().apco(AltAz(obstime=time, location=location))


def _astropy_defaults():
    """Whether astropy uses its default astrometry provider and the built-in ephemeris."""
    from astropy.coordinates import solar_system_ephemeris
    from astropy.coordinates.erfa_astrom import ErfaAstrom, erfa_astrom
    return type(erfa_astrom.get()) is ErfaAstrom and solar_system_ephemeris.get() == "builtin"


def _erfa_context(tt, location):
    """``ErfaAstrom.apco`` for a TT time (normalised two-part JD) as astropy converts its time
    scales; None when the Earth orientation must come from astropy's table."""
    utc = erfa.taiutc(*erfa.tttai(*tt))  # astropy: TT -> TAI -> UTC (-> UT1)
    orientation = earth_orientation(*utc)
    polar = earth_orientation(*day_frac(*utc))  # astropy: at time.utc, normalised
    if orientation is None or polar is None:
        return None
    ut1 = day_frac(*erfa.utcut1(*utc, orientation[0]))
    # TDB - TT at the geocentre, with astropy's approximate UT of the day
    tdb = day_frac(*erfa.tttdb(*tt, erfa.dtdb(*tt, day_frac(utc[0] - 0.5, utc[1])[1],
                                               0.0, 0.0, 0.0)))
    earth_pv_heliocentric, earth_pv = erfa.epv00(*tdb)
    x, y = erfa.bpn2xy(erfa.pnm06a(*tt))
    lon, lat, height = _geodetic(location)
    return erfa.apco(*tt, earth_pv, earth_pv_heliocentric["p"], x, y, erfa.s06(*tt, x, y),
                     erfa.era00(*ut1), lon, lat, height, polar[1] * _ARCSEC,
                     polar[2] * _ARCSEC, erfa.sp00(*tt), *_REFRACTION)


def _geodetic(location):
    """WGS84 longitude, latitude (rad) and height (m) of a site, as astropy's apco takes them."""
    key = (location.view(np.ndarray).tobytes(), str(location.unit))
    if key not in _geodetic_sites:
        lon, lat, height = location.to_geodetic("WGS84")
        _geodetic_sites[key] = (lon.to_value(u.rad), lat.to_value(u.rad), height.to_value(u.m))
    return _geodetic_sites[key]


def apparent_place(astrom):
    """The ``apparent_place`` parameter array of ``core.fov`` from an astrometry context."""
    return np.concatenate([np.ravel(astrom[name]) for name in APPARENT_PLACE_FIELDS])


def observed_frame(astrom):
    """The ``observed_frame`` parameter array of ``core.fov`` from an astrometry context."""
    return np.array([float(astrom[name]) for name in OBSERVED_FRAME_FIELDS])


def icrs_to_cirs(ra, dec, astrom):
    """Topocentric CIRS places (rad) of ICRS directions (rad), as astropy computes them."""
    ra_cirs, dec_cirs = erfa.atciqz(np.asarray(ra, dtype=float), np.asarray(dec, dtype=float),
                                    astrom)
    return np.asarray(ra_cirs, dtype=float), np.asarray(dec_cirs, dtype=float)
