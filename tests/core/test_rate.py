"""Rate definitions: counts / exposure, filling of unexposed bins, energy interpolation."""
import numpy as np

from baccmod.core.exclusion import ExcludedArea
from baccmod.core.fov import fov_radec_to_sky, sky_to_fov_radec
from baccmod.core.model import GridAccumulator, RunArrays
from baccmod.core.rate import (fill_unexposed, grid_solid_angle, interpolate_energy,
                               rate_from_counts, ring_solid_angle)


def test_solid_angles_sum_to_the_whole():
    assert np.isclose(ring_solid_angle(np.array([0, np.pi])).sum(), 4 * np.pi)
    edges = np.deg2rad(np.linspace(-1, 1, 5))
    lat = np.deg2rad(1.0)
    assert np.isclose(grid_solid_angle(edges, edges).sum(), 2 * lat * 2 * np.sin(lat))


def test_rate_is_counts_over_exposure_and_zero_without_exposure():
    rate = rate_from_counts(np.array([[4.0, 3.0]]), np.array([[2.0, 0.0]]))
    assert rate.tolist() == [[2.0, 0.0]]


def test_unexposed_bin_takes_its_ring_neighbours_first():
    # 3x3 grid: centre bin in ring 0, the 8 others in ring 1
    rate = np.arange(9, dtype=float).reshape(1, 3, 3)
    exposed = np.ones((3, 3), dtype=bool)
    exposed[0, 1] = False
    groups = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]])
    pos = np.stack(np.meshgrid([-1.0, 0, 1], [-1.0, 0, 1], indexing="ij"), axis=-1)
    filled, n = fill_unexposed(rate, exposed, groups, pos)
    assert n == 1
    # nearest exposed bins of the same ring: (0, 0) and (0, 2), values 0 and 2 -> mean 1
    assert filled[0, 0, 1] == 1.0
    # the centre, alone in its ring, takes the nearest ring's nearest bins when unexposed
    exposed = np.ones((3, 3), dtype=bool)
    exposed[1, 1] = False
    filled, _ = fill_unexposed(rate, exposed, groups, pos)
    assert filled[0, 1, 1] == np.mean([1.0, 3.0, 5.0, 7.0])


def test_energy_interpolation_is_exact_for_power_laws_and_keeps_zeros():
    source = np.logspace(-1, 1, 11)
    centres = np.sqrt(source[1:] * source[:-1])
    rate = (centres ** -2.7)[:, None] * np.array([1.0, 3.0])
    rate[-1, 1] = 0.0  # an empty last bin in the second column
    target = np.logspace(-1, 1, 6)
    out = interpolate_energy(rate, source, target)
    t_centres = np.sqrt(target[1:] * target[:-1])
    np.testing.assert_allclose(out[:, 0], t_centres ** -2.7, rtol=1e-10)
    assert out[-1, 1] == 0.0 and np.all(out >= 0) and np.all(np.isfinite(out))


def test_fully_excluded_bins_get_filled_with_a_warning(caplog):
    n = 4000
    rng = np.random.default_rng(2)
    fov_lon, fov_lat = rng.uniform(-0.02, 0.02, n), rng.uniform(-0.02, 0.02, n)
    lon, lat = fov_radec_to_sky(fov_lon, fov_lat, 0.0, 0.0)
    run = RunArrays(1, 100.0, np.full(n, 1.0), lon, lat, 0.0, 0.0, fov_lon=fov_lon,
                    fov_lat=fov_lat, sky_to_altaz_matrices=np.eye(2)[None],
                    node_weights=np.ones(1))

    def lower_left_bin(x, y):  # fov_lon and fov_lat both in [-0.02, -0.01]
        fx, fy = sky_to_fov_radec(x, y, 0.0, 0.0)
        return (fx < -0.01) & (fy < -0.01)

    corner = ExcludedArea(lower_left_bin, *fov_radec_to_sky(-0.015, -0.015, 0.0, 0.0), 0.01)
    acc = GridAccumulator(np.array([0.5, 2.0]), np.linspace(-0.02, 0.02, 5),
                          np.linspace(-0.02, 0.02, 5), 4)
    acc.add(run, [corner])
    with caplog.at_level("WARNING"):
        cube = acc.result()
    assert cube.n_filled == 1 and "1 spatial bins" in caplog.text
    assert np.all(np.isfinite(cube.rate)) and cube.rate[0, 0, 0] > 0
