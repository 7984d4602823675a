"""Unexcluded fractions against analytic cases (core only, plain arrays)."""
import numpy as np
import pytest

from baccmod.core.exclusion import (ExcludedArea, grid_sub_pixel_count, grid_unexcluded_fraction,
                                    grid_unexcluded_fractions, ring_sub_cell_count,
                                    ring_unexcluded_fraction)
from baccmod.core.fov import angular_separation, fov_radec_to_sky, sky_to_fov_radec

LON0, LAT0 = np.deg2rad(120.0), np.deg2rad(-40.0)
IDENTITY = np.eye(2)[None]
QUARTER_TURN = np.array([[[0.0, 1.0], [-1.0, 0.0]]])  # sky +lat -> AltAz +lon


def circle(fov_lon_deg, fov_lat_deg, radius_deg):
    lon, lat = fov_radec_to_sky(np.deg2rad(fov_lon_deg), np.deg2rad(fov_lat_deg), LON0, LAT0)
    r = np.deg2rad(radius_deg)
    return ExcludedArea(lambda x, y: angular_separation(lon, lat, x, y) <= r,
                        float(lon), float(lat), r)


def half_plane_west():
    """Sky-aligned fov_lon > 0 (west of the pointing), everywhere in the field."""
    def contains(lon, lat):
        return sky_to_fov_radec(lon, lat, LON0, LAT0)[0] > 0
    return ExcludedArea(contains, LON0, LAT0, np.pi / 2)


def grid_edges(half_width_deg=1.0, n=10):
    return np.deg2rad(np.linspace(-half_width_deg, half_width_deg, n + 1))


def test_circle_inside_one_bin_removes_its_area():
    edges = grid_edges()
    radius = 0.06
    area = circle(0.1, 0.3, radius)  # centre of the bin lon [0, 0.2], lat [0.2, 0.4]
    fraction = grid_unexcluded_fraction(edges, edges, 20, [area], LON0, LAT0, IDENTITY, [1.0])
    cap = 2 * np.pi * (1 - np.cos(np.deg2rad(radius)))
    bin_solid_angle = np.deg2rad(0.2) * (np.sin(np.deg2rad(0.4)) - np.sin(np.deg2rad(0.2)))
    expected = 1 - cap / bin_solid_angle
    assert fraction[5, 6] == pytest.approx(expected, rel=0.01)
    others = np.ones_like(fraction, dtype=bool)
    others[5, 6] = False
    assert np.all(fraction[others] == 1.0)


def test_half_plane_follows_the_field_rotation():
    edges = grid_edges()
    fixed = grid_unexcluded_fraction(edges, edges, 5, [half_plane_west()], LON0, LAT0,
                                     IDENTITY, [1.0])
    assert np.all(fixed[5:, :] == 0.0) and np.all(fixed[:5, :] == 1.0)
    # half the time turned by 90 degrees: the excluded side is then AltAz fov_lat < 0
    matrices = np.concatenate([IDENTITY, QUARTER_TURN])
    turning = grid_unexcluded_fraction(edges, edges, 5, [half_plane_west()], LON0, LAT0,
                                       matrices, [1.0, 1.0])
    assert np.allclose(turning[:5, 5:], 1.0)   # lon < 0, lat > 0: never excluded
    assert np.allclose(turning[5:, :5], 0.0)   # lon > 0, lat < 0: always excluded
    assert np.allclose(turning[:5, :5], 0.5) and np.allclose(turning[5:, 5:], 0.5)


def test_ring_fraction_of_a_centred_circle():
    edges = np.deg2rad([0.0, 0.25, 0.5, 0.75, 1.0])
    radius = 0.6
    fraction = ring_unexcluded_fraction(edges, 10, [circle(0.0, 0.0, radius)], LON0, LAT0)
    r1, r2, r = np.deg2rad(0.5), np.deg2rad(0.75), np.deg2rad(radius)
    expected = 1 - (np.cos(r1) - np.cos(r)) / (np.cos(r1) - np.cos(r2))
    np.testing.assert_allclose(fraction, [0.0, 0.0, expected, 1.0], atol=0.01 * expected)


