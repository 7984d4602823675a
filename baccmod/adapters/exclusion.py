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
import hashlib
import pickle

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.wcs import WCS
from regions import (CircleSkyRegion, CompoundSkyRegion, LineSkyRegion, PixCoord,
                     PointSkyRegion, Regions, SkyRegion, TextSkyRegion)

from ..core.exclusion import ExcludedArea
from ..core.fov import angular_separation
from ..errors import BaccmodTypeError, BaccmodValueError

_LOCAL_PIXEL_DEG = 0.005
#: Region kinds without an area: as exclusions they would exclude nothing.
_AREALESS = (PointSkyRegion, LineSkyRegion, TextSkyRegion)


def excluded_areas(exclusions, name="exclude_regions"):
    """Convert exclusions given by the user to a list of ExcludedArea.

    Every region parameter (centres, sizes, angles, polygon vertices, the parts of compound
    regions) must be finite, and a mask must have a valid celestial WCS: an exclusion with a
    NaN would otherwise silently exclude nothing.

    Parameters
    ----------
    exclusions : None, SkyRegion, regions.Regions, WcsNDMap or a list of these
    name : str
        How the messages call ``exclusions``.

    Returns
    -------
    list of ExcludedArea
        Each labelled ``name[i] (kind)`` for the messages.
    """
    if exclusions is None:
        return []
    if isinstance(exclusions, (SkyRegion, Regions)) or _is_map(exclusions):
        exclusions = [exclusions]
    if isinstance(exclusions, (str, bytes)):
        raise BaccmodTypeError(_type_message(exclusions))
    try:
        items = list(exclusions)
    except TypeError:
        raise BaccmodTypeError(_type_message(exclusions)) from None
    areas = []
    for index, item in enumerate(items):
        label = f"{name}[{index}] ({type(item).__name__})"
        if isinstance(item, Regions):
            areas.extend(excluded_areas(list(item), label))
        elif isinstance(item, SkyRegion):
            _check_region(item, label)
            make = _circle_area if isinstance(item, CircleSkyRegion) else _region_area
            areas.append(make(item, label))
        elif _is_map(item):
            areas.extend(_mask_areas(item, label))
        else:
            raise BaccmodTypeError(_type_message(item))
    return areas


def _check_region(region, label):
    """Raise unless the region has an area and all its parameters are finite."""
    if isinstance(region, _AREALESS):
        raise BaccmodValueError(f"{label} has no area, so it would exclude nothing: give regions "
                                "with an area (circle, ellipse, rectangle, polygon, annulus).")
    for name in getattr(region, "_params", ()):
        value = getattr(region, name)
        if isinstance(value, SkyRegion):
            _check_region(value, f"{label}.{name} ({type(value).__name__})")
        elif isinstance(value, SkyCoord):
            spherical = value.spherical
            finite = np.isfinite(spherical.lon.deg) & np.isfinite(spherical.lat.deg)
            if not np.all(finite):
                raise BaccmodValueError(f"{label}: {name} holds a non-finite position "
                                        f"({np.size(finite) - np.count_nonzero(finite)} of "
                                        f"{np.size(finite)}); give finite coordinates.")
        elif isinstance(value, u.Quantity) and not np.all(np.isfinite(value)):
            raise BaccmodValueError(f"{label}: {name} is {value}; it must be finite.")


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


def _circle_area(region, label):
    lon0, lat0 = _icrs_rad(region.center)
    radius = float(region.radius.to_value(u.rad))
    return ExcludedArea(_InsideCircle(lon0, lat0, radius), lon0, lat0, radius, label,
                        identity=f"circle {lon0!r} {lat0!r} {radius!r}")


class _InsideCircle:
    """``contains(lon, lat)`` of a circle (rad); a class so that runs can be sent to other
    processes with their exclusions."""

    def __init__(self, lon0, lat0, radius):
        self.lon0, self.lat0, self.radius = lon0, lat0, radius

    def __call__(self, lon, lat):
        return angular_separation(self.lon0, self.lat0, lon, lat) <= self.radius


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


def _region_area(region, label):
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

    return ExcludedArea(_InsideProjectedRegion(wcs, pixel_region, lon0, lat0), lon0, lat0,
                        radius, label, identity=_region_identity(region))


def _region_identity(region):
    """The region's exact parameters as text (DS9 with 12 digits; a digest of the region for
    compound regions, which DS9 cannot write)."""
    if isinstance(region, CompoundSkyRegion):
        # the digest only names the region in cache keys; nothing is ever unpickled
        return f"region compound {hashlib.sha256(pickle.dumps(region)).hexdigest()}"
    return f"region {region.serialize(format='ds9', precision=12)!r}"


