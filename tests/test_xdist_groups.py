"""Tests in one ``xdist_group`` never overlap (conftest's ``xdist_group_lock``), whatever the worker.

pytest 9.2 with pytest-xdist 3.8 lost ``--dist loadgroup``'s grouping, and two scheduler tests on two
workers removed each other's ``at`` job (stop 24's CI). The lock is what holds them apart now.
"""

from __future__ import annotations

import fcntl

import pytest

from conftest import GROUP_LOCKS


def try_lock(name: str) -> bool:
    """Whether another open file could take ``name``'s group lock right now."""
    GROUP_LOCKS.mkdir(mode=0o700, exist_ok=True)
    with open(GROUP_LOCKS / f"{name}.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


@pytest.mark.xdist_group("lock-probe")
def test_a_grouped_test_holds_its_groups_lock_while_it_runs():
    assert not try_lock("lock-probe"), "another worker's test of the group would run beside this one"


def test_control_a_group_no_running_test_is_in_can_be_locked():
    assert try_lock("lock-probe-free"), "the probe above can tell a free lock from a held one"
