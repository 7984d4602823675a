"""Cutting a run's arrays in time: events, GTIs, livetime and rotation nodes per piece."""
import numpy as np

from baccmod.core.model import RunArrays
from baccmod.core.split import equal_pieces, split_run


def run_with_gaps():
    rng = np.random.default_rng(1)
    dt = np.sort(rng.uniform(-600, 600, 1000))
    return RunArrays(obs_id=1, livetime=0.9 * 1100.0, energy=rng.uniform(0.1, 1, dt.size),
                     lon=np.zeros(dt.size), lat=np.zeros(dt.size), pointing_lon=0.0,
                     pointing_lat=0.0, dt=dt, gti_starts=np.array([-600.0, 0.0]),
                     gti_stops=np.array([-100.0, 600.0]),
                     sky_to_altaz_matrices=np.repeat(np.eye(2)[None], 4, axis=0),
                     node_times=np.array([-450.0, -200.0, 150.0, 450.0]),
                     node_weights=np.array([250.0, 250.0, 300.0, 300.0]) * 0.9)


def test_pieces_share_events_and_livetime_exactly():
    run = run_with_gaps()
    pieces = split_run(run, [-300.0, 300.0, 5000.0])
    assert [round(mid) for _, mid in pieces] == [-450, 0, 450]
    assert sum(p.energy.size for p, _ in pieces) == run.energy.size
    assert sum(p.livetime for p, _ in pieces) == np.float64(run.livetime)
    # livetime = live fraction x GTI time inside the piece: 300 s, 200 + 300 s, 300 s
    assert np.allclose([p.livetime for p, _ in pieces], 0.9 * np.array([300, 500, 300]))
    for piece, _ in pieces:
        assert np.all((piece.dt >= piece.gti_starts.min()) & (piece.dt <= piece.gti_stops.max()))
        assert np.isclose(piece.node_weights.sum(), piece.livetime)


def test_a_piece_without_nodes_takes_the_nearest_one():
    run = run_with_gaps()
    pieces = split_run(run, [100.0, 120.0])
    middle, _ = pieces[1]
    assert list(middle.node_times) == [150.0]


def test_cuts_outside_the_run_leave_it_whole():
    run = run_with_gaps()
    (piece, mid), = split_run(run, [-900.0, 900.0])
    assert piece is run and mid == 0.0


def test_equal_pieces_are_no_longer_than_the_resolution():
    cuts = equal_pieces(run_with_gaps(), 250.0)
    assert np.allclose(cuts, [-360.0, -120.0, 120.0, 360.0])
