"""Counts cubes: half-open bins, events outside or NaN not counted, the keep mask honoured;
the radial and 3D histograms follow the same rule, which the bin search computes exactly."""
import numpy as np
import pytest

from baccmod.core.histogram import bin_index, count_energy_fov, count_energy_offset

ENERGY_EDGES = np.array([0.1, 1.0, 10.0])
OFFSET_EDGES = np.array([0.0, 0.5, 1.0, 2.0])


def test_bins_are_half_open_and_outside_events_are_not_counted():
    energy = np.array([0.1, 1.0, 9.999, 10.0, 0.05, np.nan, 0.5])
    offset = np.array([0.0, 0.5, 1.999, 0.2, 0.2, 0.2, 2.0])
    counts = count_energy_offset(energy, offset, ENERGY_EDGES, OFFSET_EDGES)
    expected = np.zeros((2, 3))
    expected[0, 0] = 1  # (0.1, 0.0): both lower edges belong to the bin
    expected[1, 1] = 1  # (1.0, 0.5)
    expected[1, 2] = 1  # (9.999, 1.999)
    # (10.0, .) and (., 2.0) lie on the upper edges, 0.05 below, NaN nowhere
    np.testing.assert_array_equal(counts, expected)


def test_the_keep_mask_leaves_events_out():
    rng = np.random.default_rng(1)
    energy = 10 ** rng.uniform(-1, 1, 1000)
    offset = rng.uniform(0, 2, 1000)
    keep = rng.uniform(size=1000) < 0.3
    kept = count_energy_offset(energy, offset, ENERGY_EDGES, OFFSET_EDGES, keep)
    np.testing.assert_array_equal(
        kept, count_energy_offset(energy[keep], offset[keep], ENERGY_EDGES, OFFSET_EDGES))
    assert kept.sum() == keep.sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_radial_and_3d_histograms_follow_the_same_rule(seed):
    rng = np.random.default_rng(seed)
    n = 5000
    # values on the edges and outside them too
    energy = rng.choice(np.concatenate([ENERGY_EDGES, 10 ** rng.uniform(-1.5, 1.5, 50)]), n)
    offset = rng.choice(np.concatenate([OFFSET_EDGES, rng.uniform(-0.5, 2.5, 50)]), n)
    keep = rng.uniform(size=n) < 0.8
    radial = count_energy_offset(energy, offset, ENERGY_EDGES, OFFSET_EDGES, keep)
    grid = count_energy_fov(energy, offset, np.zeros(n), ENERGY_EDGES, OFFSET_EDGES,
                            np.array([-1.0, 1.0]), keep)
    np.testing.assert_array_equal(radial, grid[:, :, 0])
    assert radial.sum() > 0


EDGES = {"linear": np.linspace(-0.035, 0.035, 13), "log": np.logspace(-1, 1, 11),
         "log, many": np.logspace(-1.5, 2.5, 81), "irregular": np.array([0.0, 0.1, 0.5, 2.0]),
         "one bin": np.array([1.0, 3.0]), "rad": np.deg2rad(np.linspace(0, 2, 7))}


@pytest.mark.parametrize("edges", EDGES.values(), ids=EDGES.keys())
def test_the_bin_search_is_the_binary_searchs(edges):
    rng = np.random.default_rng(4)
    span = edges[-1] - edges[0]
    values = np.concatenate([rng.uniform(edges[0] - span, edges[-1] + span, 20000), edges,
                             np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf),
                             [np.nan, np.inf, -np.inf, 0.0, -1.0]])
    expected = np.searchsorted(edges, values, side="right") - 1
    expected[(expected == edges.size - 1) | np.isnan(values)] = -1
    np.testing.assert_array_equal(bin_index(values, edges), expected)
