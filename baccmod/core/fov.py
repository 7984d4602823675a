"""Field-of-view coordinates of events, in the AltAz-aligned FoV frame.

The FoV frame is gammapy's ``FoVAltAzFrame``: an offset frame centred on the pointing's
horizontal (AltAz) position at the event's time, with the longitude reversed::

    fov_lon ~ -(az - az_pnt) * cos(alt_pnt),    fov_lat ~ alt - alt_pnt

How the per-event work stays exact and cheap: a run's apparent (CIRS) places are computed
once (they change by far less than an arcsecond during a run); what changes quickly is the
Earth rotation angle, which is linear in time. :func:`horizontal_unit_vectors` applies the
CIRS -> observed transformation of the IAU SOFA routine ``iauAtioq`` (polar motion, diurnal
aberration, refraction) with the Earth rotation angle advanced per event. Its parameters,
the ``observed_frame`` array, are what astropy's ``erfa_astrom.apco`` computes for the run's
reference time; see :data:`OBSERVED_FRAME_FIELDS`.

Cartesian AltAz vectors follow astropy: x towards North, y towards East, z to the zenith.
"""
import numpy as np
from numba import njit

#: Earth rotation angle rate, rad per SI second (IAU 2000 definition of the ERA).
EARTH_ROTATION_RATE = 2.0 * np.pi * 1.00273781191135448 / 86400.0

#: Order of the fields of an ``observed_frame`` array (names of the SOFA astrom struct).
OBSERVED_FRAME_FIELDS = ("eral", "xpl", "ypl", "sphi", "cphi", "diurab", "refa", "refb")


@njit(cache=True)
def _observed_vector(ra_cirs, dec_cirs, eral, frame, out):
    """SOFA iauAtioq for one direction; writes the AltAz unit vector (N, E, up) to out."""
    xpl, ypl, sphi, cphi = frame[1], frame[2], frame[3], frame[4]
    diurab, refa, refb = frame[5], frame[6], frame[7]
    ha = ra_cirs - eral
    cd = np.cos(dec_cirs)
    x = np.cos(ha) * cd
    y = np.sin(ha) * cd
    z = np.sin(dec_cirs)
    sx, cx = np.sin(xpl), np.cos(xpl)
    sy, cy = np.sin(ypl), np.cos(ypl)
    xhd = cx * x + sx * z
    yhd = sx * sy * x + cy * y - cx * sy * z
    zhd = -sx * cy * x + sy * y + cx * cy * z
    f = 1.0 - diurab * yhd
    xhdt = f * xhd
    yhdt = f * (yhd + diurab)
    zhdt = f * zhd
    xaet = sphi * xhdt - cphi * zhdt
    yaet = yhdt
    zaet = cphi * xhdt + sphi * zhdt
    r = max(np.sqrt(xaet * xaet + yaet * yaet), 1e-6)
    zz = max(zaet, 0.05)
    tz = r / zz
    w = refb * tz * tz
    delta = (refa + w) * tz / (1.0 + (refa + 3.0 * w) / (zz * zz))
    cosdel = 1.0 - delta * delta / 2.0
    fr = cosdel - delta * zz / r
    north, east, up = -xaet * fr, yaet * fr, cosdel * zaet + delta * r
    norm = np.sqrt(north * north + east * east + up * up)
    out[0] = north / norm
    out[1] = east / norm
    out[2] = up / norm


@njit(cache=True)
def _offset_lon_lat(vec, pnt):
    """Reversed-longitude offset coordinates (rad) of unit vector vec around unit vector pnt."""
    rho = np.sqrt(pnt[0] * pnt[0] + pnt[1] * pnt[1])
    ca, sa = pnt[0] / rho, pnt[1] / rho
    x1 = ca * vec[0] + sa * vec[1]
    y1 = -sa * vec[0] + ca * vec[1]
    x2 = rho * x1 + pnt[2] * vec[2]
    z2 = -pnt[2] * x1 + rho * vec[2]
    return np.arctan2(-y1, x2), np.arcsin(min(1.0, max(-1.0, z2)))


@njit(cache=True)
def altaz_fov_coordinates(ra_cirs, dec_cirs, dt, pointing_ra_cirs, pointing_dec_cirs,
                          observed_frame):
    """FoV coordinates of events in the AltAz-aligned frame of a tracked pointing.

    Parameters
    ----------
    ra_cirs, dec_cirs : ndarray, shape (n,)
        Apparent (CIRS) right ascension and declination of the events, rad.
    dt : ndarray, shape (n,)
        Event time minus the reference time of ``observed_frame``, s.
    pointing_ra_cirs, pointing_dec_cirs : float
        Apparent (CIRS) position of the tracked pointing, rad.
    observed_frame : ndarray, shape (8,)
        Observed-place parameters at the reference time, see :data:`OBSERVED_FRAME_FIELDS`.

    Returns
    -------
    fov_lon, fov_lat : ndarray, shape (n,)
        FoV coordinates, rad, in gammapy's ``FoVAltAzFrame`` convention.
    """
    n = ra_cirs.shape[0]
    fov_lon = np.empty(n)
    fov_lat = np.empty(n)
    vec = np.empty(3)
    pnt = np.empty(3)
    for i in range(n):
        eral = observed_frame[0] + EARTH_ROTATION_RATE * dt[i]
        _observed_vector(ra_cirs[i], dec_cirs[i], eral, observed_frame, vec)
        _observed_vector(pointing_ra_cirs, pointing_dec_cirs, eral, observed_frame, pnt)
        fov_lon[i], fov_lat[i] = _offset_lon_lat(vec, pnt)
    return fov_lon, fov_lat


@njit(cache=True)
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
    n = dt.shape[0]
    alt = np.empty(n)
    az = np.empty(n)
    vec = np.empty(3)
    for i in range(n):
        _observed_vector(ra_cirs, dec_cirs, observed_frame[0] + EARTH_ROTATION_RATE * dt[i],
                         observed_frame, vec)
        alt[i] = np.arcsin(min(1.0, max(-1.0, vec[2])))
        az[i] = np.arctan2(vec[1], vec[0]) % (2 * np.pi)
    return alt, az


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
