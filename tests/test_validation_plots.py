"""The validation figures: no legend hides what is drawn (points, error bars, lines, curves).

The inputs put the highest values at the right of each panel, where an upper-right legend
sits, as on the H.E.S.S. DR1 PKS 2155-304 report (residual error bars, the model's rate and
the run norms under their legends).
"""
import numpy as np
import pytest
from astropy import units as u
from astropy.table import Table
from gammapy.irf import Background2D
from gammapy.maps import MapAxis, WcsGeom, WcsNDMap
from matplotlib.backends.backend_agg import FigureCanvasAgg

from baccmod import validation_plots as plots
from baccmod.core.validation_stats import residuals

ENERGY = MapAxis.from_energy_bounds(0.1, 100, 6, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2.5, 5, unit="deg", name="offset")
N_RUNS = 8
#: Samples per drawn segment (a line may cross a legend between its vertices).
SAMPLES = 50


def runs_table():
    """Runs rising in zenith and time, norms and tilts alternating low and high."""
    rising = np.linspace(0, 1, N_RUNS)
    zigzag = np.resize([-1.0, 1.0], N_RUNS)
    return Table({"OBS_ID": np.arange(1, N_RUNS + 1), "ZENITH": (10 + 40 * rising) * u.deg,
                  "TIME": (60000.8 + rising / 10) * u.d, "NORM": 1 + 0.05 * zigzag,
                  "NORM_ERR": np.full(N_RUNS, 0.01), "TILT": 0.05 * zigzag,
                  "TILT_ERR": np.full(N_RUNS, 0.01)})


def residual_figure():
    rising = np.linspace(0.97, 1.05, OFFSET.nbin)
    by_offset = residuals(1e4 * rising, np.full(OFFSET.nbin, 1e4))
    by_energy = residuals(1e3 * np.linspace(0.9, 1.1, ENERGY.nbin), np.full(ENERGY.nbin, 1e3))
    return plots._residual_figure(by_offset, by_energy, ENERGY, OFFSET)


def model_figure():
    runs = runs_table()
    energy = ENERGY.center.to_value("TeV")[:, None]
    flat = np.ones(OFFSET.nbin)
    models = {obs_id: Background2D(axes=[ENERGY, OFFSET], unit="s-1 MeV-1 sr-1",
                                   data=1e-4 * energy ** -2.7 * zenith / 50 * flat)
              for obs_id, zenith in zip(runs["OBS_ID"], runs["ZENITH"].quantity.value)}
    return plots._model_figure(models, runs)


class Reduced:
    """The parts of baccmod.validation_run.Reduced the significance figure draws."""

    def __init__(self):
        geom = WcsGeom.create(skydir=(0, 0), npix=60, binsz=0.05, frame="icrs")
        values = np.random.default_rng(1).normal(0.1, 1.05, geom.data_shape)
        self.significance = WcsNDMap(geom, values)
        self.keep = WcsNDMap(geom, np.ones(geom.data_shape, dtype=bool))
        self.keep.data[25:35, 25:35] = False
        self.used_pixels = WcsNDMap(geom, self.keep.data.copy())
        self.significance_values = values[self.used_pixels.data]


def significance_figure():
    reduced = Reduced()
    values = reduced.significance_values
    summary = {"significance_mean": float(values.mean()),
               "significance_width": float(values.std()), "correlation_radius_deg": 0.1}
    return plots._significance_figure(reduced, summary)


FIGURES = {"significance": significance_figure, "residuals": residual_figure,
           "norms": lambda: plots._norm_figure(runs_table()), "model": model_figure}


def drawn_points(ax):
    """Display coordinates along everything drawn on ax from data: lines, error bars,
    histograms and steps (each segment sampled)."""
    paths = [line.get_transform().transform(line.get_xydata()) for line in ax.lines]
    for collection in ax.collections:
        paths += [collection.get_transform().transform(segment)
                  for segment in getattr(collection, "get_segments", lambda: [])()]
    paths += [patch.get_transform().transform(patch.get_path().vertices)
              for patch in ax.patches]
    points = []
    for path in paths:
        path = np.asarray(path, dtype=float)
        for start, end in zip(path[:-1], path[1:]):
            if np.all(np.isfinite(start)) and np.all(np.isfinite(end)):
                t = np.linspace(0, 1, SAMPLES)[:, None]
                points.append(start + t * (end - start))
    return np.concatenate(points)


@pytest.mark.parametrize("name", FIGURES)
def test_no_legend_hides_what_is_drawn(name):
    figure = FIGURES[name]()
    renderer = FigureCanvasAgg(figure).get_renderer()
    with_legend = [ax for ax in figure.axes if ax.get_legend() is not None]
    assert with_legend, name
    for ax in with_legend:
        box = ax.get_legend().get_window_extent(renderer).padded(-1)
        points = drawn_points(ax)
        inside = ((points[:, 0] > box.x0) & (points[:, 0] < box.x1)
                  & (points[:, 1] > box.y0) & (points[:, 1] < box.y1))
        assert not np.any(inside), (name, ax.get_title(), points[inside][:3])


def test_deviance_label_stays_short_when_gammapy_overflows():
    """A model whose gammapy prediction overflows (~1e138 counts, seen with zero-rate 3D
    bins on DR1) still gives a legend that fits the panel."""
    broken = residuals(np.full(OFFSET.nbin, 1e3), np.full(OFFSET.nbin, 1e138))
    energy = MapAxis.from_energy_bounds(0.1, 100, OFFSET.nbin, unit="TeV", name="energy")
    figure = plots._residual_figure(broken, broken, energy, OFFSET)
    labels = [text.get_text() for ax in figure.axes for text in ax.get_legend().get_texts()]
    assert all(len(label) < 50 for label in labels), labels

