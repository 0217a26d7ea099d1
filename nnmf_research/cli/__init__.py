"""The ``nnmf`` command.

    nnmf factorize data.npy -k 10 --loss frobenius --method hals --seed 0 --out run/
    nnmf factorize data.csv -k 10 --loss kl --method cvxpy --json
    nnmf factorize std.csv -k 3 --model semi|convex|kernel-convex|separable [--method ...]
    nnmf reproduce --list | NAME | all [--tiny] [--force] [--jobs N]
    nnmf exact matrix.csv -r 5 --out fact/ ;  nnmf verify matrix.csv fact/
    nnmf rank matrix.csv [--json] [--bounds fooling_set,tau_sos] [--time-limit 120]

``factorize`` reads X (columns are samples: X ≈ W H with W m×k, H k×n), runs
:func:`nnmf_research.factorize.factorize`, and writes ``W.npy``, ``H.npy`` and
``summary.json`` into ``--out`` as a set (a temporary sibling folder renamed into place, only
after the run, so bad input or a failed write leaves the old folder as it was), and/or prints
the summary as JSON with ``--json``. ``--model`` (:mod:`nnmf_research.cli.models`) runs
semi-, convex or kernel convex NMF (F.npy, G.npy, W.npy) or separable NMF (W.npy, H.npy,
anchors.npy) instead, written the same way. Ctrl-C stops the run and still writes the last
complete iterate (stop_reason "interrupted ..."), also when a CVXPY solver reports the
interrupt as a failure; the command then exits 130. Output paths and options are checked
before anything is computed. Every JSON printed or written is strict (a non-finite number
is ``null``, and ``null_because`` says why).

Exit codes: 0 success, 2 bad input or options, 1 a solver failure, an invalid certificate
or no memory, 3 no exact factorization found, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

from .main import build_parser, main

__all__ = ["main", "build_parser"]
