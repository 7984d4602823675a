"""An exclusion that would silently exclude nothing is refused, naming it (issue 7, item 3.6):
non-finite centres, sizes, angles or vertices, regions without an area, masks without a valid
WCS. The creators refuse them in their constructor."""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import Angle, SkyCoord
from gammapy.maps import Map, MapAxis, WcsGeom
from regions import (CircleAnnulusSkyRegion, CircleSkyRegion, EllipseSkyRegion, LineSkyRegion,
                     PointSkyRegion, PolygonSkyRegion, RectangleSkyRegion, Regions)

from baccmod import BaccmodValueError, Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator
from baccmod.adapters.exclusion import excluded_areas
from baccmod.core.exclusion import ExcludedArea

CENTER = SkyCoord(83.63, 22.01, unit="deg")
NAN_CENTER = SkyCoord(np.nan, 22.01, unit="deg")
ENERGY = MapAxis.from_energy_bounds(0.1, 10, 5, per_decade=True, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")


def circle(center=CENTER, radius=0.3 * u.deg):
    return CircleSkyRegion(center, radius)


#: Regions with one non-finite parameter, and the words the message must hold.
BAD_REGIONS = {
    "circle centre": (lambda: circle(NAN_CENTER), r"\(CircleSkyRegion\): center holds a "
                                                  r"non-finite position"),
    "circle radius": (lambda: circle(radius=np.inf * u.deg), r"\(CircleSkyRegion\): radius is inf deg"),
    "ellipse width": (lambda: EllipseSkyRegion(CENTER, np.inf * u.deg, 0.3 * u.deg),
                      r"\(EllipseSkyRegion\): width is inf deg"),
    "ellipse angle": (lambda: EllipseSkyRegion(CENTER, 0.8 * u.deg, 0.3 * u.deg,
                                               Angle(np.nan, "deg")),
                      r"\(EllipseSkyRegion\): angle is nan deg"),
    "rectangle centre": (lambda: RectangleSkyRegion(NAN_CENTER, 0.6 * u.deg, 0.2 * u.deg),
                         r"\(RectangleSkyRegion\): center holds a non-finite position"),
    "polygon vertex": (lambda: PolygonSkyRegion(SkyCoord([83.2, np.nan, 83.6],
                                                         [21.8, 21.9, 22.5], unit="deg")),
                       r"\(PolygonSkyRegion\): vertices holds a non-finite position"),
    "annulus radius": (lambda: CircleAnnulusSkyRegion(CENTER, 0.2 * u.deg, np.inf * u.deg),
                       r"\(CircleAnnulusSkyRegion\): outer_radius is inf deg"),
    "compound part": (lambda: circle() | circle(NAN_CENTER),
                      r"\(CompoundSkyRegion\).region2 \(CircleSkyRegion\): center holds"),
    "point": (lambda: PointSkyRegion(CENTER), r"\(PointSkyRegion\) has no area"),
    "line": (lambda: LineSkyRegion(CENTER, CENTER.directional_offset_by(0 * u.deg, 1 * u.deg)),
             r"\(LineSkyRegion\) has no area"),
}


@pytest.mark.parametrize("kind", sorted(BAD_REGIONS))
def test_a_region_with_a_non_finite_parameter_or_no_area_is_refused_naming_it(kind):
    make, match = BAD_REGIONS[kind]
    with pytest.raises(BaccmodValueError, match=r"exclude_regions\[1\] " + match):
        excluded_areas([circle(), make()])


@pytest.mark.parametrize("creator", [RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator])
def test_creators_refuse_them_in_the_constructor(creator):
    with pytest.raises(BaccmodValueError, match=r"exclude_regions\[0\] \(CircleSkyRegion\)"):
        creator(ENERGY, OFFSET, exclude_regions=circle(NAN_CENTER))


def test_a_region_inside_a_regions_list_is_named_by_its_place():
    regions = Regions([circle(), circle(NAN_CENTER)])
    with pytest.raises(BaccmodValueError, match=r"exclude_regions\[0\] \(Regions\)\[1\] "
                                                r"\(CircleSkyRegion\)"):
        excluded_areas(regions)


def mask(skydir=(83.63, 22.01), binsz=0.1):
    geom = WcsGeom.create(skydir=skydir, width=1 * u.deg, binsz=binsz)
    exclusion = Map.from_geom(geom, dtype=bool)
    exclusion.data[:] = True
    exclusion.data[3:5, 3:5] = False
    return exclusion


def test_a_mask_without_a_valid_wcs_is_refused_naming_it():
    broken = mask(skydir=(np.nan, 22.01))  # astropy maps its pixels to arbitrary positions
    with pytest.raises(BaccmodValueError, match=r"exclude_regions\[0\] \(WcsNDMap\): the mask "
                                                "has no valid celestial WCS"):
        excluded_areas(broken)


def test_a_valid_mask_and_finite_regions_are_accepted():
    areas = excluded_areas([mask(), circle(), circle() | circle(radius=0.5 * u.deg)])
    assert [a.label for a in areas] == ["exclude_regions[0] (WcsNDMap)",
                                        "exclude_regions[1] (CircleSkyRegion)",
                                        "exclude_regions[2] (CompoundSkyRegion)"]


@pytest.mark.parametrize("circle_values", [(np.nan, 0.1, 0.01), (0.1, np.inf, 0.01),
                                           (0.1, 0.1, np.nan), (0.1, 0.1, 0.0)])
def test_the_core_refuses_an_area_whose_bounding_circle_is_not_finite(circle_values):
    with pytest.raises(BaccmodValueError, match="my area: its bounding circle"):
        ExcludedArea(lambda lon, lat: lon > 0, *circle_values, label="my area")
