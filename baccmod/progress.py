"""Progress bars for loops over runs: shown on a terminal, silent otherwise."""
import sys


def progress(items, desc=""):
    """Iterate over items, with a tqdm bar when stderr is a terminal and tqdm is installed."""
    if not sys.stderr.isatty():
        return items
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return items
    return tqdm(items, desc=desc, leave=False)
