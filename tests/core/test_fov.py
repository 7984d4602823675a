"""FoV coordinates: the per-event kernel agrees with astropy's full per-event transform."""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import AltAz, EarthLocation, SkyCoord
from astropy.time import Time

from baccmod.adapters.altaz import astrometry_context, icrs_to_cirs, observed_frame
from baccmod.core.fov import (altaz_fov_coordinates, fov_radec_to_sky, horizontal_coordinates,
                              sky_to_fov_radec)

HESS = EarthLocation(lon=16.5002 * u.deg, lat=-23.2717 * u.deg, height=1835 * u.m)


def astropy_fov(ra, dec, pointing, times):
    """Reference: astropy AltAz per event, then the reversed-longitude offset frame."""
    from gammapy.utils.coordinates import FoVAltAzFrame
    frame = AltAz(obstime=times, location=HESS)
    events = SkyCoord(ra, dec, unit="rad").transform_to(frame)
    origin = pointing.transform_to(frame)
    fov = events.transform_to(FoVAltAzFrame(origin=origin, location=HESS, obstime=times))
    return fov.fov_lon.wrap_at(180 * u.deg).rad, fov.fov_lat.rad, origin.alt.deg


@pytest.mark.parametrize("utc, dec_deg", [("2023-07-01T23:30:00", -30.2),   # near zenith
                                          ("2023-07-01T21:45:00", -30.2),   # zenith angle ~60 deg
                                          ("2023-07-02T04:00:00", 10.0)])   # low, north
def test_fov_coordinates_within_one_arcsec_of_astropy(utc, dec_deg):
    rng = np.random.default_rng(3)
    pointing = SkyCoord(329.7 * u.deg, dec_deg * u.deg)
    t_ref = Time(utc, scale="utc")
    n = 3000
    ra = np.deg2rad(329.7 + rng.uniform(-3, 3, n) / np.cos(np.deg2rad(dec_deg)))
    dec = np.deg2rad(dec_deg + rng.uniform(-3, 3, n))
    dt = rng.uniform(-1800, 1800, n)
    astrom = astrometry_context(t_ref, HESS)
    ra_c, dec_c = icrs_to_cirs(ra, dec, astrom)
    p_ra, p_dec = icrs_to_cirs(pointing.ra.rad, pointing.dec.rad, astrom)
    lon, lat = altaz_fov_coordinates(ra_c, dec_c, dt, float(p_ra), float(p_dec),
                                     observed_frame(astrom))
    ref_lon, ref_lat, alt = astropy_fov(ra, dec, pointing, t_ref + dt * u.s)
    assert alt.min() > 5  # the case is above the horizon
    error = np.rad2deg(np.hypot((lon - ref_lon) * np.cos(lat), lat - ref_lat)) * 3600
    assert error.max() < 1.0


@pytest.mark.parametrize("utc, dec_deg", [("2023-07-01T23:30:00", -30.2),
                                          ("2023-07-02T04:00:00", 10.0)])
def test_pointing_altitude_azimuth_within_one_arcsec_of_astropy(utc, dec_deg):
    pointing = SkyCoord(329.7 * u.deg, dec_deg * u.deg)
    t_ref = Time(utc, scale="utc")
    dt = np.linspace(-1800, 1800, 61)
    astrom = astrometry_context(t_ref, HESS)
    p_ra, p_dec = icrs_to_cirs(pointing.ra.rad, pointing.dec.rad, astrom)
    alt, az = horizontal_coordinates(float(p_ra), float(p_dec), dt, observed_frame(astrom))
    ref = pointing.transform_to(AltAz(obstime=t_ref + dt * u.s, location=HESS))
    assert np.all((az >= 0) & (az < 2 * np.pi))
    assert np.rad2deg(np.abs(alt - ref.alt.rad)).max() * 3600 < 1.0
    d_az = np.angle(np.exp(1j * (az - ref.az.rad)))
    assert np.rad2deg(np.abs(d_az) * np.cos(alt)).max() * 3600 < 1.0


def test_sky_aligned_fov_round_trip_and_sign():
    lon0, lat0 = np.deg2rad(83.6), np.deg2rad(22.0)
    lon, lat = np.deg2rad([84.6, 83.6]), np.deg2rad([22.0, 23.0])
    fov_lon, fov_lat = sky_to_fov_radec(lon, lat, lon0, lat0)
    # east of the pointing (larger RA) has negative fov_lon (gammapy's reversed longitude)
    assert fov_lon[0] < 0 and abs(fov_lat[1] - np.deg2rad(1.0)) < 1e-12
    back_lon, back_lat = fov_radec_to_sky(fov_lon, fov_lat, lon0, lat0)
    np.testing.assert_allclose(back_lon, lon, atol=1e-12)
    np.testing.assert_allclose(back_lat, lat, atol=1e-12)
