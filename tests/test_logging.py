"""baccmod.logging: levels and outputs of the baccmod logger."""
import logging

from baccmod.logging import MOREINFO, set_log_level, setup_logging_output


def test_moreinfo_sits_between_debug_and_info():
    assert logging.DEBUG < MOREINFO == 15 < logging.INFO
    assert logging.getLevelName(MOREINFO) == "MOREINFO"


def test_file_output_and_level(tmp_path):
    path = tmp_path / "baccmod.log"
    logger = setup_logging_output(output_file=path, use_terminal=False, module="baccmod.test")
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
