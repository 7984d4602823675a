"""Every kind of exclusion becomes an area with the right containment and bounding circle."""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import Angle, SkyCoord
from gammapy.maps import WcsGeom
from regions import (CircleAnnulusSkyRegion, CircleSkyRegion, EllipseSkyRegion, PolygonSkyRegion,
                     RectangleSkyRegion, Regions)

from baccmod.adapters.exclusion import excluded_areas
from baccmod.core.fov import angular_separation
from baccmod.errors import BaccmodTypeError

CENTER = SkyCoord(83.63, 22.01, unit="deg")
REGIONS = {
    "circle": CircleSkyRegion(CENTER, 0.3 * u.deg),
    "ellipse": EllipseSkyRegion(CENTER, 0.8 * u.deg, 0.3 * u.deg, Angle(30, "deg")),
    "rectangle": RectangleSkyRegion(CENTER, 0.6 * u.deg, 0.2 * u.deg, Angle(-20, "deg")),
    "polygon": PolygonSkyRegion(SkyCoord([83.2, 84.1, 83.6], [21.8, 21.9, 22.5], unit="deg")),
    "annulus": CircleAnnulusSkyRegion(CENTER, 0.2 * u.deg, 0.4 * u.deg),
    "compound": CircleSkyRegion(CENTER, 0.3 * u.deg) | CircleSkyRegion(
        CENTER.directional_offset_by(90 * u.deg, 0.5 * u.deg), 0.2 * u.deg),
}


def sample_points(n=20000, seed=0):
    rng = np.random.default_rng(seed)
    radius = np.rad2deg(np.arccos(1 - rng.uniform(0, 1 - np.cos(np.deg2rad(1.5)), n)))
    return CENTER.directional_offset_by(rng.uniform(0, 360, n) * u.deg, radius * u.deg)


@pytest.mark.parametrize("name", sorted(REGIONS))
def test_region_containment_matches_regions_and_bounding_circle_holds(name):
    region = REGIONS[name]
    [area] = excluded_areas(region)
    points = sample_points()
    lon, lat = points.ra.rad, points.dec.rad
    ours = area.contains(lon, lat)
    geom = WcsGeom.create(skydir=CENTER, width=3.5 * u.deg, binsz=0.002)
    reference = region.contains(points, geom.wcs)
    assert ours.sum() > 100
    assert np.mean(ours != reference) < 0.002  # only points on the border may differ
    inside = angular_separation(area.center_lon, area.center_lat, lon[ours], lat[ours])
    assert np.all(inside <= area.radius)


def test_boolean_mask_excludes_its_false_pixels_and_keeps_outside_points():
    geom = WcsGeom.create(skydir=CENTER, width=2 * u.deg, binsz=0.01, frame="galactic")
    mask = ~geom.region_mask([REGIONS["circle"]])
    [area] = excluded_areas(mask)
    points = sample_points()
    ours = area.contains(points.ra.rad, points.dec.rad)
    truth = points.separation(CENTER) < 0.3 * u.deg
    assert np.mean(ours != truth) < 0.005
    far = CENTER.directional_offset_by(0 * u.deg, 5 * u.deg)
    assert not area.contains(np.array([far.ra.rad]), np.array([far.dec.rad]))[0]
    assert np.rad2deg(area.radius) == pytest.approx(0.3, abs=0.03)


def test_lists_and_regions_containers_are_flattened():
    areas = excluded_areas(Regions([REGIONS["circle"], REGIONS["ellipse"]]))
    assert len(areas) == 2
    assert len(excluded_areas([REGIONS["circle"], REGIONS["polygon"]])) == 2
    assert excluded_areas(None) == []


def test_an_all_true_mask_excludes_nothing():
    geom = WcsGeom.create(skydir=CENTER, width=1 * u.deg, binsz=0.1)
    assert excluded_areas(geom.region_mask([REGIONS["circle"]]) | True) == []


def test_non_boolean_mask_is_refused():
    geom = WcsGeom.create(skydir=CENTER, width=1 * u.deg, binsz=0.1)
    from gammapy.maps import Map
    with pytest.raises(BaccmodTypeError, match="boolean"):
        excluded_areas(Map.from_geom(geom))
