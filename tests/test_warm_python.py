"""Snippets forked from a warm interpreter behave as in a fresh `python -c`: clean state, output, errors, timeouts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kb.check import run_snippet, run_snippets
from kb.warm_python import WarmPython

pytestmark = pytest.mark.slow  # real interpreters that import torch and scikit-learn: seconds each


@pytest.fixture(scope="module")
def warm():
    interpreter = WarmPython()
    assert interpreter.ready, "importing torch and scikit-learn printed something, or the interpreter did not start"
    yield interpreter
    interpreter.close()


def test_each_snippet_starts_clean_in_an_empty_directory(warm):
    code = (
        "import os, sys, json\n"
        "print(sorted(os.listdir('.')), sys.argv, __name__, sys.stdin.read() == '')\n"
        "json.leaked = 1\n"
        "import torch; torch.manual_seed(0); print(round(torch.rand(1).item(), 4))\n"
    )
    first = warm.run(code, "clean", 60)
    second = warm.run(code.replace("json.leaked = 1", "print(hasattr(json, 'leaked'))"), "clean", 60)
    assert first[0] and second[0], (first, second)
    assert first[2].splitlines()[0] == "[] ['-c'] __main__ True"
    assert second[2].splitlines()[1] == "False"  # module state set by one snippet never reaches the next
    assert first[2].splitlines()[-1] == second[2].splitlines()[-1]  # the same seeded draw


def test_a_failing_snippet_shows_its_own_traceback_and_fails(warm):
    ok, _, output = warm.run("print('before')\nx = 1 / 0\n", "fails", 60)
    assert not ok and output.startswith("before") and "Traceback" in output and "ZeroDivisionError" in output
    assert "run_child" not in output  # the warm interpreter's own frames are not the snippet's
    ok, _, output = warm.run("import sys\nsys.exit(3)\n", "exits", 60)
    assert not ok


def test_a_snippet_that_hangs_is_killed_with_its_children_at_the_timeout(warm):
    code = "import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\ntime.sleep(60)\n"
    ok, seconds, output = warm.run(code, "hangs", 2)
    assert not ok and "timed out" in output and seconds < 10
    assert warm.run("print('still here')", "after", 60)[2].strip() == "still here"


def test_classes_defined_in_a_snippet_pickle_as_in_python_c(warm):
    code = (
        "import pickle\n"
        "class Point:\n    pass\n"
        "print(type(pickle.loads(pickle.dumps(Point()))).__name__, Point.__module__)\n"
    )
    ok, _, output = warm.run(code, "pickle", 60)
    assert ok and output.strip() == "Point __main__", output


@dataclass
class Page:
    slug: str
    snippet: str


def test_warm_and_fresh_runs_agree():
    pages = [
        Page("numbers", "import numpy as np\nnp.random.seed(0)\nprint(np.random.rand(3).round(3))\n"),
        Page("fails", "raise ValueError('bad page')\n"),
        Page("torch", "import torch\ntorch.manual_seed(1)\nprint(torch.nn.Linear(2, 1).weight.sum().item())\n"),
    ]
    warm = run_snippets(pages, jobs=2)
    fresh = {page.slug: run_snippet(page.snippet, page.slug) for page in pages}
    assert (
        {s: r.ok for s, r in warm.items()}
        == {s: r.ok for s, r in fresh.items()}
        == {
            "numbers": True,
            "fails": False,
            "torch": True,
        }
    )
    assert warm["numbers"].output == fresh["numbers"].output and warm["torch"].output == fresh["torch"].output
    assert "ValueError: bad page" in warm["fails"].output
