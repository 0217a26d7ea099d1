"""InterruptGuard: a solver's word that it caught Ctrl-C is read wherever it prints it."""

import io
import os

from nnmf_research.interrupts import InterruptGuard


def _fd1_identity():
    st = os.fstat(1)
    return st.st_dev, st.st_ino


def test_what_c_code_writes_to_fd_1_is_read_for_the_interrupt_and_passed_on():
    before = _fd1_identity()
    for text, interrupted in ((b"banner\nSolver interrupted\n", True), (b"banner only\n", False)):
        target = io.BytesIO()
        with InterruptGuard(solver_output=target) as guard:
            os.write(1, text)             # as a C solver's printf does, past sys.stdout
        assert guard.hit is interrupted
        assert target.getvalue() == text and guard.solver_text == text.decode()
        assert _fd1_identity() == before  # file descriptor 1 is restored


def test_without_solver_output_fd_1_is_left_alone_and_stdout_is_still_watched(capsys):
    before = _fd1_identity()
    with InterruptGuard() as guard:
        assert _fd1_identity() == before
        print("Solver interrupted")       # OSQP 1.x prints through sys.stdout
    assert capsys.readouterr().out == "Solver interrupted\n"
    assert guard.hit and guard.solver_text == ""
