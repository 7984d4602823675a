"""Zenith binning: wobble groups, fine and final cos(zenith) bin edges, bin centres, crossings.

Unless said otherwise the fine bins have width 0.1: edges 0, 0.1, ..., 1.
"""
import subprocess
import sys

import numpy as np
import pytest

from baccmod.core.zenith import (angle_crossing_times, bin_cos_zenith_centres, bin_zenith_deg,
                                 cos_zenith_bin_edges, cos_zenith_bin_index,
                                 edge_crossing_times, fine_cos_zenith_edges, wobble_groups)
from baccmod.errors import BaccmodValueError

FINE = fine_cos_zenith_edges(0.1)


def edges_for(cos_zenith, weight, threshold, wobble=None):
    """Final edges on FINE; one wobble label unless ``wobble`` is given."""
    wobble = np.zeros(len(cos_zenith), dtype=int) if wobble is None else wobble
    return cos_zenith_bin_edges(np.array(cos_zenith), np.array(weight, dtype=float),
                                np.array(wobble), FINE, threshold)


# ---------------------------------------------------------------- fine edges and bin index

def test_fine_edges_of_width_tenth_are_eleven_edges_from_0_to_1():
    np.testing.assert_allclose(FINE, np.arange(11) / 10, atol=1e-15)


def test_fine_edges_width_not_dividing_1_gives_narrower_equal_bins():
    np.testing.assert_allclose(fine_cos_zenith_edges(0.3), [0, 0.25, 0.5, 0.75, 1])
    assert len(fine_cos_zenith_edges(0.01)) == 101


@pytest.mark.parametrize("width", [0, 1, -0.1, 1.5, np.nan])
def test_fine_edges_refuse_width_outside_0_1(width):
    with pytest.raises(BaccmodValueError, match=r"initial_cos_zenith_binning must be in \(0, 1\)"):
        fine_cos_zenith_edges(width)


def test_value_on_an_edge_goes_to_the_bin_above_and_1_to_the_last_bin():
    index = cos_zenith_bin_index(np.array([0.0, 0.05, 0.1, 0.6, 0.65, 0.99, 1.0]), FINE)
    np.testing.assert_array_equal(index, [0, 0, 1, 6, 6, 9, 9])
    assert index.dtype.kind == "i"


# ---------------------------------------------------------------- min_livetime

def test_min_livetime_closes_bins_and_remainder_joins_last_closed_bin():
    # [0.5, 0.6): 1000 + 2000 = 3000 s -> closes at 0.6; [0.7, 0.8): 3000 s -> closes at 0.8;
    # 500 s at 0.91 never reaches 3000 s: it joins [0.6, 0.8], which becomes [0.6, 1].
    edges = edges_for([0.55, 0.58, 0.72, 0.91], [1000, 2000, 3000, 500], 3000)
    np.testing.assert_allclose(edges, [0, 0.6, 1])


def test_min_livetime_closing_in_the_last_fine_bin_keeps_every_closed_bin():
    # as above but 3000 s at 0.91: the third bin closes at 1, nothing remains open
    edges = edges_for([0.55, 0.58, 0.72, 0.91], [1000, 2000, 3000, 3000], 3000)
    np.testing.assert_allclose(edges, [0, 0.6, 0.8, 1])


def test_min_livetime_empty_remainder_also_joins_last_closed_bin():
    # closes at 0.6 and 0.8; fine bins 0.8..1 hold nothing and merge into [0.6, 1]
    edges = edges_for([0.55, 0.72], [3000, 3000], 3000)
    np.testing.assert_allclose(edges, [0, 0.6, 1])


def test_min_livetime_accumulates_over_several_fine_bins():
    # 1000 s each at 0.15, 0.35, 0.55: the open bin reaches 3000 s only in [0.5, 0.6)
    edges = edges_for([0.15, 0.35, 0.55, 0.95], [1000, 1000, 1000, 3000], 3000)
    np.testing.assert_allclose(edges, [0, 0.6, 1])


