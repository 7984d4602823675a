"""Limits on the work of one request, checked before the work starts.

Some options multiply the work without bound (``oversample_map=1000`` in 3D, a
``mini_irf_time_resolution`` of a millisecond). Each limit below is checked in the creator's
constructor when the options alone decide it, and when a run is read (before its heavy work)
when it depends on the run; the error names the options that lower the work.

The numbers were chosen on a 2-core machine, where the 3D exclusion integration takes about
25-35 ns per sub-pixel and time node: a run at the limit takes about a minute.
"""
from .errors import BaccmodValueError

#: Most sub-pixels of the exclusion integration: 3D (2 x offset bins x oversample_map)^2;
#: radial, the sub-cells of the rings (oversample_map sub-rings per ring, each cut in sectors
#: about as long as it is wide), counted only with exclusion regions.
MAX_SUB_PIXELS = 25_000_000
#: Most 3D exclusion evaluations per run: sub-pixels x (time nodes + pieces of the run).
MAX_SUB_PIXEL_NODES = 2_000_000_000
#: Most pieces a run is cut into (mini-IRF pieces, or zenith and azimuth splitting). In the
#: constructor it is checked for a run of one hour.
MAX_PIECES_PER_RUN = 3600
#: Most fine cos(zenith) bins (1 / initial_cos_zenith_binning).
MAX_FINE_COS_ZENITH_BINS = 100_000


def check_sub_pixels(count, oversample_map):
    """Raise if the exclusion integration would use more than :data:`MAX_SUB_PIXELS`."""
    if count > MAX_SUB_PIXELS:
        largest = int(oversample_map * (MAX_SUB_PIXELS / count) ** 0.5)
        raise BaccmodValueError(
            f"oversample_map={oversample_map} needs {count:.3g} sub-pixels to integrate the "
            f"exclusions, more than the limit of {MAX_SUB_PIXELS:.3g} "
            f"(baccmod.limits.MAX_SUB_PIXELS): lower oversample_map (to about {largest}) or use "
            "fewer offset bins.")


def check_fine_bin_width(width):
    """``width`` (initial_cos_zenith_binning) if it makes at most
    :data:`MAX_FINE_COS_ZENITH_BINS` fine bins, else raise."""
    if 1 / width > MAX_FINE_COS_ZENITH_BINS:
        raise BaccmodValueError(
            f"initial_cos_zenith_binning={width} makes more than {MAX_FINE_COS_ZENITH_BINS} fine "
            "cos(zenith) bins (baccmod.limits.MAX_FINE_COS_ZENITH_BINS): use at least "
            f"{1 / MAX_FINE_COS_ZENITH_BINS:g}.")
    return width


def check_pieces_per_hour(pieces_per_hour, options, fix):
    """Raise if a one-hour run would be cut into more than :data:`MAX_PIECES_PER_RUN` pieces.

    ``options`` names the options that set the pieces, ``fix`` says how to lower them.
    """
    if pieces_per_hour > MAX_PIECES_PER_RUN:
        raise BaccmodValueError(
            f"{options} cuts a one-hour run into up to {pieces_per_hour:.3g} pieces, more than "
            f"the limit of {MAX_PIECES_PER_RUN} (baccmod.limits.MAX_PIECES_PER_RUN): {fix}.")


def check_run_pieces(obs_id, n_pieces, options, fix):
    """Raise if run ``obs_id`` would be cut into more than :data:`MAX_PIECES_PER_RUN` pieces."""
    if n_pieces > MAX_PIECES_PER_RUN:
        raise BaccmodValueError(
            f"run {obs_id}: {options} cuts it into {n_pieces} pieces, more than the limit of "
            f"{MAX_PIECES_PER_RUN} (baccmod.limits.MAX_PIECES_PER_RUN): {fix}.")


def check_run_exclusion_work(obs_id, sub_pixels, n_nodes, n_pieces):
    """Raise if the 3D exclusion integration of a run exceeds :data:`MAX_SUB_PIXEL_NODES`.

    Parameters
    ----------
    obs_id : int
    sub_pixels : int
        Sub-pixels of the grid.
    n_nodes : int
        Time nodes of the run (0 when no exclusion reaches it).
    n_pieces : int
        Pieces the run is cut into (1 when it is not cut).
    """
    work = sub_pixels * (n_nodes + n_pieces)
    if work > MAX_SUB_PIXEL_NODES:
        raise BaccmodValueError(
            f"run {obs_id}: integrating the exclusions needs {sub_pixels:.3g} sub-pixels x "
            f"({n_nodes} time nodes + {n_pieces} pieces) = {work:.3g} evaluations, more than "
            f"the limit of {MAX_SUB_PIXEL_NODES:.3g} (baccmod.limits.MAX_SUB_PIXEL_NODES): "
            "lower oversample_map, or raise time_resolution (the shortest time node) or "
            "max_fraction_pixel_rotation_fov to use fewer time nodes.")
