"""``nnmf verify``: re-check a certificate in exact rational arithmetic."""

from __future__ import annotations

from pathlib import Path

from ..io import check_regular_file, load_matrix

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Add the subcommand to the ``nnmf`` parser (``sub``: its subparsers)."""
    p = sub.add_parser(
        "verify",
        help="re-check a certificate in exact arithmetic",
        description="Re-check a certificate written by 'nnmf exact' against the matrix, "
                    "in exact rational arithmetic, independently of how it was found.",
    )
    p.add_argument("file", metavar="FILE", help="the matrix file the certificate is about")
    p.add_argument("certificate", type=Path,
                   help="certificate.json, or the directory holding it")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..bounds.certificates import load_certificate, verify_certificate

    X = load_matrix(args.file)
    path = args.certificate
    if path.is_dir():
        path = path / "certificate.json"
    check_regular_file(path, "certificate")
    report = verify_certificate(X, load_certificate(path))
    print(f"{'valid' if report['valid'] else 'INVALID'}: {report['claim']} — {report['reason']}")
    return 0 if report["valid"] else 1