def test_min_livetime_never_reached_gives_one_bin():
    edges = edges_for([0.15, 0.55, 0.95], [1000, 1000, 900], 3000)
    np.testing.assert_allclose(edges, [0, 1])


def test_min_livetime_threshold_reached_exactly_closes_the_bin():
    edges = edges_for([0.35, 0.38, 0.95], [1000, 2000, 3000], 3000)
    np.testing.assert_allclose(edges, [0, 0.4, 1])


def test_min_livetime_just_below_threshold_does_not_close():
    edges = edges_for([0.35, 0.38, 0.95], [1000, 1999.9, 3000], 3000)
    np.testing.assert_allclose(edges, [0, 1])


def test_threshold_reached_up_to_rounding_closes_the_bin():
    # 0.7 + 0.2 + 0.1 == 0.9999999999999999 in floating point
    edges = edges_for([0.31, 0.32, 0.33, 0.95], [0.7, 0.2, 0.1, 1.0], 1.0)
    np.testing.assert_allclose(edges, [0, 0.4, 1])


def test_run_on_a_fine_edge_counts_in_the_bin_above():
    # 0.6 belongs to [0.6, 0.7): [0.5, 0.6) holds only 1000 s, the bin closes at 0.7 with 3000 s.
    # (Were 0.6 counted below, the bin would close at 0.6.)
    edges = edges_for([0.55, 0.6, 0.65, 0.95], [1000, 1000, 1000, 2000], 2000)
    np.testing.assert_allclose(edges, [0, 0.7, 1])


def test_run_at_cos_zenith_1_counts_in_the_last_fine_bin():
    edges = edges_for([0.55, 1.0], [3000, 3000], 3000)
    np.testing.assert_allclose(edges, [0, 0.6, 1])
    edges = edges_for([0.55, 1.0], [3000, 2999], 3000)
    np.testing.assert_allclose(edges, [0, 1])


def test_edges_are_a_subset_of_the_fine_edges():
    rng = np.random.default_rng(5)
    cos_zenith = rng.uniform(0.3, 1.0, 60)
    edges = cos_zenith_bin_edges(cos_zenith, rng.uniform(600, 1800, 60), np.zeros(60, int),
                                 fine_cos_zenith_edges(0.01), 5000)
    assert np.isin(edges, fine_cos_zenith_edges(0.01)).all()
    assert edges[0] == 0 and edges[-1] == 1 and np.all(np.diff(edges) > 0)
    livetime_per_bin = np.histogram(cos_zenith, edges, weights=np.ones(60))[0]
    assert len(edges) > 3 and livetime_per_bin.min() > 0


# ---------------------------------------------------------------- min_n_observation

def test_min_n_observation_counts_runs():
    # threshold 2 runs: 0.15 and 0.42 close at 0.5; 0.61, 0.65 at 0.7; 0.81, 0.83 at 0.9;
    # the single run at 0.97 joins [0.7, 0.9] -> [0.7, 1]
    cos_zenith = [0.15, 0.42, 0.61, 0.65, 0.81, 0.83, 0.97]
    edges = edges_for(cos_zenith, np.ones(7), 2)
    np.testing.assert_allclose(edges, [0, 0.5, 0.7, 1])


def test_min_n_observation_two_runs_in_one_fine_bin_close_it():
    edges = edges_for([0.12, 0.18, 0.91, 0.99], np.ones(4), 2)
    np.testing.assert_allclose(edges, [0, 0.2, 1])


def test_min_n_observation_single_run_gives_one_bin():
    np.testing.assert_allclose(edges_for([0.5], [1], 2), [0, 1])


# ---------------------------------------------------------------- per wobble

# wobble 0: two runs in [0.1, 0.2); wobble 1: one in [0.3, 0.4), one in [0.4, 0.5)
# -> the first bin closes at 0.5, when wobble 1 has its second run. Then both wobbles have
# two runs in [0.5, 0.6) (closes at 0.6) and two in [0.9, 1] (closes at 1).
WOBBLE_COS_ZENITH = [0.12, 0.15, 0.33, 0.45, 0.55, 0.56, 0.57, 0.58, 0.92, 0.97, 0.95, 1.0]
WOBBLE_LABELS = [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]


