"""baccmod.logging: levels and outputs of the baccmod logger."""
import logging

from baccmod.logging import MOREINFO, set_log_level, setup_logging_output


def test_moreinfo_sits_between_debug_and_info():
    assert logging.DEBUG < MOREINFO == 15 < logging.INFO
    assert logging.getLevelName(MOREINFO) == "MOREINFO"


def test_file_output_and_level(tmp_path):
    path = tmp_path / "baccmod.log"
    [logger] = setup_logging_output(output_file=path, use_terminal=False, module="baccmod.test")
    try:
        set_log_level(MOREINFO, module="baccmod.test")
        logging.getLogger("baccmod.test.sub").log(MOREINFO, "per-run detail")
        logging.getLogger("baccmod.test.sub").debug("hidden")
        for handler in logger.handlers:
            handler.flush()
        text = path.read_text()
        assert "MOREINFO:baccmod.test.sub: per-run detail" in text and "hidden" not in text
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()


def test_baccmod_module_names_configure_the_loggers_carrying_their_messages():
    loggers = [logging.getLogger(name) for name in ("baccmod.api", "baccmod.per_run")]
    before = [logger.level for logger in loggers]
    try:
        set_log_level("DEBUG", "grid3d_acceptance_map_creator")
        assert all(logger.level == logging.DEBUG for logger in loggers)
        set_log_level(logging.ERROR, "baccmod.bkg_collection")
        assert logging.getLogger("baccmod.collection").level == logging.ERROR
    finally:
        for logger, level in zip(loggers, before):
            logger.setLevel(level)
        logging.getLogger("baccmod.collection").setLevel(logging.NOTSET)


def test_setting_up_twice_replaces_the_handlers(tmp_path):
    first = logging.StreamHandler()
    [logger] = setup_logging_output(handlers=[first], module="test_twice",
                                    log_format="%(message)s")
    try:
        assert logger.name == "baccmod.test_twice" and logger.handlers == [first]
        assert first.formatter._fmt == "%(message)s"
        setup_logging_output(output_file=tmp_path / "log.txt", use_terminal=False,
                             module="test_twice")
        assert len(logger.handlers) == 1 and logger.handlers[0] is not first
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
