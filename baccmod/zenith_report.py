"""The zenith bins of a model, told in words (log, print) and drawn (livetime per bin)."""
import logging

import numpy as np

from .collection import AZIMUTH_SIDES

log = logging.getLogger(__name__)


def report_zenith_bins(zenith_bins, azimuth_split, verbose):
    """Log the bins at INFO; with ``verbose`` also print them and draw their livetime."""
    for b in zenith_bins:
        side = f" ({AZIMUTH_SIDES[b.side]})" if azimuth_split else ""
        wobbles = ", ".join(f"wobble {k}: {t:.0f} s" for k, t in
                            sorted(b.livetime_per_wobble.items()))
        line = (f"zenith bin{side}: cos zenith [{b.cos_zenith_low:.3f}, "
                f"{b.cos_zenith_high:.3f}), centre {b.zenith_deg:.2f} deg, livetime "
                f"{b.livetime:.0f} s ({wobbles}), runs {b.obs_ids}")
        log.info(line)
        if verbose:
            print(line)
    if verbose:
        plot_zenith_binning(zenith_bins, azimuth_split)


def plot_zenith_binning(zenith_bins, azimuth_split, ax=None):
    """Bar plot of the livetime (h) per cos-zenith bin, stacked per wobble position, one
    colour set per azimuth side; returns the matplotlib axes."""
    import matplotlib.pyplot as plt
    ax = ax or plt.figure().gca()
    sides = sorted({b.side for b in zenith_bins})
    wobbles = sorted({k for b in zenith_bins for k in b.livetime_per_wobble})
    for side in sides:
        bins = [b for b in zenith_bins if b.side == side]
        bottom = np.zeros(len(bins))
        for wobble in wobbles:
            hours = np.array([b.livetime_per_wobble.get(wobble, 0.0) for b in bins]) / 3600
            label = " ".join(filter(None, [
                AZIMUTH_SIDES[side] if azimuth_split else "",
                f"wobble {wobble}" if len(wobbles) > 1 else ""])) or None
            ax.bar([b.cos_zenith_low for b in bins], hours, bottom=bottom,
                   width=[b.cos_zenith_high - b.cos_zenith_low for b in bins], align="edge",
                   alpha=0.5 if len(sides) > 1 else 1.0, edgecolor="k", label=label)
            bottom += hours
    ax.set_xlabel("cos(zenith)")
    ax.set_ylabel("livetime [h]")
    ax.set_title("Livetime per zenith bin")
    if len(sides) > 1 or len(wobbles) > 1:
        ax.legend()
    return ax
