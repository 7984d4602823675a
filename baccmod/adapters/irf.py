"""Rate cubes -> gammapy background IRFs (``Background2D`` / ``Background3D``)."""
import numpy as np
from astropy import units as u
from gammapy.irf import Background2D, Background3D, FoVAlignment
from gammapy.maps import MapAxis

RATE_UNIT = u.Unit("s-1 MeV-1 sr-1")


def fov_axes(offset_axis):
    """The fov_lon and fov_lat axes mirroring a regular offset axis that starts at 0."""
    edges = offset_axis.edges.to(u.deg)
    mirrored = np.concatenate([-edges[::-1], edges[1:]])
    return (MapAxis.from_edges(mirrored, name="fov_lon"),
            MapAxis.from_edges(mirrored, name="fov_lat"))


def background_2d(rate, energy_axis, offset_axis):
    """Background2D from a rate array of shape (n_energy, n_offset) in s-1 MeV-1 sr-1."""
    return Background2D(axes=[energy_axis, offset_axis], data=np.asarray(rate), unit=RATE_UNIT)


def background_3d(rate, energy_axis, lon_axis, lat_axis):
    """AltAz-aligned Background3D from a rate array (n_energy, n_lon, n_lat) in s-1 MeV-1 sr-1."""
    return Background3D(axes=[energy_axis, lon_axis, lat_axis], data=np.asarray(rate),
                        unit=RATE_UNIT, fov_alignment=FoVAlignment.ALTAZ)

