"""Ctrl-C that cannot be swallowed: :class:`InterruptGuard` notes every SIGINT.

Some code turns Ctrl-C into a result: the alternating loop returns its last complete iterate
("interrupted ..."), and OSQP / CLARABEL catch SIGINT themselves and report a "Solver
interrupted" failure. A caller that must know whether the user pressed Ctrl-C (the runner,
which must not save an interrupted cell as done; the CLI, which exits 130) runs the work
inside the guard and reads ``guard.hit`` afterwards.

>>> with InterruptGuard() as guard:
...     pass
>>> guard.hit
False
"""

from __future__ import annotations

import signal
import threading

__all__ = ["InterruptGuard", "mentions_interrupt"]


class InterruptGuard:
    """Within the block, SIGINT sets ``hit`` and then raises ``KeyboardInterrupt`` as usual.

    Installed only in the main thread and only over Python's default handler, so a process
    that ignores SIGINT (or has its own handler) keeps its behaviour.
    """

    def __enter__(self):
        self.hit = False
        self._previous = None
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame):
        self.hit = True
        raise KeyboardInterrupt

    def __exit__(self, *exc) -> bool:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def mentions_interrupt(text) -> bool:
    """Does a stop reason or solver message say the run was interrupted?"""
    return "interrupted" in str(text).lower()

