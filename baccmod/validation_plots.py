"""PNG figures of a validation report (see :mod:`baccmod.validation`).

- ``significance.png``: the significance map and its distribution against N(0, 1);
- ``residuals.png``: counts / predicted in offset rings and in energy bins;
- ``norms.png``: norm and tilt per run against zenith and time;
- ``model.png``: the models' rate against offset and against zenith.
"""
import numpy as np
from astropy import units as u
from astropy.time import Time
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

RATE_UNIT = u.Unit("s-1 MeV-1 sr-1")
#: Energy bins drawn in the model figure at most.
MAX_MODEL_CURVES = 5
#: Radius (deg) of the FoV centre whose mean rate is drawn against zenith.
CENTRAL_RADIUS = 0.5
#: Gap (pixels) between a legend and the highest thing drawn below it.
LEGEND_GAP_PX = 8


def write_figures(out_dir, reduced, models, by_offset, by_energy, summary, energy_axis,
                  offset_axis):
    """Write the four figures; returns their paths."""
    drawers = {"significance.png": lambda: _significance_figure(reduced, summary),
               "residuals.png": lambda: _residual_figure(by_offset, by_energy, energy_axis,
                                                         offset_axis),
               "norms.png": lambda: _norm_figure(reduced.runs),
               "model.png": lambda: _model_figure(models, reduced.runs)}
    paths = []
    for name, draw in drawers.items():
        figure = draw()
        path = out_dir / name
        figure.savefig(path, dpi=110)
        paths.append(path)
    return paths


def _significance_figure(reduced, summary):
    figure = Figure(figsize=(13, 5.5))
    ax_map = figure.add_subplot(1, 2, 1, projection=reduced.significance.geom.wcs)
    shown = reduced.significance.copy()
    shown.data = np.where(np.isfinite(shown.data), shown.data, 0.0)
    image = ax_map.imshow(shown.data, origin="lower", cmap="RdBu_r", vmin=-5, vmax=5)
    ax_map.contour(~reduced.keep.data, levels=[0.5], colors="k", linewidths=1)
    ax_map.contour(reduced.used_pixels.data, levels=[0.5], colors="0.4", linewidths=0.8,
                   linestyles="--")
    figure.colorbar(image, ax=ax_map, label="significance (Cash, sigma)")
    ax_map.set_xlabel("Right ascension")
    ax_map.set_ylabel("Declination")
    ax_map.set_title("Significance map (black: exclusions, dashed: pixels used)")
    ax = figure.add_subplot(1, 2, 2)
    values = reduced.significance_values
    bins = np.linspace(-6, 6, 61)
    ax.hist(np.clip(values, -6, 6), bins=bins, histtype="step", color="k",
            label=f"outside exclusions ({values.size} pixels)")
    x = np.linspace(-6, 6, 300)
    scale = values.size * np.diff(bins)[0]
    mean, width = summary["significance_mean"], summary["significance_width"]
    ax.plot(x, scale * _normal(x, mean, width), "C3",
            label=f"fit: mean {mean:.3f}, width {width:.3f}")
    ax.plot(x, scale * _normal(x, 0.0, 1.0), "C0--", label="N(0, 1)")
    ax.set_yscale("log")
    ax.set_ylim(0.5, None)
    ax.set_xlabel("significance (sigma)")
    ax.set_ylabel("pixels per bin")
    ax.set_title(f"Significance distribution (correlation radius "
                 f"{summary['correlation_radius_deg']:.2f} deg)")
    ax.legend(loc="upper right", fontsize=9)
    _lay_out(figure)
    return figure


def _lay_out(figure, rect=(0, 0, 1, 1)):
    """``tight_layout``, with the y range of each axes with a legend (in its upper part)
    raised so that the legend sits above everything drawn: it hides no point, error bar or
    curve."""
    figure.tight_layout(rect=rect)
    renderer = FigureCanvasAgg(figure).get_renderer()
    for ax in figure.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        box = ax.get_window_extent(renderer)
        taken = (box.y1 - legend.get_window_extent(renderer).y0 + LEGEND_GAP_PX) / box.height
        taken = min(taken, 0.8)
        log = ax.get_yscale() == "log"
        scale = np.log10 if log else (lambda value: value)
        bottom, top = ax.get_ylim()
        low, data_top = scale(bottom), scale(ax.dataLim.y1)
        needed = low + (data_top - low) / (1 - taken)
        if np.isfinite(needed) and needed > scale(top):
            ax.set_ylim(bottom, 10 ** needed if log else needed)
    figure.tight_layout(rect=rect)


