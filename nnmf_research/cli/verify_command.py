"""``nnmf verify``: re-check a certificate (exact NMF, in exact rational arithmetic), a
cover refutation (``nnmf rank --proofs``: rebuilt from the matrix, DRUP proof replayed) or
a two-sided geometric certificate (re-checked in exact arithmetic)."""

from __future__ import annotations

from pathlib import Path

from ..checks import NMFInputError
from ..io import check_regular_file, load_matrix

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Add the subcommand to the ``nnmf`` parser (``sub``: its subparsers)."""
    p = sub.add_parser(
        "verify",
        help="re-check a certificate in exact arithmetic, or a cover-number proof",
        description="Re-check a certificate written by 'nnmf exact' against the matrix, "
                    "in exact rational arithmetic, or a cover refutation written by "
                    "'nnmf rank --proofs' (the covering system is rebuilt from the matrix "
                    "and the DRUP proof replayed by dratify), independently of how it "
                    "was found.",
    )
    p.add_argument("file", metavar="FILE", help="the matrix file the certificate is about")
    p.add_argument("certificate", type=Path,
                   help="certificate.json, cover_proof.json or geometric_proof.json, or a "
                        "directory holding one "
                        "(or the --proofs directory of 'nnmf rank': every proof in it)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..bounds.certificates import load_certificate, verify_certificate
    from ..bounds.cover_certificates import PROOF_FILE, verify_cover_proof

    from ..bounds.geometric_certificates import GEOMETRIC_FILE, verify_geometric_proof

    X = load_matrix(args.file)
    path = args.certificate
    check = {PROOF_FILE: verify_cover_proof, GEOMETRIC_FILE: verify_geometric_proof}
    if path.is_dir() and not (path / "certificate.json").exists():
        proofs = [path / name for name in check if (path / name).exists()] or \
            sorted(p for name in check for p in path.glob(f"*/{name}"))
        if not proofs:
            raise NMFInputError(f"{path} holds no certificate.json, {PROOF_FILE} or "
                                f"{GEOMETRIC_FILE}")
        reports = [check[proof.name](X, proof) for proof in proofs]
    elif path.name in check:
        reports = [check[path.name](X, path)]
    else:
        if path.is_dir():
            path = path / "certificate.json"
        check_regular_file(path, "certificate")
        reports = [verify_certificate(X, load_certificate(path))]
    for report in reports:
        print(f"{'valid' if report['valid'] else 'INVALID'}: {report['claim']} — "
              f"{report['reason']}")
    return 0 if all(report["valid"] for report in reports) else 1
