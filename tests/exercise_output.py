"""What an exercise check printed, for the tests of swin_edu.exercises (``from exercise_output import verdict``).

Every test starts with no wrong tries counted (the autouse fixture ``_fresh_tries`` in tests/conftest.py), so the
first wrong answer of a test gets the first hint.
"""

from __future__ import annotations

import pytest


def verdict(capsys: pytest.CaptureFixture) -> str:
    """The check's printed verdict since the last read, without surrounding whitespace."""
    return capsys.readouterr().out.strip()
