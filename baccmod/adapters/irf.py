"""Rate cubes -> gammapy background IRFs (``Background2D`` / ``Background3D``), and the check
of background models given by the user.

Every IRF made here owns its data (a copy of the rate array), so editing one model in place
never changes another one, nor the array it was made from.
"""
import numpy as np
from astropy import units as u
from gammapy.irf import Background2D, Background3D, FoVAlignment
from gammapy.maps import MapAxis

from ..errors import BaccmodValueError
from . import fits_tables

RATE_UNIT = u.Unit("s-1 MeV-1 sr-1")


def fov_axes(offset_axis):
    """The fov_lon and fov_lat axes mirroring a regular offset axis that starts at 0."""
    edges = offset_axis.edges.to(u.deg)
    mirrored = np.concatenate([-edges[::-1], edges[1:]])
    return (MapAxis.from_edges(mirrored, name="fov_lon"),
            MapAxis.from_edges(mirrored, name="fov_lat"))


def background_2d(rate, energy_axis, offset_axis):
    """Background2D from a rate array of shape (n_energy, n_offset) in s-1 MeV-1 sr-1."""
    return Background2D(axes=[energy_axis, offset_axis], data=np.array(rate, dtype=float),
                        unit=RATE_UNIT)


def background_3d(rate, energy_axis, lon_axis, lat_axis):
    """AltAz-aligned Background3D from a rate array (n_energy, n_lon, n_lat) in s-1 MeV-1 sr-1."""
    return Background3D(axes=[energy_axis, lon_axis, lat_axis], data=np.array(rate, dtype=float),
                        unit=RATE_UNIT, fov_alignment=FoVAlignment.ALTAZ)


def check_model_rates(model, name):
    """Raise unless a background model's rates are finite, >= 0 and not all zero.

    Parameters
    ----------
    model : Background2D or Background3D
    name : str
        What the model is (e.g. "base_model (zenith 30.0 deg)"), for the message.
    """
    data = np.asarray(model.data, dtype=float)
    bad = ~np.isfinite(data)
    if np.any(bad):
        raise BaccmodValueError(
            f"{name} has {int(bad.sum())} non-finite rates (NaN or inf) in {data.size} bins: a "
            "background model must be finite everywhere; rebuild it or replace those bins.")
    negative = data < 0
    if np.any(negative):
        raise BaccmodValueError(
            f"{name} has {int(negative.sum())} negative rates (smallest {data.min():.3g} "
            f"{model.unit}): a background rate cannot be negative; rebuild it or clip it at 0.")
    if not np.any(data > 0):
        raise BaccmodValueError(f"{name} has only zero rates: it predicts no background; "
                                "rebuild it (check its energy range and unit).")


def safe_energy_threshold(obs):
    """The run's safe low-energy threshold (TeV) from its effective area's ``LO_THRES``
    header keyword (as gammapy's ``SafeMaskMaker(methods=["aeff-default"])``), or None when
    the run has no effective area or the keyword is missing or not a positive number."""
    value = _aeff_header_threshold(obs)
    if value is None:
        try:
            aeff = obs.aeff
        except (KeyError, IndexError, OSError, AttributeError):
            return None
        value = (getattr(aeff, "meta", None) or {}).get("LO_THRES")
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) and value > 0 else None


def _aeff_header_threshold(obs):
    """``LO_THRES`` from the header of the run's effective-area HDU in its file, read without
    its table (gammapy would read and build the whole IRF, ~9 ms a DR1 run); None when the
    effective area is in memory, is not in a file or its header cannot be read this way."""
    location = None if "_aeff" in obs.__dict__ else obs.__dict__.get("_aeff_hdu")
    name = getattr(location, "hdu_name", None)
    if location is None or not isinstance(name, str):
        return None
    try:
        return fits_tables.read_header(location.path(), name).get("LO_THRES")
    except (fits_tables.Unsupported, OSError):
        return None


#: gammapy's reading of a bin above this many times the largest bin mean of its energy bin
#: is reported as an overflow of its log-log interpolation next to zero-rate bins.
GAMMAPY_OVERREAD_FACTOR = 10.0


def gammapy_overread_bins(model):
    """Bins of a background IRF whose rate gammapy integrates over energy to nonsense.

    gammapy reads a bkg IRF log-log between its energy-bin centres; next to a zero-rate bin
    (sparse 3D models) that reading overflows, up to ~1e276 counts predicted a bin. Here a
    bin is reported when gammapy's integral over it is not finite or exceeds
    :data:`GAMMAPY_OVERREAD_FACTOR` times the largest bin-mean integral of its energy bin.

    Returns
    -------
    count : int
        Bins read so.
    energies : list of (float, float)
        Energy bins (TeV) holding them.
    """
    energy = model.axes["energy"]
    if energy.nbin < 2:
        return 0, []
    spatial = {axis.name: axis.center.reshape((1,) * (i + 1) + (-1,) + (1,) * (
        model.data.ndim - i - 2)) for i, axis in enumerate(model.axes[1:])}
    widths = energy.bin_width.to_value(u.MeV).reshape((-1,) + (1,) * (model.data.ndim - 1))
    with np.errstate(all="ignore"):
        read = model.integrate_log_log(
            axis_name="energy", energy=energy.edges.reshape((-1,) + (1,) * (model.data.ndim - 1)),
            **spatial).to_value(u.Unit(model.unit) * u.MeV)
        means = np.asarray(model.data, dtype=float) * widths
        largest = means.reshape(means.shape[0], -1).max(axis=1).reshape(
            (-1,) + (1,) * (model.data.ndim - 1))
        bad = ~np.isfinite(read) | (read > GAMMAPY_OVERREAD_FACTOR * largest)
    rows = np.flatnonzero(bad.reshape(bad.shape[0], -1).any(axis=1))
    edges = energy.edges.to_value(u.TeV)
    return int(bad.sum()), [(float(edges[i]), float(edges[i + 1])) for i in rows]


#: Event-header cards by which gammapy recognises a H.E.S.S. DL3 DR1 run; gammapy then labels
#: any bkg of the run REVERSE_LON_RADEC (the convention of the models the DR1 ships).
_DR1_CREATOR = "SASH FITS::EventListWriter"


def with_background(obs, model):
    """An in-memory copy of the run with ``model`` as its ``bkg``, read by gammapy with the
    model's own FoV alignment.

    gammapy (2.0, 2.1) relabels the ``bkg`` of every run whose event header has CREATOR
    ``'SASH FITS::EventListWriter'`` and HDUVERS 0.2 (all H.E.S.S. DL3 DR1 runs) as
    REVERSE_LON_RADEC, in place, at every access; baccmod's 3D models are ALTAZ-aligned. The
    copy leaves the CREATOR card out of its metadata, so gammapy keeps the model's alignment.
    """
    run = obs.copy(in_memory=True, bkg=model)
    _forget_dr1_creator(run)
    return run


def background_as_written(obs):
    """The run's ``bkg`` with the FoV alignment its file gives (see :func:`with_background`;
    the run's metadata forgets the DR1 CREATOR card)."""
    _forget_dr1_creator(obs)
    return obs.bkg


def _forget_dr1_creator(obs):
    meta = obs.meta
    optional = meta.optional or {}
    if optional.get("CREATOR") == _DR1_CREATOR:
        meta.optional = {k: v for k, v in optional.items() if k != "CREATOR"}
