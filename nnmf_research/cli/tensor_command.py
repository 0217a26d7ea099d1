"""``nnmf tensor``: non-negative CP factorization of an n-way .npy array (A1..An.npy, summary.json)."""

from __future__ import annotations


from .. import __version__
from ..io import check_output_dir, json_text, output_dir
from ..status import Kind, kind_of
from .options import add_loop_options, add_output_options

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Add the subcommand to the ``nnmf`` parser (``sub``: its subparsers)."""
    p = sub.add_parser(
        "tensor",
        help="non-negative tensor factorization of an n-way array (.npy)",
        description="Non-negative CP factorization T ~ sum_j a_j^1 o ... o a_j^n with every "
                    "factor >= 0 (Shashua & Hazan 2005) of the array in FILE (.npy, order "
                    ">= 2).",
    )
    p.add_argument("file", metavar="FILE", help="an .npy array of order >= 2")
    p.add_argument("-k", "--rank", dest="k", type=int, required=True,
                   help="number of rank-one terms k >= 1")
    p.add_argument("--method", choices=("hals", "mu", "cvxpy"), default="hals",
                   help="hals (frobenius), mu (frobenius, kl) or cvxpy (the Gram-form mode "
                        "model) (default: %(default)s)")
    p.add_argument("--loss", choices=("frobenius", "kl"), default="frobenius",
                   help="objective (default: %(default)s)")
    add_loop_options(p, steps="sweeps over the modes", step="sweep",
                     seed_of="the initial factors")
    p.add_argument("--solver", default=None, help="CVXPY solver for --method cvxpy")
    add_output_options(p, writes="A1.npy ... An.npy and summary.json")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..tensor import load_tensor, ntf, save_ntf

    T = load_tensor(args.file)
    owned = tuple(f"A{r}.npy" for r in range(1, T.ndim + 1)) + ("summary.json",)
    if args.out is not None:
        check_output_dir(args.out, owned=owned)
    fit = ntf(T, args.k, method=args.method, loss=args.loss, random_state=args.seed,
              max_iter=args.max_iter, tol=args.tol, time_limit=args.time_limit,
              solver=args.solver, progress=None if args.quiet else 2.0)
    extra = {"input": str(args.file), "seed": args.seed, "nnmf_research_version": __version__}
    if args.out is not None:
        with output_dir(args.out) as out:
            save_ntf(fit, out, extra)
    if args.json:
        print(json_text({**fit.summary(), **extra}))
    elif not args.quiet or args.out is None:
        print(f"{args.method}/{args.loss} k={args.k}: loss {fit.loss:.6g}, relative error "
              f"{fit.relative_error:.3g}, {fit.stop_reason}, {fit.seconds:.2f} s")
    return 130 if kind_of(fit.stop_reason) is Kind.INTERRUPTED else 0
