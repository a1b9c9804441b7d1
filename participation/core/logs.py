"""Log lines that user-controlled text cannot forge.

A value logged with ``%s`` (a path, a pseudonym, an email subject…) may hold CR or LF:
written as is, it would start a fake line ("INFO admin logged in"). Every log record
of the process, whichever logger made it, has CR, LF and other control characters of its
message escaped (``\\n`` as the two characters backslash and n) when it is created; a
traceback attached to a record is formatted later and keeps its lines.
"""

import logging
import re

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with CR, LF and other control characters shown as escapes (tabs kept)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _escaped(value):
    return one_line(value) if isinstance(value, str) else value


_installed = False


def install() -> None:
    """Wrap the log record factory once per process."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        if isinstance(record.msg, str):
            record.msg = one_line(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_escaped(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _escaped(v) for k, v in record.args.items()}
        return record

    logging.setLogRecordFactory(factory)
