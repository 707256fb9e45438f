"""Package discovery. The repository keeps probe/, collector/ and reports/ at its top (the
design card) while they install as subpackages of `netq`; every package and data folder under
those roots is found here, so none can be left out of the wheel by a hand-kept list."""

from setuptools import find_namespace_packages, setup

ROOTS = {"netq": "netq", "netq.probe": "probe", "netq.collector": "collector",
         "netq.reports": "reports"}

setup(
    package_dir=ROOTS,
    packages=[".".join(filter(None, (name, sub))) for name, where in ROOTS.items()
              for sub in ("", *find_namespace_packages(where, exclude=["*__pycache__*"]))],
)