def _normal(x, mean, width):
    return np.exp(-0.5 * ((x - mean) / width) ** 2) / (width * np.sqrt(2 * np.pi))


def _residual_figure(by_offset, by_energy, energy_axis, offset_axis):
    figure = Figure(figsize=(12, 4.8))
    ax_off, ax_en = figure.subplots(1, 2)
    _ratio_panel(ax_off, offset_axis.center.to_value("deg"),
                 offset_axis.bin_width.to_value("deg") / 2, by_offset)
    ax_off.set_xlabel("offset from the pointing (deg)")
    ax_off.set_title("Counts / predicted background in offset rings (all energies)")
    _ratio_panel(ax_en, energy_axis.center.to_value("TeV"),
                 _log_half_widths(energy_axis.edges.to_value("TeV")), by_energy)
    ax_en.set_xscale("log")
    ax_en.set_xlabel("reconstructed energy (TeV)")
    ax_en.set_title("Counts / predicted background in energy bins (all offsets)")
    _lay_out(figure)
    return figure


def _log_half_widths(edges):
    center = np.sqrt(edges[:-1] * edges[1:])
    return np.array([center - edges[:-1], edges[1:] - center])


def _ratio_panel(ax, x, x_err, res):
    used = res.used
    x_err = x_err[:, used] if np.ndim(x_err) == 2 else x_err[used]
    ax.errorbar(x[used], res.ratio[used], xerr=x_err, yerr=res.ratio_error[used], fmt="o",
                color="k", label=f"Poisson deviance / dof = {res.deviance:.4g} / {res.dof}")
    ax.axhline(1.0, color="C3", ls="--", label="perfect model")
    ax.set_ylabel("counts / predicted")
    ax.legend(loc="upper right", fontsize=9)


def _norm_figure(runs):
    """Norm and tilt per run vs zenith and vs time (runs in time order, nights labelled)."""
    figure = Figure(figsize=(12, 8))
    axes = figure.subplots(2, 2, sharey="row")
    order = np.argsort(runs["TIME"])
    position = np.empty(len(runs))
    position[order] = np.arange(len(runs))
    xs = ((runs["ZENITH"].quantity.to_value("deg"), "run zenith angle (deg)"),
          (position, "runs in time order (ticks: first run of each night, UTC date)"))
    for row, (name, label, right) in enumerate((("NORM", "norm", 1.0), ("TILT", "tilt", 0.0))):
        for col, (x, xlabel) in enumerate(xs):
            ax = axes[row, col]
            ax.errorbar(x, runs[name], yerr=runs[f"{name}_ERR"], fmt="o", color="k",
                        label=f"{label}: gammapy FoVBackgroundMaker fit")
            if f"TABLE_{name}" in runs.colnames:
                error = runs[f"TABLE_{name}_ERR"] if f"TABLE_{name}_ERR" in runs.colnames else None
                ax.errorbar(x, runs[f"TABLE_{name}"], yerr=error, fmt="s", mfc="none",
                            color="C0", label=f"{label} applied by the build (table)")
            ax.axhline(right, color="C3", ls="--", label=f"{right:g}: model right")
            ax.set_xlabel(xlabel)
            ax.set_ylabel(f"{label} (reference 1 TeV)" if name == "TILT" else label)
            ax.legend(loc="upper right", fontsize=8)
        _night_ticks(axes[row, 1], runs["TIME"][order])
    axes[0, 0].set_title("Background norm per run vs zenith")
    axes[0, 1].set_title("Background norm per run vs time")
    axes[1, 0].set_title("Spectral tilt per run vs zenith")
    axes[1, 1].set_title("Spectral tilt per run vs time")
    _lay_out(figure)
    return figure


def _night_ticks(ax, sorted_mjd):
    """Ticks at the first run of each night (a gap of more than 6 h starts a night)."""
    mjd = np.asarray(sorted_mjd, dtype=float)
    first = np.flatnonzero(np.r_[True, np.diff(mjd) > 0.25])
    ax.set_xticks(first)
    ax.set_xticklabels([Time(mjd[i], format="mjd").strftime("%Y-%m-%d") for i in first],
                       rotation=30, ha="right", fontsize=8)


