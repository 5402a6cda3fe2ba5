"""The answer where the work happens (issue 20): `kb QUESTION`, one screen with a pager on a terminal, code that is
never cut, plain text in pipes, completion, `kb run`, notebooks, and MCP started with a client's bare environment.
Terminal tests run kb in a real pseudo-terminal of 80x24 and read the screen through a terminal emulator (pyte)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time

import pytest

from kb.cli import with_default_command
from kb.formats import render

from conftest import REPO, run_kb

ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")


def in_terminal(args: list[str], cols: int = 80, rows: int = 24, env: dict | None = None, keys: bytes = b"q"):
    """Run `kb args` on a pseudo-terminal of cols x rows: (the screen a user sees when output stops, raw bytes)."""
    import pyte

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    full_env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows), **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=full_env,
        cwd=REPO,
        start_new_session=True,
    )
    os.close(follower)
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    raw = b""
    deadline = time.time() + 120
    while time.time() < deadline:
        ready, _, _ = select.select([leader], [], [], 3)
        if not ready:
            break  # quiet: the pager waits for a key, or kb is done
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        raw += data
        stream.feed(data)
    shown = [line.rstrip() for line in screen.display]
    try:
        os.write(leader, keys)
    except OSError:
        pass
    proc.wait(timeout=60)
    os.close(leader)
    return shown, raw


# ---------------------------------------------------------------- fast: the logic


def test_a_question_right_after_kb_is_asked():
    assert with_default_command(["loss", "is", "nan"]) == ["ask", "loss", "is", "nan"]
    assert with_default_command(["val accuracy plateau", "--json"]) == ["ask", "val accuracy plateau", "--json"]
    assert with_default_command(["show", "nan-loss"]) == ["show", "nan-loss"]  # commands win
    assert with_default_command(["--version"]) == ["--version"] and with_default_command([]) == []
    # an option only `ask` has may come first; kb's own options and unknown ones stay kb's
    assert with_default_command(["--brief", "loss", "is", "nan"]) == ["ask", "--brief", "loss", "is", "nan"]
    assert with_default_command(["-k", "1", "nan"]) == ["ask", "-k", "1", "nan"]
    assert with_default_command(["--top=1", "nan"]) == ["ask", "--top=1", "nan"]
    assert with_default_command(["--help"]) == ["--help"] and with_default_command(["--bogus"]) == ["--bogus"]


def test_every_command_and_group_is_registered_and_wins_over_a_question():
    from typer.testing import CliRunner

    from kb.cli import app, command_names

    expected = {"ask", "diagnose", "explain", "run", "show", "snippet", "list", "new", "check", "index", "cache"}
    expected |= {"eval", "mcp", "site"}
    assert command_names() == expected
    assert with_default_command(["site", "build", "--out", "x"]) == ["site", "build", "--out", "x"]
    shown = CliRunner().invoke(app, ["site", "build", "--help"])
    assert shown.exit_code == 0 and "--out" in shown.stdout


def test_piped_text_is_plain_and_its_links_lead_somewhere(fake_engine):
    answer = fake_engine.ask("RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB")
    text = render("answer", answer, "text")
    prose = text.split("Code to try")[0]  # the snippet's own ** is Python's power operator
    assert "**" not in prose and ".md)" not in prose and "](" not in prose
    assert "(kb show" in render("page", fake_engine.page("nan-loss"), "text")
    site = render("page", fake_engine.page("nan-loss"), "markdown", site_url="https://kb.example.org")
    assert "https://kb.example.org/concepts/" in site and "](../" not in site


def test_brief_is_three_lines_and_full_is_the_whole_page(fake_engine):
    answer = fake_engine.ask("RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB")
    brief = render("answer", answer, "text", view="brief")
    assert len(brief.strip().splitlines()) == 3 and brief.startswith(answer.best.title)
    page = fake_engine.page(answer.best.slug)
    full = render("answer", answer, "text", view="full", page=page)
    assert all(name in full for name in ("Why", "Check", "Fixes, in order", "Not this?", "Sources"))
    screen = render("answer", answer, "text")
    assert "Try this first:" in screen and "Sources" not in screen


def test_page_names_and_files_complete(tmp_path):
    env = {"_KB_COMPLETE": "complete_bash", "COMP_CWORD": "2"}
    slugs = run_kb(env={**env, "COMP_WORDS": "kb show learning-r"}).stdout.decode().split()
    assert slugs == ["learning-rate", "learning-rate-finder", "learning-rate-schedule"]
    (tmp_path / "run1.csv").write_text("epoch,loss\n")
    files = run_kb(env={**env, "COMP_WORDS": f"kb diagnose {tmp_path}/ru"}).stdout.decode().split()
    assert files == [str(tmp_path / "run1.csv")]


def test_kb_run_passes_output_through_unchanged_and_exits_with_its_code(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(
        "import sys\nsys.stdout.buffer.write(b'out \\xff bytes\\n' * 3)\n"
        "sys.stderr.write('progress 50%\\r progress 100%\\n')\nsys.exit(3)\n"
    )
    done = run_kb("run", "--", sys.executable, str(script))
    assert done.returncode == 3
    assert done.stdout == b"out \xff bytes\n" * 3
    assert done.stderr == b"progress 50%\r progress 100%\n"  # nothing to say: kb adds nothing
    missing = run_kb("run", "--", "/no/such/command")
    assert missing.returncode == 127 and missing.stderr.decode().strip() == (
        "kb: cannot run /no/such/command: No such file or directory"
    )


# ---------------------------------------------------------------- slow: the real thing


@pytest.mark.slow
def test_the_first_screen_of_80x24_shows_the_answer_and_a_pager_holds_the_rest(engine):
    shown, raw = in_terminal(["val accuracy plateau"])  # `kb QUESTION`, with the default pager (less)
    text = "\n".join(shown)
    first = engine.ask("val accuracy plateau").best
    assert shown[0].startswith(first.title) and first.slug in shown[0]
    assert "Try this first" in text
    assert shown[-1].strip().startswith(":") or "(END)" in shown[-1]  # less is waiting: nothing scrolled away


@pytest.mark.slow
def test_code_is_never_cut_at_the_window_edge(engine):
    page = engine.page("nan-loss")
    assert max(len(line) for line in page.snippet.splitlines()) > 80  # the case that used to be cut
    _, raw = in_terminal(["show", "nan-loss"], env={"KB_PAGER": "cat"})
    text = ANSI_RE.sub("", raw.decode("utf-8", "replace")).replace("\r\n", "\n")
    assert [line for line in page.snippet.splitlines() if line.strip() and line not in text] == []


@pytest.mark.slow
def test_kb_run_answers_for_a_crash_and_notes_nan_losses(engine, tmp_path):
    crash = tmp_path / "crash.py"
    crash.write_text("import torch\nprint('epoch 1 loss 0.91')\nx = torch.randn(4, 3) @ torch.randn(5, 2)\n")
    done = run_kb("run", "--", sys.executable, str(crash))
    err = done.stderr.decode()
    assert done.returncode == 1 and done.stdout == b"epoch 1 loss 0.91\n"
    assert "mat1 and mat2 shapes cannot be multiplied" in err  # the traceback passes through
    assert "kb: the run crashed: " in err and "[debugging/shape-mismatch]" in err
    nan = tmp_path / "nan.py"
    nan.write_text("for step in range(3):\n    print(f'step {step} loss: {float(\"nan\") if step else 2.3}')\n")
    done = run_kb("run", "--", sys.executable, str(nan))
    assert done.returncode == 0 and "kb: the output shows a nan/inf loss" in done.stderr.decode()
    assert done.stderr.decode().count("kb: the output shows") == 1  # once, at the end


@pytest.mark.slow
def test_notebook_answers_under_a_shape_mismatch_in_a_real_kernel(engine):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("%load_ext kb\n%kb on-error"),
        nbformat.v4.new_code_cell("import torch\nlogits = torch.randn(8, 3) @ torch.randn(4, 2)"),
        nbformat.v4.new_code_cell("%kb --brief loss is nan"),
    ]
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True).execute()
    raised = notebook.cells[1].outputs
    assert [o["output_type"] for o in raised][0] == "error" and raised[0]["ename"] == "RuntimeError"
    under = "".join(o.get("text", "") for o in raised if o["output_type"] == "stream")
    assert (
        "kb: Shape mismatch" in under and "[debugging/shape-mismatch]" in under and "%kb show shape-mismatch" in under
    )
    magic = notebook.cells[2].outputs[0]
    assert magic["output_type"] == "display_data" and "NaN or inf loss" in magic["data"]["text/markdown"]


@pytest.mark.slow
def test_mcp_started_with_a_clients_bare_environment_uses_its_arguments(engine, kb_home, tmp_path):
    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import get_default_environment, stdio_client

    own = tmp_path / "own"
    from conftest import write_page

    write_page(own, "debugging", "our-own-page", title="Our own page", symptoms=[f"our symptom {i}" for i in range(6)])
    env = get_default_environment()  # what Claude Desktop and other clients pass: no KB_HOME, no KB_CONCEPTS
    assert "KB_HOME" not in env
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "kb", "mcp", "--home", str(kb_home), "--concepts", str(own)], env=env
    )

    async def check():
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                found = await session.call_tool("ask", {"query": "our symptom 3"})
                data = found.structured_content or json.loads(found.content[0].text)
                assert data["results"][0]["slug"] == "our-own-page"
                bad = await session.call_tool("ask", {"query": "x", "k": 0})
                message = bad.content[0].text
                assert bad.is_error and "\n" not in message and "http" not in message

    started = time.perf_counter()
    anyio.run(check)
    assert time.perf_counter() - started < 120  # the session's model export and index were reused, not rebuilt
