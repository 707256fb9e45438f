"""The one tree of errors a user can cause: a mistake in a file or a command, or a file,
store or peer that cannot be used. Each carries a message that says what is wrong and where;
the command line prints it on one line and exits 1. Anything else is a bug in netq, and
keeps its traceback."""

from __future__ import annotations


class NetqError(Exception):
    """What a user can fix: the message says what and where."""


class ConfigError(NetqError):
    """A configuration, rule or data file that cannot be used as it is; the message names the
    file, the line and the key."""


class NotFound(NetqError):
    """Something asked for by name is not there: a profile, an indicator, a probe, a token."""


class ReadReplica(NetqError):
    """A read replica cannot serve as it is, or was asked for a write."""
