"""Field-of-view coordinates of events, in the AltAz-aligned FoV frame.

The FoV frame is gammapy's ``FoVAltAzFrame``: an offset frame centred on the pointing's
horizontal (AltAz) position at the event's time, with the longitude reversed::

    fov_lon ~ -(az - az_pnt) * cos(alt_pnt),    fov_lat ~ alt - alt_pnt

How the per-event work stays exact and cheap: a run's apparent (CIRS) places are computed
once, with the astrometry context of the run's reference time (they change by far less than
an arcsecond during a run): :func:`cirs_vectors` applies IAU SOFA's ``iauAtciqz`` (light
deflection by the Sun, aberration, bias-precession-nutation). What changes quickly is the
Earth rotation angle, which is linear in time: :func:`observed_vectors` applies the CIRS ->
observed transformation of SOFA's ``iauAtioq`` (polar motion, diurnal aberration, refraction)
with the Earth rotation angle advanced per event. Their parameters, the ``apparent_place`` and
``observed_frame`` arrays, are what astropy's ``erfa_astrom.apco`` computes for the run's
reference time; see :data:`APPARENT_PLACE_FIELDS` and :data:`OBSERVED_FRAME_FIELDS`.

The work is vectorised numpy on unit vectors (no angles in between), in blocks of
:data:`BLOCK_SIZE` events.

Cartesian AltAz vectors follow astropy: x towards North, y towards East, z to the zenith.
"""
import numpy as np

#: Earth rotation angle rate, rad per SI second (IAU 2000 definition of the ERA).
EARTH_ROTATION_RATE = 2.0 * np.pi * 1.00273781191135448 / 86400.0

#: Order of the fields of an ``observed_frame`` array (names of the SOFA astrom struct).
OBSERVED_FRAME_FIELDS = ("eral", "xpl", "ypl", "sphi", "cphi", "diurab", "refa", "refb")

#: Fields of an ``apparent_place`` array (SOFA astrom struct): ``eh`` (3, the Sun to observer
#: unit vector), ``em`` (au), ``v`` (3, barycentric observer velocity, c), ``bm1``
#: (sqrt(1 - |v|^2)), ``bpn`` (3 x 3, bias-precession-nutation matrix, row by row): 17 values.
APPARENT_PLACE_FIELDS = ("eh", "em", "v", "bm1", "bpn")

#: Schwarzschild radius of the Sun, au (SOFA's ERFA_SRS).
SUN_SCHWARZSCHILD_RADIUS = 1.97412574336e-8

#: Events transformed at a time (bounds the temporary arrays).
BLOCK_SIZE = 1 << 16


