"""Logging filter that keeps client addresses and query strings out of every log record.

Django's development server logs "IP - - [date] request"; Django's request
logger attaches the request object. Both are rewritten here so that nothing
identifying a visitor reaches a handler. Query strings go too: a route request
carries where a walker starts and ends.
"""

from __future__ import annotations

import logging
import re

IPV4_OR_IPV6 = re.compile(
    r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\b(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}\b"
)


QUERY_STRING_IN_PATH = re.compile(r"(/[^\s?\"]*)\?[^\s\"]*")


def scrub_addresses(text: str) -> str:
    """Replace addresses (IPv4/IPv6 shapes) by a placeholder and drop URL query strings."""
    return QUERY_STRING_IN_PATH.sub(r"\1", IPV4_OR_IPV6.sub("[address]", text))


class DropClientAddress(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub_addresses(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(
                scrub_addresses(arg) if isinstance(arg, str) else arg for arg in args
            )
        if hasattr(record, "request"):
            record.request = None
        return True
