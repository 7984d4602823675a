"""Logging set-up for baccmod (names as in BAccMod).

All baccmod modules log through ``logging.getLogger(__name__)``, i.e. below the ``baccmod``
logger. ``MOREINFO`` (15) sits between DEBUG and INFO for per-run details.
"""
import logging

MOREINFO = 15
logging.addLevelName(MOREINFO, "MOREINFO")


def set_log_level(level, module="baccmod"):
    """Set the level of the ``module`` logger (a level number or name such as ``'INFO'``)."""
    logging.getLogger(module).setLevel(level)


def setup_logging_output(output_file=None, use_terminal=True, handlers=None, module="baccmod",
                         fmode="w", term_level=logging.NOTSET,
                         log_format="%(levelname)s:%(name)s: %(message)s"):
    """Send the ``module`` logger's records to a file and/or the terminal.

    Parameters
    ----------
    output_file : str or path-like, optional
        File to write the log to (opened with mode ``fmode``).
    use_terminal : bool
        Also write to standard error, at ``term_level`` and above.
    handlers : list of logging.Handler, optional
        Extra handlers to attach as they are.
    module : str
        Name of the logger to configure.
    fmode : str
        File mode for ``output_file`` (``'w'`` to overwrite, ``'a'`` to append).
    term_level : int
        Level of the terminal handler.
    log_format : str
        Format of file and terminal records.
    """
    logger = logging.getLogger(module)
    formatter = logging.Formatter(log_format)
    new_handlers = list(handlers or [])
    if output_file is not None:
        file_handler = logging.FileHandler(output_file, mode=fmode)
        file_handler.setFormatter(formatter)
        new_handlers.append(file_handler)
    if use_terminal:
        terminal = logging.StreamHandler()
        terminal.setLevel(term_level)
        terminal.setFormatter(formatter)
        new_handlers.append(terminal)
    for handler in new_handlers:
        logger.addHandler(handler)
    return logger
