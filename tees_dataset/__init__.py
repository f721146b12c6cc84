"""Quarterly multi-agency safeguarding dataset for the Tees partnerships."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tees-dataset")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
