"""How a ``nnmf factorize`` model hands back its result: the arrays and summary.json written
into ``--out`` as one set (a temporary sibling folder renamed into place), the summary printed
as JSON with ``--json``, else one line unless ``--quiet`` (always when nothing is written)."""

from __future__ import annotations

from ..io import atomic_write_text, json_text, output_dir, save_matrix

__all__ = ["write_and_report"]


def write_and_report(args, arrays: dict, summary: dict, line: str,
                     why_null: dict | None = None) -> None:
    """Write ``arrays`` (file name -> array) and ``summary`` under ``args.out``, then report."""
    if args.out is not None:
        with output_dir(args.out) as out:
            for name, A in arrays.items():
                save_matrix(out / name, A)
            atomic_write_text(out / "summary.json", json_text(summary, why_null=why_null) + "\n")
    if args.json:
        print(json_text(summary, why_null=why_null))
    elif not args.quiet or args.out is None:
        print(line)
