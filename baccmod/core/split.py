"""Time pieces of a run: cutting a run's arrays at given times, and its pointing track.

A piece keeps the events whose time lies in it, its share of the good time intervals (GTIs),
the livetime of that share (the run's live fraction times the GTI time) and, for 3D models,
the rotation nodes whose times lie in it (the nearest node when none does).
"""
from dataclasses import replace

import numpy as np


def live_fraction(run):
    """Livetime per second of GTI of a run (gammapy's DEADC)."""
    return run.livetime / float(np.sum(run.gti_stops - run.gti_starts))


def gti_overlap(gti_starts, gti_stops, start, stop):
    """Seconds of the GTIs inside [start, stop)."""
    return float(np.sum(np.clip(np.minimum(gti_stops, stop) - np.maximum(gti_starts, start),
                                0.0, None)))


def track_value(run, times, values):
    """Linear interpolation of a track (``run.track_times``, ``values``) at ``times`` (s)."""
    return np.interp(times, run.track_times, values)


def cos_zenith_at(run, times):
    """cos(zenith) of the run's pointing at ``times`` (s from its reference time)."""
    return track_value(run, times, run.track_cos_zenith)


def azimuth_at(run, times):
    """Azimuth (rad, [0, 2 pi)) of the run's pointing at ``times``."""
    unwrapped = np.unwrap(run.track_azimuth)
    return np.mod(track_value(run, times, unwrapped), 2 * np.pi)


def run_span(run):
    """First GTI start and last GTI stop (s)."""
    return float(np.min(run.gti_starts)), float(np.max(run.gti_stops))


def piece_bounds(run, cut_times):
    """[(start, stop)] of the pieces of a run cut at ``cut_times`` (those inside its span);
    pieces without GTI time are dropped."""
    first, last = run_span(run)
    cuts = np.unique([t for t in np.asarray(cut_times, dtype=float) if first < t < last])
    edges = np.concatenate([[first], cuts, [last]])
    return [(a, b) for a, b in zip(edges[:-1], edges[1:])
            if gti_overlap(run.gti_starts, run.gti_stops, a, b) > 0]


def split_run(run, cut_times):
    """The pieces of a run cut at ``cut_times`` (s from its reference time).

    Parameters
    ----------
    run : RunArrays
        With ``dt``, ``gti_starts`` and ``gti_stops``.
    cut_times : array_like
        Cut times, s; those outside the run's span are ignored.

    Returns
    -------
    list of (RunArrays, float)
        Each piece and its mid-time (s), in time order. The last piece includes events at
        the run's last GTI stop.
    """
    bounds = piece_bounds(run, cut_times)
    if len(bounds) == 1:
        return [(run, 0.5 * sum(bounds[0]))]
    fraction = live_fraction(run)
    pieces = []
    for k, (start, stop) in enumerate(bounds):
        last = k == len(bounds) - 1
        in_piece = (run.dt >= start) & ((run.dt <= stop) if last else (run.dt < stop))
        starts = np.clip(run.gti_starts, start, stop)
        stops = np.clip(run.gti_stops, start, stop)
        keep = stops > starts
        livetime = fraction * float(np.sum(stops[keep] - starts[keep]))
        changes = dict(livetime=livetime, energy=run.energy[in_piece], lon=run.lon[in_piece],
                       lat=run.lat[in_piece], dt=run.dt[in_piece],
                       gti_starts=starts[keep], gti_stops=stops[keep])
        for name in ("fov_lon", "fov_lat"):
            if getattr(run, name) is not None:
                changes[name] = getattr(run, name)[in_piece]
        if run.node_times is not None:
            changes.update(_piece_nodes(run, start, stop, livetime))
        pieces.append((replace(run, **changes), 0.5 * (start + stop)))
    return pieces


def _piece_nodes(run, start, stop, livetime):
    """Rotation nodes of a piece: those inside it, re-weighted to its livetime."""
    inside = (run.node_times >= start) & (run.node_times < stop)
    if not np.any(inside):
        inside = np.zeros(run.node_times.size, dtype=bool)
        inside[np.argmin(np.abs(run.node_times - 0.5 * (start + stop)))] = True
    weights = run.node_weights[inside]
    return dict(sky_to_altaz_matrices=run.sky_to_altaz_matrices[inside],
                node_times=run.node_times[inside],
                node_weights=weights * livetime / np.sum(weights))


def equal_piece_count(run, max_duration):
    """Number of equal pieces no longer than ``max_duration`` (s) covering the run's span."""
    first, last = run_span(run)
    return max(1, int(np.ceil((last - first) / max_duration - 1e-9)))


def equal_pieces(run, max_duration):
    """Cut times dividing the run's span into :func:`equal_piece_count` equal pieces."""
    first, last = run_span(run)
    return np.linspace(first, last, equal_piece_count(run, max_duration) + 1)[1:-1]
