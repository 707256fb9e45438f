"""netq: network quality measurement and compliance for Belarusian ISPs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("netq")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
