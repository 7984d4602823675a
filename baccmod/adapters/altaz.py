"""Astropy's observed-place parameters of a run, for the per-event kernels of ``core.fov``.

Astropy transforms ICRS -> AltAz as ICRS -> topocentric CIRS (``erfa.atciqz`` with an
astrometry context from ``erfa_astrom.apco``) -> observed (``erfa.atioq``). Here the context is
computed once per run (at a reference time) with astropy's own machinery, so IERS data,
polar motion and refraction settings are exactly astropy's; the CIRS places of the events are
computed with that context and the Earth rotation is advanced per event in the kernel.
"""
import erfa
import numpy as np
from astropy.coordinates import AltAz
from astropy.coordinates.erfa_astrom import erfa_astrom

from ..core.fov import APPARENT_PLACE_FIELDS, OBSERVED_FRAME_FIELDS


def astrometry_context(time, location):
    """Astropy's ERFA astrometry context (ICRS -> AltAz) at a time and site."""
    return erfa_astrom.get().apco(AltAz(obstime=time, location=location))


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
