"""kb in Jupyter, Colab and IPython: `%load_ext kb`, then `%kb a question` answers in the notebook, and
`%kb on-error` (opt in) adds a compact answer under the traceback whenever a cell raises.

    %load_ext kb
    %kb val accuracy plateau          the answer, as Markdown
    %kb --brief loss is nan           three lines
    %kb show nan-loss                 a whole page
    %kb on-error / %kb off-error      the answer under every traceback, or not

IPython is not a dependency of kb: this module is only imported by `load_ipython_extension`.
"""

from __future__ import annotations

import traceback

from .errors import KbError

USAGE = "usage: %kb QUESTION | %kb --brief QUESTION | %kb show SLUG | %kb on-error | %kb off-error"


class KbMagics:
    """The `%kb` magic and the on-error hook of one IPython shell; the engine is made on first use and kept."""

    def __init__(self, shell):
        self.shell = shell
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            from .api import Engine

            self._engine = Engine()
        return self._engine

    def magic(self, line: str) -> None:
        words = line.strip()
        try:
            if not words:
                print(USAGE)
            elif words == "on-error":
                self.shell.set_custom_exc((Exception,), self.on_error)
                print("kb: a short answer will follow every traceback (%kb off-error to stop)")
            elif words == "off-error":
                self.shell.set_custom_exc((), None)
                print("kb: answers under tracebacks are off")
            elif words.startswith("show "):
                from .render import page_markdown

                self._display(page_markdown(self.engine.page(words[5:].strip())))
            else:
                brief = words.startswith("--brief ")
                question = words[len("--brief ") :] if brief else words
                self._display(self.answer(question, "brief" if brief else "screen"))
        except KbError as exc:
            print(f"kb: {exc}")

    def answer(self, question: str, view: str = "screen") -> str:
        from .formats import render

        return render("answer", self.engine.ask(question), "markdown", view=view)

    def on_error(self, shell, etype, value, tb, tb_offset=None):
        """IPython's custom exception handler: the usual traceback first, then kb's compact answer under it."""
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        try:
            print(self.compact("".join(traceback.format_exception(etype, value, tb))))
        except Exception as exc:  # noqa: BLE001  (kb must never hide the user's own error behind one of its own)
            print(f"kb: could not look this up ({type(exc).__name__}: {exc})")

    def compact(self, text: str) -> str:
        """Three lines under a traceback: the page, one sentence, and the command that shows more."""
        answer = self.engine.ask(text)
        best = answer.best
        if best is None or not answer.confident:
            nearest = ", ".join(r.slug for r in answer.results)
            return f"kb: no page covers this yet; nearest: {nearest}"
        sentence = best.summary.split(". ")[0].rstrip(".") + "."
        return f"kb: {best.title} [{best.category}/{best.slug}]\nkb: {sentence}\nkb: more: %kb show {best.slug}"

    @staticmethod
    def _display(markdown: str) -> None:
        try:
            from IPython.display import Markdown, display

            display(Markdown(markdown))
        except ImportError:  # pragma: no cover - IPython is what loaded us
            print(markdown)


def load(shell) -> KbMagics:
    """Register `%kb` on `shell` (what `%load_ext kb` runs, through kb.load_ipython_extension)."""
    magics = KbMagics(shell)
    shell.register_magic_function(magics.magic, magic_kind="line", magic_name="kb")
    return magics
