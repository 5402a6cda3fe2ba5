"""Text made safe for a terminal: whatever a page, an index file or a log says, it can never move the cursor,
retitle the window or hide text, because escape sequences and control characters are removed on the way in."""

from __future__ import annotations

import re

# Terminal control: escape sequences and C0/C1 control characters other than tab and newline. A page (or an index
# built from one) must never be able to move the cursor, retitle the terminal or hide text.
CONTROL_RE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|[\x20-\x7e])?"  # two-character sequences (ESC c resets the terminal)
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # other C0 and C1 controls (tab and newline stay)
)


def without_controls(text: str) -> str:
    """`text` with terminal escape sequences and control characters (except tab and newline) removed."""
    return CONTROL_RE.sub("", text.replace("\r\n", "\n"))
