"""``nnmf factorize --model``: the factorization families besides plain NMF, one table entry each.

Each entry of :data:`MODELS` says what the model solves (one line with its paper, shown by
``--help``), which ``--method`` values it takes (the first is the default), which ``--init``
values, and the files it writes; :func:`run_model` reads the input, runs the library function
and returns the arrays and summary that ``factorize_command`` writes as one set.

======================  =====================================================================
model                   solves (columns of X are samples)
======================  =====================================================================
semi                    X ≈ F Gᵀ, G ≥ 0, F free; X of any sign (Ding, Li & Jordan 2010, §3)
convex                  X ≈ X W Gᵀ, W, G ≥ 0 (F = XW); X of any sign (Ding, Li & Jordan, §4)
kernel-convex           the same on an n×n symmetric PSD kernel K alone; FILE is K (§5)
separable               X ≈ X[:, anchors] H, H ≥ 0 (SPA: Gillis & Vavasis 2014; LP: Gillis &
                        Luce 2014; Hottopixx: Bittorf et al. 2012); X ≥ 0
======================  =====================================================================

Input checks are the library's: semi and convex accept mixed-sign X (the paper's setting,
e.g. standardized data); kernel-convex refuses a K that is not symmetric PSD (stating its
smallest eigenvalue); separable, like plain NMF, refuses a negative entry and names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..checks import NMFInputError, check_choice, check_matrix
from ..io import read_matrix

__all__ = ["ModelSpec", "MODELS", "MODEL_METHODS", "run_model"]


@dataclass(frozen=True)
class ModelSpec:
    """One ``--model`` choice: its one-line help, methods, inits and output files."""

    help: str
    methods: tuple[str, ...]
    inits: tuple[str, ...]
    outputs: tuple[str, ...]
    run: Callable


def _read(path, check: Callable, name: str) -> np.ndarray:
    """Read ``path`` and validate it with ``check``; errors are prefixed with the path."""
    A = read_matrix(path)
    try:
        return check(A, name)
    except NMFInputError as exc:
        raise NMFInputError(f"{path}: {exc}") from None


def _loop(args) -> dict:
    return {"max_iter": args.max_iter, "tol": args.tol, "time_limit": args.time_limit,
            "random_state": args.seed, "solver": args.solver,
            "progress": None if args.quiet else 2.0}


def _convex_arrays(fit) -> dict:
    arrays = {"F.npy": fit.F, "G.npy": fit.G, "W.npy": fit.W}
    return {name: A for name, A in arrays.items() if A is not None}


def _run_semi(args):
    from ..convex import check_real_matrix, semi_nmf

    X = _read(args.file, check_real_matrix, "X")
    fit = semi_nmf(X, args.k, method=args.method, init=args.init, **_loop(args))
    return fit, _convex_arrays(fit)


def _run_convex(args):
    from ..convex import check_real_matrix, convex_nmf

    X = _read(args.file, check_real_matrix, "X")
    fit = convex_nmf(X, args.k, method=args.method, init=args.init, **_loop(args))
    return fit, _convex_arrays(fit)


def _run_kernel_convex(args):
    from ..convex import check_kernel, kernel_convex_nmf

    K = _read(args.file, check_kernel, "K")
    fit = kernel_convex_nmf(K, args.k, method=args.method, init=args.init, **_loop(args))
    return fit, _convex_arrays(fit)


def _run_separable(args):
    from ..separable import separable_nmf

    X = _read(args.file, lambda A, name: check_matrix(A, name, allow_zero=False), "X")
    fit = separable_nmf(X, args.k, method=args.method, noise=args.noise or 0.0,
                        random_state=args.seed, solver=args.solver)
    return fit, {"W.npy": fit.W, "H.npy": fit.H,
                 "anchors.npy": np.asarray(fit.anchors, dtype=np.int64)}


MODELS: dict[str, ModelSpec] = {
    "semi": ModelSpec(
        "semi-NMF X ~ F G^T, G >= 0, F free, X of any sign (Ding, Li & Jordan, IEEE TPAMI "
        "2010)", ("mu", "cvxpy"), ("kmeans", "random"), ("F.npy", "G.npy", "summary.json"),
        _run_semi),
    "convex": ModelSpec(
        "convex NMF X ~ X W G^T, W, G >= 0, basis F = XW, X of any sign (Ding, Li & Jordan "
        "2010)", ("mu", "cvxpy"), ("kmeans", "random"),
        ("F.npy", "G.npy", "W.npy", "summary.json"), _run_convex),
    "kernel-convex": ModelSpec(
        "kernel convex NMF on FILE = an n x n symmetric PSD kernel K (Ding, Li & Jordan "
        "2010)", ("mu", "cvxpy"), ("kmeans", "random"), ("G.npy", "W.npy", "summary.json"),
        _run_kernel_convex),
    "separable": ModelSpec(
        "separable NMF X ~ X[:, anchors] H, H >= 0, X >= 0: spa (Gillis & Vavasis, IEEE "
        "TPAMI 2014), gillis_luce (robust LP, Gillis & Luce, JMLR 2014), hottopixx "
        "(Bittorf et al., NIPS 2012)", ("spa", "gillis_luce", "hottopixx"), (),
        ("W.npy", "H.npy", "anchors.npy", "summary.json"), _run_separable),
}
"""``--model`` name -> what it solves, its methods and inits (first = default), its outputs."""

MODEL_METHODS = tuple(dict.fromkeys(m for spec in MODELS.values() for m in spec.methods))
"""Every --method value a model of this table takes."""


def resolve_options(args) -> ModelSpec:
    """Fill in the model's default --method / --init and refuse options it does not take
    (named errors, exit 2), before anything is read or computed."""
    spec = MODELS[args.model]
    where = f"--model {args.model}"
    if args.method is None:
        args.method = spec.methods[0]
    check_choice(args.method, f"--method for {where}", spec.methods)
    if args.init is None and spec.inits:
        args.init = spec.inits[0]
    elif args.init is not None:
        if not spec.inits:
            raise NMFInputError(f"--init does not apply to {where} (it has no initial factors)")
        check_choice(args.init, f"--init for {where}", spec.inits)
    if args.loss not in (None, "frobenius"):
        raise NMFInputError(f"{where} minimizes the Frobenius loss; --loss {args.loss} "
                            "applies to --model nmf only")
    if args.noise is not None and args.method not in ("gillis_luce", "hottopixx"):
        raise NMFInputError("--noise is the noise level of the LPs: it applies to --model "
                            "separable with --method gillis_luce or hottopixx")
    return spec


def run_model(args) -> tuple[object, dict]:
    """Run ``args.model`` on ``args.file``: (the result record, {file name: array})."""
    return MODELS[args.model].run(args)