class _InsideProjectedRegion:
    """``contains(lon, lat)`` of a region drawn on the local TAN grid ``wcs``."""

    def __init__(self, wcs, pixel_region, lon0, lat0):
        self.wcs, self.pixel_region, self.lon0, self.lat0 = wcs, pixel_region, lon0, lat0

    def __call__(self, lon, lat):
        x, y = self.wcs.wcs_world2pix(np.rad2deg(lon), np.rad2deg(lat), 0)
        near = angular_separation(self.lon0, self.lat0, lon, lat) < np.pi / 2
        return near & np.asarray(self.pixel_region.contains(PixCoord(x, y)), dtype=bool)


def _mask_areas(mask, label):
    data = np.asarray(mask.data)
    if data.dtype != bool:
        raise BaccmodTypeError(f"{label}: the exclusion mask has data type {data.dtype}; it must "
                               "be boolean (True = keep, False = excluded).")
    geom = mask.geom
    _check_wcs(geom.wcs, label)
    image = data.reshape((-1,) + data.shape[-2:]).all(axis=0) if data.ndim > 2 else data
    excluded_pix = np.argwhere(~image)
    if excluded_pix.size == 0:
        return []
    image_geom = geom.to_image()
    coords = image_geom.pix_to_coord((excluded_pix[:, 1], excluded_pix[:, 0]))
    if not (np.all(np.isfinite(coords[0])) and np.all(np.isfinite(coords[1]))):
        raise BaccmodValueError(f"{label}: its WCS gives no sky position for some excluded "
                                "pixels; give the mask a valid celestial WCS.")
    sky = SkyCoord(coords[0], coords[1], unit="deg", frame=image_geom.frame).icrs
    lon, lat = sky.ra.rad, sky.dec.rad
    mean = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]).mean(1)
    lon0 = float(np.arctan2(mean[1], mean[0]))
    lat0 = float(np.arctan2(mean[2], np.hypot(mean[0], mean[1])))
    pixel_size = np.deg2rad(np.max(np.abs(image_geom.pixel_scales.deg)))
    radius = float(np.max(angular_separation(lon0, lat0, lon, lat))) + pixel_size
    digest = hashlib.sha256(np.packbits(image).tobytes())
    digest.update(f"{image.shape} {image_geom.wcs.to_header_string()}".encode())
    contains = _InsideMaskPixels(image_geom.wcs, image_geom.frame, image)
    return [ExcludedArea(contains, lon0, lat0, radius, label,
                         identity=f"mask {digest.hexdigest()}")]


class _InsideMaskPixels:
    """``contains(lon, lat)``: the direction falls in an excluded (False) pixel of ``image``
    on ``wcs`` (in sky ``frame``); directions outside the image are kept."""

    def __init__(self, wcs, frame, image):
        self.wcs, self.frame, self.image = wcs, frame, image

    def __call__(self, lon, lat):
        sky = SkyCoord(lon * u.rad, lat * u.rad, frame="icrs")
        if self.frame != "icrs":
            sky = sky.transform_to(self.frame)
        sph = sky.spherical
        x, y = self.wcs.wcs_world2pix(sph.lon.deg, sph.lat.deg, 0)
        ix, iy = np.rint(x).astype(int), np.rint(y).astype(int)
        n_y, n_x = self.image.shape
        inside = (ix >= 0) & (iy >= 0) & (ix < n_x) & (iy < n_y)
        out = np.zeros(ix.shape, dtype=bool)
        out[inside] = ~self.image[iy[inside], ix[inside]]
        return out


def _check_wcs(wcs, label):
    """Raise unless the mask's WCS is celestial with finite reference values and scales."""
    parameters = np.concatenate([wcs.wcs.crval, wcs.wcs.crpix,
                                 np.ravel(wcs.pixel_scale_matrix)])
    if not wcs.is_celestial or not np.all(np.isfinite(parameters)) or \
            np.linalg.det(wcs.pixel_scale_matrix) == 0:
        raise BaccmodValueError(
            f"{label}: the mask has no valid celestial WCS (reference {wcs.wcs.crval}, pixel "
            f"{wcs.wcs.crpix}, scale matrix {np.ravel(wcs.pixel_scale_matrix)}); build it on a "
            "valid geometry, e.g. WcsGeom.create(skydir=..., width=..., binsz=...).")
