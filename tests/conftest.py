from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab import Lab, missing_requirements


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    built = Lab(Path(tmp_path_factory.mktemp("lab")))
    try:
        built.build()
        yield built
    finally:
        built.teardown()
