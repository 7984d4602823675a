"""Compare the models written by two workers bin by bin (see README.md, "Agreement").

A bin agrees when |ours - theirs| <= 3 sigma, with sigma the Poisson error of the bin's
expected counts: sigma = sqrt(max(N, 1)) / X, N = max(ours, theirs) * X, X the bin's exposure
in s MeV sr. X comes from our creator's ``exposure`` (livetime x dE x dOmega x unexcluded
fraction, summed over runs) when the worker saved it and the output is one model, otherwise
from the livetime x dE x dOmega (no exclusion; the total livetime of the runs, or the run's
own livetime for a per-run model ``BKG_<obs_id>``). Only bins with X > 0 where BAccMod's
value is finite are compared; BAccMod's non-finite bins are counted apart, and a non-finite
value of ours in a compared bin is a disagreement.
"""
import numpy as np
from astropy import units as u
from astropy.io import fits
from gammapy.irf import Background2D, Background3D

RATE_UNIT = u.Unit("s-1 MeV-1 sr-1")
N_SIGMA = 3.0


def read_models(path):
    """({HDU name: Background2D/3D}, exposure array or None) from a worker's FITS file."""
    models, exposure = {}, None
    with fits.open(path) as hdus:
        for hdu in hdus[1:]:
            if hdu.name == "EXPOSURE":
                exposure = np.array(hdu.data, dtype=float)
            elif hdu.header.get("HDUCLAS4") == "BKG_2D":
                models[hdu.name] = Background2D.from_table(_table(hdu))
            elif hdu.header.get("HDUCLAS4") == "BKG_3D":
                models[hdu.name] = Background3D.from_table(_table(hdu))
    return models, exposure


def _table(hdu):
    from astropy.table import Table
    return Table.read(hdu)


def bin_solid_angle(model):
    """Solid angle (sr) of each spatial bin: rings for 2D, FoV lon x lat cells for 3D."""
    axes = model.axes
    if isinstance(model, Background2D):
        edges = axes["offset"].edges.to_value(u.rad)
        return 2 * np.pi * -np.diff(np.cos(edges))
    lon = np.diff(axes["fov_lon"].edges.to_value(u.rad))
    lat = np.diff(np.sin(axes["fov_lat"].edges.to_value(u.rad)))
    return lon[:, None] * lat[None, :]


def approximate_exposure(model, livetime_s):
    """Total livetime x dE (MeV) x dOmega (sr), on the model's data shape."""
    de = model.axes["energy"].bin_width.to_value(u.MeV)
    omega = bin_solid_angle(model)
    return livetime_s * de.reshape((-1,) + (1,) * omega.ndim) * omega[None]


def same_axes(a, b):
    if type(a) is not type(b) or a.data.shape != b.data.shape:
        return False
    return all(np.allclose(x.edges.value, y.edges.to_value(x.edges.unit), rtol=1e-6)
               for x, y in zip(a.axes, b.axes))


def rate(model):
    return model.quantity.to_value(RATE_UNIT)


def agreement(ours, theirs, exposure):
    """Share of the compared bins within 3 Poisson sigma, and the bin counts.

    Compared: the bins with exposure > 0 where BAccMod's value is finite (BAccMod may give
    NaN or infinite bins; they are counted apart, as ``n_theirs_nonfinite``). A non-finite
    value of ours in a compared bin is a disagreement.
    """
    a, b = rate(ours), rate(theirs)
    with_exposure = exposure > 0
    valid = with_exposure & np.isfinite(b)
    expected = np.where(valid, np.fmax(a, b) * exposure, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.sqrt(np.maximum(expected, 1.0)) / exposure
        close = np.abs(a - b) <= N_SIGMA * sigma
    close &= np.isfinite(a) & valid
    n_compared = int(valid.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(valid & (b > 0), a / np.where(b > 0, b, 1.0), np.nan)
    return {"agreement": float(close.sum() / n_compared) if n_compared else None,
            "n_bins": int(a.size), "n_compared": n_compared, "n_agree": int(close.sum()),
            "n_theirs_nonfinite": int((with_exposure & ~np.isfinite(b)).sum()),
            "median_ratio": _nanmedian(ratio)}


def _nanmedian(values):
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else None


def bin_counts(model):
    """Bin counts of one model; ``all_zero``: no finite bin is nonzero (the model is 0
    wherever it is finite, e.g. BAccMod's norm 0 times a model with NaN bins)."""
    data = rate(model)
    finite = np.isfinite(data)
    return {"n_bins": int(data.size), "n_nonzero": int(np.count_nonzero(data[~np.isnan(data)])),
            "n_nan": int(np.isnan(data).sum()), "n_nonfinite": int((~finite).sum()),
            "all_zero": not bool(np.any(data[finite] != 0))}


def livetime_for(name, livetimes):
    """The livetime (s) behind model ``name``: its run's for BKG_<obs_id>, else the total."""
    run = name[4:] if name.startswith("BKG_") else None
    return livetimes["by_run"].get(run, livetimes["total"])


def compare_files(ours_path, theirs_path, livetimes):
    """Per-model comparison of two worker outputs; exposure source reported as 'x_source'.

    livetimes: {"total": seconds, "by_run": {obs_id string: seconds}}.
    """
    ours, exposure = read_models(ours_path)
    if len(ours) != 1:
        exposure = None
    theirs, _ = read_models(theirs_path)
    report = {}
    for name in sorted(set(ours) | set(theirs)):
        entry = {}
        if name in ours:
            entry["ours_bins"] = bin_counts(ours[name])
        if name in theirs:
            entry["baccmod_bins"] = bin_counts(theirs[name])
        if name not in ours or name not in theirs:
            entry["error"] = "model missing on one side"
        elif not same_axes(ours[name], theirs[name]):
            entry["error"] = "models have different axes"
        else:
            x, source = exposure, "creator.exposure"
            if x is None or x.shape != ours[name].data.shape:
                x = approximate_exposure(ours[name], livetime_for(name, livetimes))
                source = "livetime x dE x dOmega"
            entry.update(agreement(ours[name], theirs[name], x))
            entry["x_source"] = source
        report[name] = entry
    return report
