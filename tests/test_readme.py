"""The README's Python examples run as pasted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_python_examples():
    assert BLOCKS


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_a_readme_python_block_runs_as_pasted(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(BLOCKS[index], f"README.md python block {index}", "exec"), {})


def test_the_readme_shell_examples_use_no_method_the_cli_refuses_at_their_size():
    # the dense KL CVXPY model is refused above 8000 entries; README examples stay runnable
    assert "--loss kl --method cvxpy --json" not in README.read_text()