def test_per_wobble_bin_closes_only_when_every_wobble_reaches_threshold():
    edges = edges_for(WOBBLE_COS_ZENITH, np.ones(12), 2, wobble=WOBBLE_LABELS)
    np.testing.assert_allclose(edges, [0, 0.5, 0.6, 1])


def test_same_runs_without_wobble_split_close_earlier():
    edges = edges_for(WOBBLE_COS_ZENITH, np.ones(12), 2)
    np.testing.assert_allclose(edges, [0, 0.2, 0.5, 0.6, 1])


def test_per_wobble_labels_need_not_be_0_and_1():
    labels = np.where(np.array(WOBBLE_LABELS) == 0, 7, 3)
    edges = edges_for(WOBBLE_COS_ZENITH, np.ones(12), 2, wobble=labels)
    np.testing.assert_allclose(edges, [0, 0.5, 0.6, 1])


def test_per_wobble_livetime_uses_each_wobble_livetime():
    # wobble 0 has 3000 s in [0.2, 0.3) but wobble 1 only 1000 s there; wobble 1 gets 2000 s
    # more in [0.4, 0.5): the bin closes at 0.5. Then 3000 s each in [0.9, 1].
    edges = edges_for([0.25, 0.25, 0.45, 0.95, 0.95], [3000, 1000, 2000, 3000, 3000], 3000,
                      wobble=[0, 1, 1, 0, 1])
    np.testing.assert_allclose(edges, [0, 0.5, 1])


def test_single_wobble_gives_the_non_wobble_result():
    rng = np.random.default_rng(11)
    cos_zenith = rng.uniform(0.2, 1.0, 40)
    livetime = rng.uniform(600, 1800, 40)
    fine = fine_cos_zenith_edges(0.02)
    plain = cos_zenith_bin_edges(cos_zenith, livetime, np.zeros(40, int), fine, 4000)
    one_wobble = cos_zenith_bin_edges(cos_zenith, livetime, np.full(40, 5), fine, 4000)
    np.testing.assert_array_equal(plain, one_wobble)
    assert len(plain) > 3


# ---------------------------------------------------------------- bad input of the binning

@pytest.mark.parametrize("threshold", [0, -1, -3600.0, np.nan])
def test_binning_refuses_threshold_not_positive(threshold):
    with pytest.raises(BaccmodValueError, match="threshold"):
        edges_for([0.5], [1000], threshold)


@pytest.mark.parametrize("cos_zenith", [1.2, -0.1, np.nan])
def test_binning_refuses_cos_zenith_outside_0_1(cos_zenith):
    with pytest.raises(BaccmodValueError, match=r"cos\(zenith\) must lie in \[0.0, 1.0\]"):
        edges_for([0.5, cos_zenith], [1000, 1000], 1000)


def test_binning_refuses_no_run():
    with pytest.raises(BaccmodValueError, match="no run"):
        edges_for([], [], 1000)


def test_binning_refuses_arrays_of_different_lengths():
    with pytest.raises(BaccmodValueError, match="one length"):
        cos_zenith_bin_edges(np.array([0.5, 0.6]), np.array([1000.0]), np.zeros(2, int), FINE, 1)


def test_binning_refuses_negative_livetime():
    with pytest.raises(BaccmodValueError, match=">= 0"):
        edges_for([0.5, 0.6], [1000, -1], 1000)


# ---------------------------------------------------------------- wobble groups

def four_wobbles_deg(ra0=83.63, dec0=22.01, offset=0.5):
    """RA, Dec (deg) of pointings offset by ``offset`` deg north, east, south, west."""
    d_ra = offset / np.cos(np.radians(dec0))
    return (np.array([ra0, ra0 + d_ra, ra0, ra0 - d_ra]),
            np.array([dec0 + offset, dec0, dec0 - offset, dec0]))


def groups_deg(ra_deg, dec_deg, max_separation_deg):
    return wobble_groups(np.radians(ra_deg), np.radians(dec_deg), np.radians(max_separation_deg))