def unit_vectors(lon, lat):
    """Cartesian unit vectors, shape (3, n) (or (3,) for scalars), of directions (lon, lat in
    rad)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    cos_lat = np.cos(lat)
    vectors = np.empty((3,) + np.broadcast_shapes(lon.shape, lat.shape))
    np.multiply(np.cos(lon), cos_lat, out=vectors[0, ...])
    np.multiply(np.sin(lon), cos_lat, out=vectors[1, ...])
    vectors[2] = np.sin(lat)
    return vectors


def cirs_vectors(directions, apparent_place):
    """Apparent (topocentric CIRS) unit vectors of ICRS directions: SOFA ``iauAtciqz``.

    Parameters
    ----------
    directions : ndarray, shape (3, n)
        ICRS unit vectors (:func:`unit_vectors` of RA, Dec).
    apparent_place : ndarray, shape (17,)
        See :data:`APPARENT_PLACE_FIELDS`.

    Returns
    -------
    ndarray, shape (3, n)
    """
    out = np.empty(directions.shape)
    for start in range(0, directions.shape[1], BLOCK_SIZE):
        block = slice(start, start + BLOCK_SIZE)
        out[:, block] = _cirs_block(directions[:, block], apparent_place)
    return out


def _cirs_block(p, apparent_place):
    """SOFA iauLdsun, iauAb and iauRxp of BCRS unit vectors p, shape (3, n); the vector
    products rewritten for unit vectors (p x (e x p) = e - (p.e) p, p.(p + e) = 1 + p.e)."""
    eh, em, v = apparent_place[0:3], apparent_place[3], apparent_place[4:7]
    bm1, bpn = apparent_place[7], apparent_place[8:17].reshape(3, 3)
    # light deflection by the Sun
    pe = eh @ p
    w = (SUN_SCHWARZSCHILD_RADIUS / em) / np.maximum(1.0 + pe, 1e-6 / max(em * em, 1.0))
    natural = p - (w * pe) * p
    natural += np.multiply.outer(eh, w)
    # aberration: p bm1 + w1 v + w2 (v - (p.v) p), normalised
    pdv = v @ natural
    w2 = SUN_SCHWARZSCHILD_RADIUS / em
    proper = natural * (bm1 - w2 * pdv)
    proper += np.multiply.outer(v, 1.0 + pdv / (1.0 + bm1) + w2)
    proper /= np.sqrt(np.einsum("ij,ij->j", proper, proper))
    # bias-precession-nutation
    return bpn @ proper


def observed_vectors(cirs, era, observed_frame):
    """AltAz unit vectors (north, east, up) of CIRS unit vectors: SOFA ``iauAtioq``.

    Parameters
    ----------
    cirs : ndarray, shape (3, n) or (3,)
        Apparent (CIRS) unit vectors (one per time, or one for all times).
    era : ndarray, shape (n,)
        Local Earth rotation angle (``eral`` advanced to each time), rad.
    observed_frame : ndarray, shape (8,)
        See :data:`OBSERVED_FRAME_FIELDS` (its ``eral`` is not used here).

    Returns
    -------
    ndarray, shape (3, n)
    """
    diurab, refa, refb = observed_frame[5:8]
    rows = _observed_rows(observed_frame)
    cos_era, sin_era = np.cos(era), np.sin(era)
    # rows @ (cos ha cos dec, -sin ha cos dec, sin dec), ha = era - ra
    if cirs.ndim == 1:
        out = np.multiply.outer(rows[:, 0] * cirs[0] + rows[:, 1] * cirs[1], cos_era)
        out += np.multiply.outer(rows[:, 0] * cirs[1] - rows[:, 1] * cirs[0], sin_era)
        out += (rows[:, 2] * cirs[2])[:, None]
    else:
        local = np.empty(cirs.shape)
        local[0] = cirs[0] * cos_era + cirs[1] * sin_era
        local[1] = cirs[1] * cos_era - cirs[0] * sin_era
        local[2] = cirs[2]
        out = rows @ local
    vectors = out[:3]
    vectors[1] += diurab  # diurnal aberration: (h + (0, diurab, 0)) (1 - diurab h_y)
    if refa != 0.0 or refb != 0.0:
        vectors *= 1.0 - diurab * out[3]
        _refract(vectors, refa, refb)
    vectors /= np.sqrt(np.einsum("ij,ij->j", vectors, vectors))
    return vectors


def _observed_rows(observed_frame):
    """The linear part of iauAtioq from (x, y, z) = (cos ha cos dec, -sin ha cos dec,
    sin dec): rows 0-2 polar motion then the horizon (north, east, up), row 3 the polar
    motion's y (for the diurnal aberration)."""
    xpl, ypl, sphi, cphi = observed_frame[1:5]
    sx, cx, sy, cy = np.sin(xpl), np.cos(xpl), np.sin(ypl), np.cos(ypl)
    polar = np.array([[cx, 0.0, sx], [sx * sy, cy, -cx * sy], [-sx * cy, sy, cx * cy]])
    horizon = np.array([[-sphi, 0.0, cphi], [0.0, 1.0, 0.0], [cphi, 0.0, sphi]])
    return np.vstack([horizon @ polar, polar[1:2]])


def _refract(vectors, refa, refb):
    """SOFA's refraction of iauAtioq, in place, on (north, east, up) vectors."""
    r = np.maximum(np.hypot(vectors[0], vectors[1]), 1e-6)
    zz = np.maximum(vectors[2], 0.05)
    tz = r / zz
    w = refb * tz * tz
    delta = (refa + w) * tz / (1.0 + (refa + 3.0 * w) / (zz * zz))
    cosdel = 1.0 - delta * delta / 2.0
    fr = cosdel - delta * zz / r
    vectors[2] = cosdel * vectors[2] + delta * r
    vectors[:2] *= fr


