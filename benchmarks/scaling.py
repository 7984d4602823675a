"""--scaling: time the cases on 10, 100, 1000 simulated runs and check linearity.

The runs are simulated once (the largest count) into a temporary folder outside the
repository; each run count uses the first N runs of that store.
"""
import subprocess
import tempfile
import time
from pathlib import Path

from environment import BENCHMARKS

LINEAR_TOLERANCE = 1.5  # the marginal time per run may grow by this factor


def simulate(side, n_runs, events_per_run, folder, log_path):
    """Write the runs with ours (``make_simulated_runs.py``); returns the seconds it took."""
    command = [side.python, str(BENCHMARKS / "make_simulated_runs.py"), "--folder",
               str(folder), "--runs", str(n_runs), "--events-per-run", str(events_per_run)]
    start = time.perf_counter()
    with open(log_path, "w") as log:
        done = subprocess.run(command, env=side.env, cwd=BENCHMARKS, stdout=log,
                              stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = Path(log_path).read_text().strip().splitlines()[-1:]
        raise RuntimeError(f"simulating {n_runs} runs failed (see {log_path}): "
                           + " ".join(tail))
    return time.perf_counter() - start


def temporary_folder():
    """A temporary folder for the simulated runs (never inside the repository)."""
    return tempfile.TemporaryDirectory(prefix="baccmod-scaling-")


def linearity(points):
    """Per-run and marginal per-run creation times for one case/package.

    points: [(n_runs, t_create_s)]. The marginal time between two counts,
    (t_b - t_a) / (n_b - n_a), removes the fixed cost of a call. The scaling is called linear
    when the marginal time of the last interval (the most runs, the least noise) is at most
    LINEAR_TOLERANCE times that of the interval before; a quadratic cost would grow it ~10x
    from 10-100 to 100-1000 runs.
    """
    points = sorted((n, t) for n, t in points if t is not None)
    marginal = [(t2 - t1) / (n2 - n1) for (n1, t1), (n2, t2) in zip(points, points[1:])]
    if len(marginal) < 2:
        verdict = "needs 3 run counts"
    elif marginal[-2] <= 0:
        verdict = "undetermined: the fixed cost hides the per-run cost at the smaller counts"
    else:
        growth = marginal[-1] / marginal[-2]
        verdict = ("linear" if growth <= LINEAR_TOLERANCE else "NOT linear") \
            + f" (marginal time per run x{growth:.2f} between the last two intervals)"
    return {"per_run_s": {n: t / n for n, t in points},
            "marginal_per_run_s": marginal, "verdict": verdict}