def test_four_wobble_positions_make_four_groups():
    ra, dec = four_wobbles_deg()
    labels = groups_deg(ra, dec, 0.4)
    np.testing.assert_array_equal(labels, [0, 1, 2, 3])
    assert labels.dtype.kind == "i"


def test_repeated_wobble_positions_join_their_group():
    ra, dec = four_wobbles_deg()
    order = np.array([2, 0, 2, 3, 1, 1, 0, 3, 2])
    jitter = np.random.default_rng(2).normal(0, 0.02, (2, order.size))
    labels = groups_deg(ra[order] + jitter[0], dec[order] + jitter[1], 0.4)
    # labels in order of first appearance: position 2 -> 0, 0 -> 1, 3 -> 2, 1 -> 3
    np.testing.assert_array_equal(labels, [0, 1, 0, 2, 3, 3, 1, 2, 0])


def test_pointings_across_ra_0_are_one_group():
    labels = groups_deg([359.9, 0.05, 359.95, 180.0], [10.0, 10.0, 10.1, 10.0], 0.4)
    np.testing.assert_array_equal(labels, [0, 0, 0, 1])


def test_pointings_near_the_pole_are_one_group():
    # 0.1 deg from the pole on opposite sides: 0.2 deg apart despite RA 0 vs 180
    labels = groups_deg([0.0, 180.0, 90.0], [89.9, 89.9, 89.9], 0.4)
    np.testing.assert_array_equal(labels, [0, 0, 0])


def test_run_joins_group_by_its_mean_direction_not_its_first_member():
    # 0.5 deg from the first member but 0.35 deg from the group mean (RA 0.15 deg)
    labels = groups_deg([0.0, 0.3, 0.5], [0.0, 0.0, 0.0], 0.4)
    np.testing.assert_array_equal(labels, [0, 0, 0])
    # without the second run the third is too far
    np.testing.assert_array_equal(groups_deg([0.0, 0.5], [0.0, 0.0], 0.4), [0, 1])


def test_run_near_two_groups_joins_the_first():
    labels = groups_deg([0.6, 0.0, 0.3], [0.0, 0.0, 0.0], 0.4)
    np.testing.assert_array_equal(labels, [0, 1, 0])


def test_no_run_gives_no_label():
    labels = wobble_groups(np.array([]), np.array([]), 0.01)
    assert labels.shape == (0,) and labels.dtype.kind == "i"


# ---------------------------------------------------------------- bin centres

def test_centre_is_livetime_weighted_mean_and_empty_bin_gets_mid_point():
    # bin [0, 0.5): (0.2 * 1000 + 0.4 * 3000) / 4000 = 0.35; bin [0.5, 1] is empty -> 0.75
    centres = bin_cos_zenith_centres(np.array([0.2, 0.4]), np.array([1000.0, 3000.0]),
                                     np.array([0, 0.5, 1]))
    np.testing.assert_allclose(centres, [0.35, 0.75])


def test_centre_counts_a_run_on_an_edge_in_the_bin_above():
    centres = bin_cos_zenith_centres(np.array([0.5, 0.7]), np.array([1000.0, 1000.0]),
                                     np.array([0, 0.5, 1]))
    np.testing.assert_allclose(centres, [0.25, 0.6])


def test_centres_without_entries_are_mid_points():
    centres = bin_cos_zenith_centres(np.array([]), np.array([]), np.array([0, 0.4, 1]))
    np.testing.assert_allclose(centres, [0.2, 0.7])


def test_bin_zenith_is_arccos_of_centre_in_degrees():
    zenith = bin_zenith_deg(np.array([0.5, 1.0]), np.array([100.0, 100.0]),
                            np.array([0, 0.6, 1]))
    np.testing.assert_allclose(zenith, [60.0, 0.0], atol=1e-12)


def test_centres_refuse_cos_zenith_outside_edges():
    with pytest.raises(BaccmodValueError, match="cos\\(zenith\\) must lie"):
        bin_cos_zenith_centres(np.array([1.2]), np.array([100.0]), np.array([0, 0.5, 1]))


