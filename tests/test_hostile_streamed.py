"""Every hostile-input test of :mod:`tests.test_hostile` again, the file read through a reader.

The service walks and reads a file given as a file object a piece at a time (long values
stepped over, never read whole): each typed error, message and result must be the same as
for the file's bytes.
"""

import pytest

from tests import test_hostile
from tests.streamed import streamed_convert
from tests.test_hostile import *  # noqa: F403  (every test, collected here again)


@pytest.fixture(autouse=True)
def _streamed(monkeypatch):
    """Convert through ``convert_file`` from a reader in every test of this module."""
    monkeypatch.setattr(test_hostile, "convert", streamed_convert)
