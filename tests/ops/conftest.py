"""Fixtures for tests that run real ``journey`` processes against their own instance."""

from __future__ import annotations

import pytest

from tests.ops.instance import drop_instance, new_instance


@pytest.fixture
def instance(tmp_path):
    made = new_instance(tmp_path / "instance")
    yield made
    drop_instance(made)


@pytest.fixture(scope="module")
def module_instance(tmp_path_factory):
    made = new_instance(tmp_path_factory.mktemp("module") / "instance")
    yield made
    drop_instance(made)


@pytest.fixture
def second_instance(tmp_path):
    made = new_instance(tmp_path / "second")
    yield made
    drop_instance(made)