# ---------------------------------------------------------------- crossing times

def test_linear_track_crosses_interior_edges_at_interpolated_times():
    # 0.45 -> 0.75 in 100 s crosses 0.5, 0.6, 0.7 at 100 * (0.05, 0.15, 0.25) / 0.3
    times = edge_crossing_times(np.array([0.0, 100.0]), np.array([0.45, 0.75]), FINE)
    np.testing.assert_allclose(times, [50 / 3, 50, 250 / 3])


def test_track_going_down_and_up_crosses_an_edge_twice():
    times = edge_crossing_times(np.array([0.0, 10.0, 20.0]), np.array([0.62, 0.58, 0.65]), FINE)
    np.testing.assert_allclose(times, [5.0, 10 + 10 * 0.02 / 0.07])


def test_outer_edges_are_not_crossings():
    times = edge_crossing_times(np.array([0.0, 80.0]), np.array([0.1, 0.9]),
                                np.array([0.2, 0.5, 0.8]))
    np.testing.assert_allclose(times, [40.0])


def test_track_through_an_edge_at_a_node_gives_one_crossing():
    times = edge_crossing_times(np.array([0.0, 10.0, 20.0]), np.array([0.45, 0.5, 0.55]), FINE)
    np.testing.assert_allclose(times, [10.0])


def test_track_touching_an_edge_from_above_stays_in_its_bin():
    # 0.5 belongs to [0.5, 0.6): the track never leaves that bin
    times = edge_crossing_times(np.array([0.0, 10.0, 20.0]), np.array([0.55, 0.5, 0.55]), FINE)
    assert times.shape == (0,)


def test_track_inside_one_bin_has_no_crossing():
    times = edge_crossing_times(np.array([0.0, 10.0, 20.0]), np.array([0.41, 0.49, 0.42]), FINE)
    assert times.shape == (0,)


def test_track_times_must_increase():
    with pytest.raises(BaccmodValueError, match="strictly increasing"):
        edge_crossing_times(np.array([0.0, 10.0, 10.0]), np.array([0.4, 0.5, 0.6]), FINE)


def azimuth_crossings_deg(times, azimuth_deg):
    return angle_crossing_times(np.array(times, dtype=float), np.radians(azimuth_deg),
                                np.array([0.0, np.pi]))


def test_azimuth_track_through_north_crosses_boundary_0():
    # 340 -> 370 deg (the short way, through north): 360 is reached after 20 / 30 of 90 s
    np.testing.assert_allclose(azimuth_crossings_deg([0, 90], [340, 10]), [60.0])
    np.testing.assert_allclose(azimuth_crossings_deg([0, 90], [10, 340]), [30.0])


def test_azimuth_track_through_south_crosses_boundary_pi():
    np.testing.assert_allclose(azimuth_crossings_deg([0, 100], [170, 190]), [50.0])
    np.testing.assert_allclose(azimuth_crossings_deg([0, 100], [185, 165]), [25.0])


def test_azimuth_track_through_north_then_south():
    # 340 -> 370 (north at t = 100 * 20 / 30), then 370 -> 550 (south, 540, at
    # t = 100 + 100 * 170 / 180)
    times = azimuth_crossings_deg([0, 100, 200], [340, 10, 190])
    np.testing.assert_allclose(times, [200 / 3, 100 + 100 * 170 / 180])


def test_azimuth_track_away_from_boundaries_has_no_crossing():
    assert azimuth_crossings_deg([0, 100, 200], [20, 90, 160]).shape == (0,)


# ---------------------------------------------------------------- dependencies

def test_zenith_module_imports_without_gammapy_regions_astropy():
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('gammapy', 'regions', 'astropy'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import baccmod.core.zenith\n"
        "print('ok')\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_an_infinite_threshold_gives_one_bin_for_all():
    edges = cos_zenith_bin_edges(np.array([0.55, 0.91]), np.array([1e6, 1e6]),
                                 np.zeros(2, dtype=int), fine_cos_zenith_edges(0.1), np.inf)
    np.testing.assert_array_equal(edges, [0.0, 1.0])
