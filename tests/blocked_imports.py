"""Run test code in a new interpreter where some packages cannot be imported."""
import subprocess
import sys
import textwrap

BLOCKER = """
import sys
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {blocked!r}:
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, _Block())
"""


def run_blocked(body, blocked=("gammapy", "regions", "astropy")):
    """Run ``body`` (Python source) with ``blocked`` packages unimportable; returns the
    completed process (check ``returncode``, ``stdout``, ``stderr``)."""
    script = BLOCKER.format(blocked=tuple(blocked)) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
