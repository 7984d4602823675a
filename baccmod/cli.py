"""The ``baccmod`` command line (click): ``init``, ``build``, ``validate``, ``demo``.

Bad configs and bad inputs end with the message of their :class:`~baccmod.errors.BaccmodError`
(naming the offending key) and exit code 1; wrong usage with click's exit code 2.
"""
import logging
import sys
from pathlib import Path

import click

from .errors import BaccmodError


def _run(action, *args):
    """Call ``action``; a BaccmodError becomes a clean message and exit code 1."""
    try:
        return action(*args)
    except BaccmodError as error:
        raise click.ClickException(str(error)) from None


def _config(path):
    from .config import BaccmodConfig
    config = BaccmodConfig.read(path)
    config.check_files()
    return config


@click.group(name="baccmod", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress (INFO) besides warnings.")
def cli(verbose):
    """Data-driven background models for IACT analyses with gammapy."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s:%(name)s: %(message)s")


@cli.command()
@click.argument("file", default="baccmod.yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace an existing FILE.")
def init(file, overwrite):
    """Write a commented template config to FILE (default baccmod.yaml)."""
    from .config import TEMPLATE
    if file.exists() and not overwrite:
        raise click.ClickException(f"{file} exists: give another FILE or --overwrite.")
    file.write_text(TEMPLATE)
    click.echo(f"wrote {file}: edit it, then run `baccmod build {file}`.")


@cli.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
def build(config):
    """Build the models of CONFIG and write its outputs (DataStore and/or collection)."""
    from . import workflow
    written = _run(lambda: workflow.build(_config(config)))
    for path in written:
        click.echo(f"wrote {path}")


@cli.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
def validate(config):
    """Write the validation report of the DataStore built from CONFIG."""
    from . import workflow
    result = _run(lambda: workflow.validate(_config(config)))
    for name, value in getattr(result, "summary", {}).items():
        click.echo(f"{name}: {value}")
    for path in getattr(result, "figures", []):
        click.echo(f"wrote {path}")


@cli.command()
@click.option("--output", default="demo_output", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for FITS and PNG.")
def demo(output):
    """Build a radial and a 3D model on HESS DR1 runs (or simulated ones)."""
    from .demo import demo as run_demo
    _run(run_demo, output)


def main(argv=None):
    """Entry point of the ``baccmod`` script and of ``python -m baccmod``; returns the exit
    code."""
    try:
        cli.main(args=argv, prog_name="baccmod", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        return 1
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