def _offset_lon_lat(vec, pnt):
    """Reversed-longitude offset coordinates (rad) of unit vectors vec around unit vectors pnt,
    both shape (3, n)."""
    rho = np.hypot(pnt[0], pnt[1])
    ca, sa = pnt[0] / rho, pnt[1] / rho
    x1 = ca * vec[0] + sa * vec[1]
    y1 = ca * vec[1] - sa * vec[0]
    x2 = rho * x1 + pnt[2] * vec[2]
    z2 = rho * vec[2] - pnt[2] * x1
    return np.arctan2(-y1, x2), np.arcsin(np.clip(z2, -1.0, 1.0))


def fov_coordinates(cirs, dt, pointing_cirs, observed_frame):
    """FoV coordinates of events in the AltAz-aligned frame of a tracked pointing.

    Parameters
    ----------
    cirs : ndarray, shape (3, n)
        Apparent (CIRS) unit vectors of the events (:func:`cirs_vectors`).
    dt : ndarray, shape (n,)
        Event time minus the reference time of ``observed_frame``, s.
    pointing_cirs : ndarray, shape (3,)
        Apparent (CIRS) unit vector of the tracked pointing.
    observed_frame : ndarray, shape (8,)
        Observed-place parameters at the reference time, see :data:`OBSERVED_FRAME_FIELDS`.

    Returns
    -------
    fov_lon, fov_lat : ndarray, shape (n,)
        FoV coordinates, rad, in gammapy's ``FoVAltAzFrame`` convention.
    """
    dt = np.asarray(dt, dtype=float)
    pointing = np.asarray(pointing_cirs, dtype=float)
    fov_lon, fov_lat = np.empty(dt.size), np.empty(dt.size)
    for start in range(0, dt.size, BLOCK_SIZE):
        block = slice(start, start + BLOCK_SIZE)
        era = observed_frame[0] + EARTH_ROTATION_RATE * dt[block]
        fov_lon[block], fov_lat[block] = _offset_lon_lat(
            observed_vectors(cirs[:, block], era, observed_frame),
            observed_vectors(pointing, era, observed_frame))
    return fov_lon, fov_lat


def altaz_fov_coordinates(ra_cirs, dec_cirs, dt, pointing_ra_cirs, pointing_dec_cirs,
                          observed_frame):
    """:func:`fov_coordinates` of events given by their apparent places as angles.

    ``ra_cirs``, ``dec_cirs`` (shape (n,)) and ``pointing_ra_cirs``, ``pointing_dec_cirs``
    (float) are apparent (CIRS) right ascensions and declinations, rad; ``dt`` and
    ``observed_frame`` and the result are as in :func:`fov_coordinates`.
    """
    return fov_coordinates(unit_vectors(np.asarray(ra_cirs, dtype=float),
                                        np.asarray(dec_cirs, dtype=float)), dt,
                           unit_vectors(pointing_ra_cirs, pointing_dec_cirs), observed_frame)


def horizontal_coordinates(ra_cirs, dec_cirs, dt, observed_frame):
    """Altitude and azimuth of one tracked direction at several times.

    Parameters
    ----------
    ra_cirs, dec_cirs : float
        Apparent (CIRS) place of the direction, rad.
    dt : ndarray, shape (n,)
        Times minus the reference time of ``observed_frame``, s.
    observed_frame : ndarray, shape (8,)
        See :data:`OBSERVED_FRAME_FIELDS`.

    Returns
    -------
    alt, az : ndarray, shape (n,)
        rad; azimuth from North through East in [0, 2 pi), as astropy's ``AltAz``.
    """
    era = observed_frame[0] + EARTH_ROTATION_RATE * np.asarray(dt, dtype=float)
    north, east, up = observed_vectors(unit_vectors(ra_cirs, dec_cirs), era, observed_frame)
    return np.arcsin(np.clip(up, -1.0, 1.0)), np.arctan2(east, north) % (2 * np.pi)


