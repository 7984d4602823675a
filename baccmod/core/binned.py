"""Models binned in cos(zenith) (and optionally split by azimuth side) from runs or pieces.

Every run (or piece of a run) is accumulated in the fine cos-zenith bin of its mid-time
pointing; once all runs are in, the fine bins are merged into the final bins of
:func:`baccmod.core.zenith.cos_zenith_bin_edges` and each final bin becomes a model. Only the
fine bins that received data hold cubes, so memory is bounded by the models' cubes.
"""
import logging
from dataclasses import dataclass, field

import numpy as np

from ..errors import BaccmodValueError, NoEventsError
from . import zenith

log = logging.getLogger(__name__)

#: Binning methods: (weight of an entry, per wobble).
BINNING_METHODS = {
    "min_livetime": ("livetime", False),
    "min_livetime_per_wobble": ("livetime", True),
    "min_n_observation": ("count", False),
    "min_n_observation_per_wobble": ("count", True),
}


def check_binning_method(method):
    if method not in BINNING_METHODS:
        raise BaccmodValueError(f"unknown cos_zenith_binning_method {method!r}; valid methods: "
                                + ", ".join(BINNING_METHODS) + ".")
    return method


@dataclass
class ZenithBin:
    """One final bin: its cos-zenith edges, centre (livetime-weighted mean cos zenith),
    livetime, runs and stacked cube; ``run_totals``: obs_id -> (livetime s, counts) of the
    run's pieces in the bin."""
    side: int
    cos_zenith_low: float
    cos_zenith_high: float
    cos_zenith: float
    livetime: float
    obs_ids: list
    livetime_per_wobble: dict
    cube: object
    run_totals: dict = field(default_factory=dict)

    @property
    def zenith_deg(self):
        return float(np.degrees(np.arccos(np.clip(self.cos_zenith, -1.0, 1.0))))


class ZenithBinnedAccumulator:
    """Accumulates run contributions per (azimuth side, fine cos-zenith bin).

    Parameters
    ----------
    template : baccmod.core.model._Accumulator
        An empty accumulator of the model binning.
    fine_edges : ndarray
        Fine cos-zenith bin edges, from :func:`baccmod.core.zenith.fine_cos_zenith_edges`.
    """

    def __init__(self, template, fine_edges):
        self.template = template
        self.fine_edges = np.asarray(fine_edges, dtype=float)
        self.fine = {}
        self.entries = []       # (side, cos_zenith, livetime, run position, counts)
        self.runs = []          # (obs_id, pointing lon, pointing lat)

    def add_run(self, obs_id, pointing_lon, pointing_lat):
        """Declare a run; returns its position for :meth:`add`."""
        self.runs.append((obs_id, pointing_lon, pointing_lat))
        return len(self.runs) - 1

    def add(self, contribution, cos_zenith, run_position, side=0):
        """Add a run's (or piece's) contribution at its mid-time cos(zenith)."""
        index = int(zenith.cos_zenith_bin_index(np.array([cos_zenith]), self.fine_edges)[0])
        key = (side, index)
        if key not in self.fine:
            self.fine[key] = self.template.empty_copy()
        self.fine[key].add_contribution(contribution)
        self.entries.append((side, float(cos_zenith), contribution.livetime, run_position,
                             float(contribution.counts.sum())))

    def bins(self, method, threshold, max_wobble_separation):
        """The final bins per side, each with its stacked cube (see :class:`ZenithBin`)."""
        weight_kind, per_wobble = BINNING_METHODS[check_binning_method(method)]
        if not self.entries:
            raise BaccmodValueError("no run was added: give at least one observation.")
        runs = np.array([(lon, lat) for _, lon, lat in self.runs])
        wobbles = zenith.wobble_groups(runs[:, 0], runs[:, 1], max_wobble_separation) \
            if per_wobble else np.zeros(len(self.runs), dtype=int)
        result = []
        for side in sorted({e[0] for e in self.entries}):
            entries = [e for e in self.entries if e[0] == side]
            cos_z = np.array([e[1] for e in entries])
            livetime = np.array([e[2] for e in entries])
            position = np.array([e[3] for e in entries])
            counts = np.array([e[4] for e in entries])
            weight = livetime if weight_kind == "livetime" else np.ones(len(entries))
            edges = zenith.cos_zenith_bin_edges(cos_z, weight, wobbles[position],
                                                self.fine_edges, threshold)
            centres = zenith.bin_cos_zenith_centres(cos_z, livetime, edges)
            which = zenith.cos_zenith_bin_index(cos_z, edges)
            fine_to_final = zenith.cos_zenith_bin_index(
                0.5 * (self.fine_edges[1:] + self.fine_edges[:-1]), edges)
            for k in np.unique(which):
                final = self._final_bin(side, edges, k, centres[k], which == k, livetime,
                                        position, wobbles, fine_to_final, counts)
                if final is not None:
                    result.append(final)
        if not result:
            raise NoEventsError(
                "no events in the energy/offset range of the model in any zenith bin: check "
                "the energy axis (TeV range of the events), the offset axis and the exclusions.")
        return result

    def _final_bin(self, side, edges, k, centre, selected, livetime, position, wobbles,
                   fine_to_final, counts):
        """The bin's :class:`ZenithBin`, or None (with a warning) when it holds no events."""
        merged = self.template.empty_copy()
        for (s, i), acc in self.fine.items():
            if s == side and fine_to_final[i] == k:
                merged.merge(acc)
        obs_ids = sorted({self.runs[pos][0] for pos in position[selected]})
        if merged.counts.sum() == 0:
            log.warning("zenith bin cos zenith [%.3f, %.3f) (runs %s) holds no events in the "
                        "energy/offset range: left out; its runs take the neighbouring bins' "
                        "models.", edges[k], edges[k + 1], obs_ids)
            return None
        per_wobble, run_totals = {}, {}
        for lt, pos, n in zip(livetime[selected], position[selected], counts[selected]):
            per_wobble[int(wobbles[pos])] = per_wobble.get(int(wobbles[pos]), 0.0) + lt
            run_lt, run_n = run_totals.get(self.runs[pos][0], (0.0, 0.0))
            run_totals[self.runs[pos][0]] = (run_lt + float(lt), run_n + float(n))
        return ZenithBin(side, float(edges[k]), float(edges[k + 1]), float(centre),
                         float(livetime[selected].sum()), obs_ids, per_wobble, merged.result(),
                         run_totals)
