"""The two spatial binnings of a model: radial (energy x offset) and 3D (energy x fov_lon x
fov_lat, AltAz-aligned).

A geometry knows how to read a run for its binning (``baccmod.adapters``), which core
accumulator sums it, how to wrap a rate array into the gammapy IRF, and the work limits of its
sub-pixel integration (:mod:`baccmod.limits`).
"""
import numpy as np
from astropy import units as u

from .adapters.irf import background_2d, background_3d, fov_axes
from .adapters.observation import run_arrays
from .core.exclusion import grid_sub_pixel_count, ring_sub_cell_count
from .core.model import GridAccumulator, RadialAccumulator
from .limits import MAX_SUB_PIXELS, check_run_exclusion_work, check_sub_pixels


class RadialGeometry:
    """Offset rings of ``offset_axis`` (MapAxis starting at 0), ``oversample`` sub-rings per
    ring side for the unexcluded fraction."""

    kind = "radial"

    def __init__(self, offset_axis, oversample):
        self.offset_axis = offset_axis
        self.oversample = int(oversample)
        self.offset_edges = offset_axis.edges.to_value(u.rad)

    def accumulator(self, energy_edges):
        """An empty core accumulator on ``energy_edges`` (TeV)."""
        return RadialAccumulator(energy_edges, self.offset_edges, self.oversample)

    def read(self, obs, location, areas, track=False):
        """A run as :class:`~baccmod.core.model.RunArrays` (offsets need no FoV frame)."""
        return run_arrays(obs, location, track=track)

    def wrap(self, rate, energy_axis):
        """``Background2D`` of a rate array (n_energy, n_offset) in s-1 MeV-1 sr-1."""
        return background_2d(rate, energy_axis, self.offset_axis)

    def bin_centres(self):
        """Offset of the ring centres, deg: shape (n_offset,)."""
        return (self.offset_axis.center.to_value(u.deg),)

    def check_sub_pixels(self, areas):
        """The rings are sub-divided only to integrate exclusions."""
        if not areas:
            return
        # a lower bound first: counting builds arrays of oversample per ring
        lower = 4 * self.offset_axis.nbin * self.oversample ** 2
        check_sub_pixels(lower if lower > MAX_SUB_PIXELS else ring_sub_cell_count(
            self.offset_edges, self.oversample), self.oversample)

    def check_run_work(self, run, n_pieces):
        """Nothing beyond the sub-rings grows with a run."""


class GridGeometry:
    """The AltAz FoV grid mirroring a regular ``offset_axis``: fov_lon and fov_lat edges from
    -max to +max offset with the offset bin width; ``oversample`` sub-pixels per bin side."""

    kind = "grid3d"

    def __init__(self, offset_axis, oversample, max_fraction_pixel_rotation_fov=0.5,
                 time_resolution_s=0.1):
        self.offset_axis = offset_axis
        self.oversample = int(oversample)
        self.lon_axis, self.lat_axis = fov_axes(offset_axis)
        self.max_fraction_pixel_rotation_fov = float(max_fraction_pixel_rotation_fov)
        self.time_resolution_s = float(time_resolution_s)

    def accumulator(self, energy_edges):
        return GridAccumulator(energy_edges, self.lon_axis.edges.to_value(u.rad),
                               self.lat_axis.edges.to_value(u.rad), self.oversample)

    def read(self, obs, location, areas, track=False):
        """A run with its events' AltAz FoV coordinates and, where exclusions reach it, the
        time nodes of the exclusion integration."""
        edges = self.offset_axis.edges.to_value(u.rad)
        sub_pixel = (edges[1] - edges[0]) / self.oversample
        corner = np.sqrt(2) * edges[-1]
        return run_arrays(obs, location, fov_edges=edges[-1], areas=areas,
                          rotation_limit=self.max_fraction_pixel_rotation_fov * sub_pixel / corner,
                          min_node_duration=self.time_resolution_s, track=track)

    def wrap(self, rate, energy_axis):
        """AltAz-aligned ``Background3D`` of a rate array (n_energy, n_lon, n_lat)."""
        return background_3d(rate, energy_axis, self.lon_axis, self.lat_axis)

    def bin_centres(self):
        """fov_lon and fov_lat of the bin centres, deg: shapes (n_lon,), (n_lat,)."""
        return self.lon_axis.center.to_value(u.deg), self.lat_axis.center.to_value(u.deg)

    def sub_pixel_count(self):
        return grid_sub_pixel_count(self.lon_axis.edges, self.lat_axis.edges, self.oversample)

    def check_sub_pixels(self, areas):
        """The sub-pixel grid is integrated for exclusions and for the run-wise norms."""
        check_sub_pixels(self.sub_pixel_count(), self.oversample)

    def check_run_work(self, run, n_pieces):
        n_nodes = 0 if run.node_times is None else run.node_times.size
        # without time nodes no exclusion reaches the run: the grid is integrated once
        check_run_exclusion_work(run.obs_id, self.sub_pixel_count(), n_nodes,
                                 n_pieces if n_nodes else 1)