def test_half_plane_removes_half_of_every_ring():
    edges = np.deg2rad([0.0, 0.5, 1.0, 2.0])
    fraction = ring_unexcluded_fraction(edges, 5, [half_plane_west()], LON0, LAT0)
    np.testing.assert_allclose(fraction, 0.5, rtol=0.01)


def test_areas_far_from_the_field_are_never_tested():
    def explode(lon, lat):
        raise AssertionError("a far area was tested")
    far = ExcludedArea(explode, LON0 + np.deg2rad(20), LAT0, np.deg2rad(1.0))
    edges = grid_edges()
    assert np.all(grid_unexcluded_fraction(edges, edges, 5, [far], LON0, LAT0, IDENTITY,
                                           [1.0]) == 1.0)
    assert np.all(ring_unexcluded_fraction(np.deg2rad([0, 1, 2.0]), 5, [far], LON0, LAT0) == 1)


def test_fraction_within_a_circle_integrates_to_its_cap():
    edges = grid_edges()
    radius = np.deg2rad(1.0)
    solid_angle = np.outer(np.diff(edges), np.diff(np.sin(edges)))
    area = circle(0.5, 0.0, 0.1)
    fraction, within = grid_unexcluded_fractions(edges, edges, 20, [area], LON0, LAT0,
                                                 IDENTITY, [1.0], within_offset=radius)
    cap = 2 * np.pi * (1 - np.cos(radius)) - 2 * np.pi * (1 - np.cos(np.deg2rad(0.1)))
    assert np.sum(within * solid_angle) == pytest.approx(cap, rel=0.005)
    np.testing.assert_array_equal(
        fraction, grid_unexcluded_fraction(edges, edges, 20, [area], LON0, LAT0, IDENTITY, [1.0]))
    assert np.all(within <= fraction) and within[0, 0] == 0.0  # corner bin: outside the circle


def test_integration_in_blocks_gives_the_fractions_of_one_block(monkeypatch):
    import baccmod.core.exclusion as exclusion
    edges = grid_edges()
    areas = [circle(0.3, 0.2, 0.25), half_plane_west()]
    matrices = np.concatenate([IDENTITY, QUARTER_TURN])
    args = (edges, edges, 7, areas, LON0, LAT0, matrices, [1.0, 2.0], np.deg2rad(0.9))
    whole = grid_unexcluded_fractions(*args)
    for block in (1, 50, 7 * 10 * 3):  # one sub-pixel row, a part of a bin, several bins
        monkeypatch.setattr(exclusion, "SUB_PIXEL_BLOCK", block)
        for got, expected in zip(grid_unexcluded_fractions(*args), whole):
            np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)


def counting_area():
    """An area around the pointing holding the whole field, counting the points it tests."""
    tested = []

    def contains(lon, lat):
        tested.append(lon.size)
        return np.zeros(lon.shape, dtype=bool)
    return ExcludedArea(contains, LON0, LAT0, np.deg2rad(5.0)), tested


def test_the_sub_cell_counts_are_the_points_tested():
    area, tested = counting_area()
    ring_edges = np.deg2rad([0.0, 0.25, 1.0, 2.0])
    ring_unexcluded_fraction(ring_edges, 6, [area], LON0, LAT0)
    assert sum(tested) == ring_sub_cell_count(ring_edges, 6)
    assert ring_sub_cell_count(ring_edges, 6) >= 4 * 3 * 6 ** 2
    tested.clear()
    edges = grid_edges(n=6)
    grid_unexcluded_fraction(edges, edges, 5, [area], LON0, LAT0, IDENTITY, [1.0])
    assert sum(tested) == grid_sub_pixel_count(edges, edges, 5) == (6 * 5) ** 2


def test_a_bin_excluded_at_every_time_node_has_no_exposure_left():
    """Time weights that do not sum exactly to 1 must not leave a rounding residue: a bin
    excluded all the time with a fraction of ~1e-16 would turn a stray event into a rate
    1e16 times too high."""
    edges = grid_edges()
    n_nodes = 10
    fraction = grid_unexcluded_fraction(edges, edges, 5, [half_plane_west()], LON0, LAT0,
                                        np.repeat(IDENTITY, n_nodes, axis=0),
                                        np.full(n_nodes, 0.1))
    assert np.all(fraction[5:, :] == 0.0)
    assert np.all(fraction[:5, :] == 1.0)
