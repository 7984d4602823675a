"""Exclusion regions and masks -> :class:`baccmod.core.exclusion.ExcludedArea`.

- ``CircleSkyRegion``: exact angular distance test.
- Any other ``regions`` SkyRegion (ellipse, rectangle, polygon, annulus, compound, ...): the
  region is projected on a local gnomonic (TAN) grid centred on it, where ``regions`` tests
  containment; this is exact for polygons drawn on that projection and accurate to far below
  a sub-pixel for the shapes and sizes of exclusion regions.
- A boolean ``WcsNDMap`` (True = keep, gammapy's convention): a direction is excluded when it
  falls in a False pixel; directions outside the map are kept. Non-spatial axes are reduced:
  a pixel excluded in any slice is excluded.
"""
import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.wcs import WCS
from regions import CircleSkyRegion, PixCoord, Regions, SkyRegion

from ..core.exclusion import ExcludedArea
from ..core.fov import angular_separation
from ..errors import BaccmodTypeError, BaccmodValueError

_LOCAL_PIXEL_DEG = 0.005


def excluded_areas(exclusions):
    """Convert exclusions given by the user to a list of ExcludedArea.

    Parameters
    ----------
    exclusions : None, SkyRegion, regions.Regions, WcsNDMap or a list of these

    Returns
    -------
    list of ExcludedArea
    """
    if exclusions is None:
        return []
    if isinstance(exclusions, (SkyRegion, Regions)) or _is_map(exclusions):
        exclusions = [exclusions]
    try:
        items = list(exclusions)
    except TypeError:
        raise BaccmodTypeError(_type_message(exclusions)) from None
    areas = []
    for item in items:
        if isinstance(item, Regions):
            areas.extend(excluded_areas(list(item)))
        elif isinstance(item, CircleSkyRegion):
            areas.append(_circle_area(item))
        elif isinstance(item, SkyRegion):
            areas.append(_region_area(item))
        elif _is_map(item):
            areas.extend(_mask_areas(item))
        else:
            raise BaccmodTypeError(_type_message(item))
    return areas


def _type_message(item):
    return (f"exclusion of type {type(item).__name__} is not supported: give regions.SkyRegion "
            "objects (e.g. CircleSkyRegion) or a boolean gammapy WcsNDMap exclusion mask "
            "(True = keep), or a list of these.")


def _is_map(item):
    try:
        from gammapy.maps import WcsNDMap
    except ImportError:  # pragma: no cover - gammapy is a dependency
        return False
    return isinstance(item, WcsNDMap)


def _icrs_rad(coord):
    icrs = coord.icrs
    return float(icrs.ra.rad), float(icrs.dec.rad)


def _circle_area(region):
    lon0, lat0 = _icrs_rad(region.center)
    radius = float(region.radius.to_value(u.rad))
    if not radius > 0:
        raise BaccmodValueError(f"exclusion circle has radius {region.radius}; it must be > 0.")

    def contains(lon, lat):
        return angular_separation(lon0, lat0, lon, lat) <= radius

    return ExcludedArea(contains, lon0, lat0, radius)


def _anchor(region):
    """A sky position at the heart of a region, used as the centre of its local projection."""
    if hasattr(region, "center"):
        return region.center
    if hasattr(region, "vertices"):
        x, y, z = region.vertices.icrs.cartesian.xyz.value.mean(axis=1)
        return SkyCoord(np.arctan2(y, x) * u.rad, np.arctan2(z, np.hypot(x, y)) * u.rad)
    if hasattr(region, "region1"):
        return _anchor(region.region1)
    raise BaccmodTypeError(f"cannot find the position of a {type(region).__name__} region.")


def _region_area(region):
    anchor = SkyCoord(_anchor(region)).icrs
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [anchor.ra.deg, anchor.dec.deg]
    wcs.wcs.crpix = [0.0, 0.0]
    wcs.wcs.cdelt = [-_LOCAL_PIXEL_DEG, _LOCAL_PIXEL_DEG]
    pixel_region = region.to_pixel(wcs)
    box = pixel_region.bounding_box
    corners_x = np.array([box.ixmin, box.ixmin, box.ixmax, box.ixmax], dtype=float)
    corners_y = np.array([box.iymin, box.iymax, box.iymin, box.iymax], dtype=float)
    c_ra, c_dec = wcs.wcs_pix2world(corners_x, corners_y, 0)
    lon0, lat0 = float(anchor.ra.rad), float(anchor.dec.rad)
    radius = float(np.max(angular_separation(lon0, lat0, np.deg2rad(c_ra), np.deg2rad(c_dec))))
    radius += np.deg2rad(2 * _LOCAL_PIXEL_DEG)

    def contains(lon, lat):
        x, y = wcs.wcs_world2pix(np.rad2deg(lon), np.rad2deg(lat), 0)
        near = angular_separation(lon0, lat0, lon, lat) < np.pi / 2
        return near & np.asarray(pixel_region.contains(PixCoord(x, y)), dtype=bool)

    return ExcludedArea(contains, lon0, lat0, radius)


def _mask_areas(mask):
    data = np.asarray(mask.data)
    if data.dtype != bool:
        raise BaccmodTypeError(f"the exclusion mask has data type {data.dtype}; it must be "
                               "boolean (True = keep, False = excluded).")
    geom = mask.geom
    image = data.reshape((-1,) + data.shape[-2:]).all(axis=0) if data.ndim > 2 else data
    excluded_pix = np.argwhere(~image)
    if excluded_pix.size == 0:
        return []
    image_geom = geom.to_image()
    coords = image_geom.pix_to_coord((excluded_pix[:, 1], excluded_pix[:, 0]))
    sky = SkyCoord(coords[0], coords[1], unit="deg", frame=image_geom.frame).icrs
    lon, lat = sky.ra.rad, sky.dec.rad
    mean = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]).mean(1)
    lon0 = float(np.arctan2(mean[1], mean[0]))
    lat0 = float(np.arctan2(mean[2], np.hypot(mean[0], mean[1])))
    pixel_size = np.deg2rad(np.max(np.abs(image_geom.pixel_scales.deg)))
    radius = float(np.max(angular_separation(lon0, lat0, lon, lat))) + pixel_size
    wcs = image_geom.wcs
    frame = image_geom.frame

    def contains(lon_, lat_):
        sky_ = SkyCoord(lon_ * u.rad, lat_ * u.rad, frame="icrs")
        if frame != "icrs":
            sky_ = sky_.transform_to(frame)
        sph = sky_.spherical
        x, y = wcs.wcs_world2pix(sph.lon.deg, sph.lat.deg, 0)
        ix, iy = np.rint(x).astype(int), np.rint(y).astype(int)
        inside = (ix >= 0) & (iy >= 0) & (ix < image.shape[1]) & (iy < image.shape[0])
        out = np.zeros(ix.shape, dtype=bool)
        out[inside] = ~image[iy[inside], ix[inside]]
        return out

    return [ExcludedArea(contains, lon0, lat0, radius)]
