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
@click.option("--data-store", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="DL3 data store of the runs: FILE is then ready for `baccmod build`.")
@click.option("--target", help="Only the runs of this OBJECT of the observation index.")
@click.option("--obs-id", "obs_ids", type=int, multiple=True, help="A run (repeatable).")
@click.option("--exclusion-radius", default="0.4 deg", show_default=True,
              help="Circles of this radius around the runs' targets (RA_OBJ, DEC_OBJ) are "
                   "excluded.")
def init(file, overwrite, data_store, target, obs_ids, exclusion_radius):
    """Write a commented config to FILE (default baccmod.yaml): the template, or with
    --data-store one for those runs, with their targets excluded."""
    if file.exists() and not overwrite:
        raise click.ClickException(f"{file} exists: give another FILE or --overwrite.")
    if data_store is None:
        from .config import TEMPLATE
        file.write_text(TEMPLATE)
        click.echo(f"wrote {file}: edit it, then run `baccmod build {file}`.")
        return
    text = _run(_config_text, data_store.absolute(), target, list(obs_ids), exclusion_radius)
    file.write_text(text)
    click.echo(f"wrote {file}: run `baccmod build {file}` (or edit it first).")


def _config_text(data_store, target, obs_ids, exclusion_radius):
    """The config of ``baccmod init --data-store``, checked as the build will read it."""
    from astropy import units as u

    from . import workflow
    from .config import BaccmodConfig, Data, filled_template
    from .errors import BaccmodValueError
    try:
        radius = u.Quantity(exclusion_radius)
    except (TypeError, ValueError):
        radius = None
    if radius is None or radius.unit.physical_type != "angle":
        raise BaccmodValueError(f"--exclusion-radius: {exclusion_radius!r} is not an angle "
                           "(e.g. \"0.4 deg\").")
    from gammapy.data import DataStore
    selection = Data(datastore=data_store, target=target, obs_ids=obs_ids or None)
    chosen = workflow.selected_obs_ids(DataStore.from_dir(data_store), selection,
                                       "--data-store/--target/--obs-id")
    text = filled_template(data_store, target, obs_ids,
                           workflow.target_circles(data_store, chosen, radius))
    BaccmodConfig.from_yaml(text, source="the written config")
    return text


@cli.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
def build(config):
    """Build the models of CONFIG, write its outputs (DataStore and/or collection) and, when
    it names validation.out_dir, the validation report of the DataStore."""
    from . import workflow
    settings = _run(_config, config)
    for path in _run(workflow.build, settings):
        click.echo(f"wrote {path}")
    if settings.validation.out_dir is not None and settings.outputs.datastore is not None:
        _report(_run(workflow.validate, settings))


@cli.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
def validate(config):
    """Write the validation report of the DataStore built from CONFIG."""
    from . import workflow
    _report(_run(lambda: workflow.validate(_config(config))))


def _report(result):
    """Print a validation result's summary and the files it wrote."""
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
