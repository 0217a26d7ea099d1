"""Ctrl-C that cannot be swallowed: :class:`InterruptGuard` notes every SIGINT.

Some code turns Ctrl-C into a result: the alternating loop returns its last complete iterate
("interrupted ..."), and OSQP / CLARABEL catch SIGINT themselves and report a "Solver
interrupted" failure. A caller that must know whether the user pressed Ctrl-C (the runner,
which must not save an interrupted cell as done; the CLI, which exits 130) runs the work
inside the guard and reads ``guard.hit`` afterwards.

A solver that catches SIGINT in C replaces Python's handler for the solve, so the guard's
handler never runs; what is left is the solver's word. OSQP (1.x) prints "Solver interrupted"
through Python's ``sys.stdout`` (and CVXPY turns its status into a generic SolverError), so
the guard also watches ``sys.stdout`` (passing everything on) and sets ``hit`` when a solver
says so. With ``solver_output`` it also collects what C code writes straight to file
descriptor 1 during the block (a solver's banner, or its interrupt message from a build that
prints in C), reads that for the message too, and passes it on at the end, to stdout or to
the binary stream given (the CLI sends it to stderr, so that ``--json`` output stays JSON).

>>> with InterruptGuard() as guard:
...     pass
>>> guard.hit
False
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading

__all__ = ["InterruptGuard", "mentions_interrupt", "SOLVER_INTERRUPT_MESSAGES"]


class InterruptGuard:
    """Within the block, SIGINT sets ``hit`` and then raises ``KeyboardInterrupt`` as usual.

    Installed only in the main thread and only over Python's default handler, so a process
    that ignores SIGINT (or has its own handler) keeps its behaviour.

    ``solver_output``: False (the default) leaves file descriptor 1 alone; True or a binary
    stream collects what is written to it during the block (module docstring), sets ``hit``
    if a solver says there that it was interrupted, and at exit passes it on to stdout (True)
    or to that stream. The collected text is kept as ``solver_text``.
    """

    def __init__(self, solver_output=False):
        self.solver_output = solver_output

    def __enter__(self):
        self.hit = False
        self.solver_text = ""
        self._previous = self._stdout = self._fd1 = None
        if self.solver_output is not False:
            sys.stdout.flush()
            self._fd1 = (tempfile.TemporaryFile(), os.dup(1))
            os.dup2(self._fd1[0].fileno(), 1)
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handler)
            self._stdout = sys.stdout
            sys.stdout = _SolverWatch(self._stdout, self)
        return self

    def _handler(self, signum, frame):
        self.hit = True
        raise KeyboardInterrupt

    def __exit__(self, *exc) -> bool:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            if isinstance(sys.stdout, _SolverWatch) and sys.stdout._guard is self:
                sys.stdout = self._stdout
        if self._fd1 is not None:
            self._pass_on_fd1()
        return False

    def _pass_on_fd1(self):
        file, saved = self._fd1
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        file.seek(0)
        data = file.read()
        file.close()
        self.solver_text = data.decode("utf-8", "replace")
        if any(message in self.solver_text.lower() for message in SOLVER_INTERRUPT_MESSAGES):
            self.hit = True
        if data:
            target = sys.stdout.buffer if self.solver_output is True else self.solver_output
            target.write(data)
            target.flush()


SOLVER_INTERRUPT_MESSAGES = ("solver interrupted",)
"""What a solver prints when it caught SIGINT itself (OSQP), lower case."""


class _SolverWatch:
    """``sys.stdout`` within an :class:`InterruptGuard`: passes every write on and sets the
    guard's ``hit`` when a solver says it was interrupted (the last few characters are kept,
    so a message split over writes is seen)."""

    def __init__(self, stream, guard):
        self._stream, self._guard, self._tail = stream, guard, ""

    def write(self, text):
        seen = (self._tail + str(text)).lower()
        if any(message in seen for message in SOLVER_INTERRUPT_MESSAGES):
            self._guard.hit = True
        self._tail = seen[-32:]
        return self._stream.write(text)

    def __getattr__(self, name):   # flush, buffer, fileno, encoding, isatty, ...
        return getattr(self._stream, name)


def mentions_interrupt(text) -> bool:
    """Does a stop reason or solver message say the run was interrupted?"""
    return "interrupted" in str(text).lower()

