"""The one tree of errors a user can cause: a mistake in a file or a command, or a file,
store or peer that cannot be used. Each carries a message that says what is wrong and where;
the command line prints it on one line and exits with its `exit_code` (1: what was asked
cannot be done as given; 3: the environment — a store, a file system, a peer — is not there
or not usable now). Anything else is a bug in netq, and keeps its traceback."""

from __future__ import annotations


class NetqError(Exception):
    """What a user can fix: the message says what and where."""

    exit_code = 1


class Unavailable(NetqError):
    """A store, file or peer that is not there or not usable now: the environment's, not
    the command's."""

    exit_code = 3


class ConfigError(NetqError):
    """A configuration, rule or data file that cannot be used as it is; the message names the
    file, the line and the key."""


class NotFound(NetqError):
    """Something asked for by name is not there: a profile, an indicator, a probe, a token."""


class ReadReplica(NetqError):
    """A read replica cannot serve as it is, or was asked for a write."""