def fov_frame_matrices(dt, pointing_ra_cirs, pointing_dec_cirs, reference_ra_cirs,
                       reference_dec_cirs, reference_offset, observed_frame):
    """Linear maps from sky-aligned to AltAz-aligned FoV coordinates near the pointing.

    The two FoV frames share their centre, so near it one is a 2x2 linear map of the other: a
    rotation that turns with time, possibly combined with a reflection, and orthogonal up to
    the ~1e-4 change of scale that aberration brings. The map is
    measured with two reference directions at sky-aligned FoV coordinates
    ``(0, +reference_offset)`` and ``(+reference_offset, 0)``.

    Parameters
    ----------
    dt : ndarray, shape (n,)
        Times minus the reference time of ``observed_frame``, s.
    pointing_ra_cirs, pointing_dec_cirs : float
        Apparent place of the pointing, rad.
    reference_ra_cirs, reference_dec_cirs : ndarray, shape (2,)
        Apparent places of the two reference directions, rad.
    reference_offset : float
        Their distance from the pointing, rad.
    observed_frame : ndarray, shape (8,)
        See :data:`OBSERVED_FRAME_FIELDS`.

    Returns
    -------
    matrices : ndarray, shape (n, 2, 2)
        ``m[t] @ (v_lon, v_lat)_sky = (v_lon, v_lat)_altaz`` for the transverse components
        ``v_lon = cos(lat) sin(lon)``, ``v_lat = sin(lat)`` of a FoV direction.
    """
    n = dt.shape[0]
    matrices = np.empty((n, 2, 2))
    scale = np.sin(reference_offset)
    for column in range(2):
        lon, lat = altaz_fov_coordinates(np.full(n, reference_ra_cirs[column]),
                                         np.full(n, reference_dec_cirs[column]), dt,
                                         pointing_ra_cirs, pointing_dec_cirs, observed_frame)
        # column 0: image of the +lon reference; column 1: image of the +lat reference
        matrices[:, 0, 1 - column] = np.cos(lat) * np.sin(lon) / scale
        matrices[:, 1, 1 - column] = np.sin(lat) / scale
    return matrices


def rotation_angle(matrices):
    """Position angle (rad, unwrapped in time) of sky-aligned +fov_lat in the AltAz FoV frame."""
    return np.unwrap(np.arctan2(matrices[:, 0, 1], matrices[:, 1, 1]))


def angular_separation(lon1, lat1, lon2, lat2):
    """Angular distance between directions (all angles in rad; arrays broadcast), Vincenty form."""
    dlon = lon2 - lon1
    slat1, clat1 = np.sin(lat1), np.cos(lat1)
    slat2, clat2 = np.sin(lat2), np.cos(lat2)
    num1 = clat2 * np.sin(dlon)
    num2 = clat1 * slat2 - slat1 * clat2 * np.cos(dlon)
    return np.arctan2(np.hypot(num1, num2), slat1 * slat2 + clat1 * clat2 * np.cos(dlon))


def sky_to_fov_radec(lon, lat, lon_pnt, lat_pnt):
    """Sky-aligned FoV coordinates (gammapy's ``FoVICRSFrame``: reversed longitude), rad."""
    x, y, z = np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)
    c0, s0 = np.cos(lon_pnt), np.sin(lon_pnt)
    cl, sl = np.cos(lat_pnt), np.sin(lat_pnt)
    x1 = c0 * x + s0 * y
    y1 = -s0 * x + c0 * y
    x2 = cl * x1 + sl * z
    z2 = -sl * x1 + cl * z
    return np.arctan2(-y1, x2), np.arcsin(np.clip(z2, -1.0, 1.0))


def fov_radec_to_sky(fov_lon, fov_lat, lon_pnt, lat_pnt):
    """Inverse of :func:`sky_to_fov_radec`: sky (lon, lat) in rad of sky-aligned FoV coordinates."""
    x2 = np.cos(fov_lat) * np.cos(fov_lon)
    y1 = np.cos(fov_lat) * np.sin(-fov_lon)
    z2 = np.sin(fov_lat)
    cl, sl = np.cos(lat_pnt), np.sin(lat_pnt)
    x1 = cl * x2 - sl * z2
    z = sl * x2 + cl * z2
    c0, s0 = np.cos(lon_pnt), np.sin(lon_pnt)
    x = c0 * x1 - s0 * y1
    y = s0 * x1 + c0 * y1
    return np.mod(np.arctan2(y, x), 2 * np.pi), np.arcsin(np.clip(z, -1.0, 1.0))
