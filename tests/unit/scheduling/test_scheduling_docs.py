"""The examples in the scheduling docstrings and in docs/scheduling.md run and stay true."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

MODULES = [
    "allocation",
    "atp",
    "calendar",
    "delivery",
    "errors",
    "quantities",
    "rules",
    "schedule_lines",
    "timeline",
]
DOC = Path(__file__).resolve().parents[3] / "docs" / "scheduling.md"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"kubus.scheduling.{name}")
    failures, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted, f"kubus.scheduling.{name} has no examples"
    assert failures == 0


def test_python_example_in_docs_runs():
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, "docs/scheduling.md has no python example"
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})