def _model_figure(models, runs):
    """The models' own bin values (no interpolation): a bin with zero rate leaves a gap."""
    figure = Figure(figsize=(12, 4.8))
    ax_off, ax_zen = figure.subplots(1, 2)
    zenith = runs["ZENITH"].quantity.to_value("deg")
    median_run = runs["OBS_ID"][np.argsort(zenith)[len(zenith) // 2]]
    model = models[median_run]
    energies = model.axes["energy"]
    drawn = _drawn_energy_bins(energies.nbin)
    radius_edges, radial_rate = _radial_profile(model)
    for colour, index in enumerate(drawn):
        ax_off.stairs(_gaps(radial_rate[index]), radius_edges, baseline=None,
                      color=f"C{colour}", label=_energy_label(energies, index))
    ax_off.set_yscale("log")
    ax_off.set_xlabel("offset (deg)" if "offset" in model.axes.names
                      else "distance from the FoV centre (deg, mean over the FoV bins)")
    ax_off.set_ylabel(f"rate ({RATE_UNIT})")
    ax_off.set_title(f"Model of run {median_run} (median zenith {np.median(zenith):.1f} deg)")
    ax_off.legend(title="energy bin", fontsize=8, loc="upper right")
    order = np.argsort(zenith)
    central = np.array([_central_rate(models[obs_id]) for obs_id in runs["OBS_ID"]])
    for colour, index in enumerate(drawn):
        ax_zen.plot(zenith[order], _gaps(central[order, index]), "o-", color=f"C{colour}",
                    label=_energy_label(energies, index))
    ax_zen.set_yscale("log")
    ax_zen.set_xlabel("run zenith angle (deg)")
    ax_zen.set_ylabel(f"mean rate within {CENTRAL_RADIUS} deg ({RATE_UNIT})")
    ax_zen.set_title("Model rate near the FoV centre of each run vs its zenith")
    ax_zen.legend(title="energy bin", fontsize=8, loc="upper right")
    figure.text(0.5, 0.01, "Gaps: model bins with zero rate.", ha="center", fontsize=9)
    _lay_out(figure, rect=(0, 0.03, 1, 1))
    return figure


def _gaps(values):
    """Zero rates as NaN, so that matplotlib leaves a gap instead of a log-scale spike."""
    values = np.asarray(values, dtype=float)
    return np.where(values > 0, values, np.nan)


def _energy_label(energies, index):
    low, high = energies.edges[index:index + 2].to_value("TeV")
    return f"{low:.2g}-{high:.2g} TeV"


def _drawn_energy_bins(n_energy):
    step = max(1, int(np.ceil(n_energy / MAX_MODEL_CURVES)))
    return range(0, n_energy, step)


def _radial_profile(model):
    """(edges (deg), rate (n_energy, n_radius)): a Background2D's bins, or a Background3D's
    FoV bins averaged in rings as wide as one FoV bin."""
    rate = model.data
    if "offset" in model.axes.names:
        return model.axes["offset"].edges.to_value("deg"), rate
    radius = _fov_radius(model)
    step = np.diff(model.axes["fov_lon"].edges.to_value("deg")).max()
    edges = np.arange(0, radius.max() + step, step)
    ring = np.digitize(radius, edges) - 1
    profile = np.array([[energy_rate[ring == r].mean() if np.any(ring == r) else 0.0
                         for r in range(len(edges) - 1)] for energy_rate in rate])
    return edges, profile


def _fov_radius(model):
    lon = model.axes["fov_lon"].center.to_value("deg")
    lat = model.axes["fov_lat"].center.to_value("deg")
    return np.hypot(lon[:, None], lat[None, :])


def _central_rate(model):
    """Mean rate per energy bin of the bins whose centre is within CENTRAL_RADIUS deg."""
    if "offset" in model.axes.names:
        radius = model.axes["offset"].center.to_value("deg")
    else:
        radius = _fov_radius(model)
    inside = radius <= max(CENTRAL_RADIUS, radius.min())
    return model.data[:, inside].mean(axis=1)
