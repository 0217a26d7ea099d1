"""Cover-number lower bounds as files a third party re-checks from the matrix alone.

``nnmf rank --proofs DIR`` writes, for every rectangle-cover or refined-rectangle-cover bound
certified by a checked DRUP proof (:mod:`.cover_proofs`), a folder ``DIR/<bound>/`` with

* ``cover_proof.json`` — ``format``, ``bound`` ("rectangle_cover" | "refined_rectangle_cover"),
  ``lower_bound`` L, ``refuted_k`` = L − 1, ``shape``, ``x_sha256`` (of the stored float64
  values, C order: it only names the matrix in error messages; soundness rests on rebuilding
  everything from X), for the refined bound ``blocks`` (the 2×2 blocks (i, k, j, l) it counted,
  in its order), ``eps`` and ``symmetry`` (whether the formula carries the leader constraints
  of :func:`.refined_rectangle_cover.leader_constraints`), the SAT ``solver``, and the two
  file names with their SHA-256;
* ``formula.cnf`` — DIMACS: "a cover with at most L − 1 rectangles exists" (encoding in
  :mod:`.cover_proofs`);
* ``proof.drup`` — the solver's DRUP refutation of it.

:func:`verify_cover_proof` (``nnmf verify FILE DIR``) trusts none of it: from X it
enumerates the maximal rectangles of supp(X), builds the covering system — one "covered"
row per positive entry and, for the refined bound, one "met twice" row per listed block,
after re-checking each listed block exactly (i < k, j < l, four positive entries,
|ad − bc| > (2ε + ε²)(ad + bc)) — and, when ``symmetry`` is set, recomputes the verified
symmetries of that system and their leader constraints itself (they keep every cover size
attainable, so refuting the system with them refutes it without them), re-encodes it, requires the result to be ``formula.cnf``
byte for byte, and replays ``proof.drup`` with ``dratify``. Listing a subset of the blocks
only weakens the system, so any subset that refutes still proves the bound. A valid check
means rank₊(X) ≥ L for the stored values (for the refined bound: for every matrix within
relative ε of them, entrywise). Why the covering systems bound rank₊: Gillis (2020, ch. 3)
for rectangle covers; Oelze, Vandaele & Weltge (arXiv 1406.4895, 2014) for the refined one,
with maximal rectangles and multiplicities ≤ 2 argued in :mod:`.refined_rectangle_cover`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ..checks import NMFInputError, check_matrix
from ..io import atomic_write_text, check_regular_file, save_json
from ..results import RankBound

__all__ = ["PROOF_FORMAT", "PROOF_FILE", "COVER_BOUNDS", "checked_refutation",
           "write_cover_proof", "verify_cover_proof", "matrix_sha256"]

PROOF_FORMAT = "nnmf_research cover refutation 1"
PROOF_FILE = "cover_proof.json"
COVER_BOUNDS = ("rectangle_cover", "refined_rectangle_cover")


def matrix_sha256(X) -> str:
    """SHA-256 of X's stored float64 values in C order, with its shape."""
    X = np.ascontiguousarray(check_matrix(X), dtype=np.float64)
    return hashlib.sha256(repr(X.shape).encode() + X.tobytes()).hexdigest()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def checked_refutation(bound: RankBound):
    """The checked CoverProof behind ``bound`` (a certified cover bound L whose certificate
    refutes L − 1), or None."""
    proof = bound.certificate.get("proof") if isinstance(bound.certificate, dict) else None
    if bound.method not in COVER_BOUNDS or proof is None or proof.status != "unsat" \
            or not bound.certified or bound.bound is None or proof.k != bound.bound - 1:
        return None
    return proof


def write_cover_proof(directory, X, bound: RankBound) -> Path:
    """Write ``bound``'s checked refutation as a proof folder (module doc); returns the JSON
    file. Refuses a bound that has none (not a cover bound, not certified by a proof)."""
    from .refined_rectangle_cover import BLOCK_TOL

    proof = checked_refutation(bound)
    if proof is None:
        raise NMFInputError(f"bound {bound.method!r} carries no checked cover refutation "
                            "to write")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write_text(directory / "formula.cnf", proof.cnf)
    atomic_write_text(directory / "proof.drup", proof.drup)
    record = {"format": PROOF_FORMAT, "bound": bound.method, "lower_bound": int(bound.bound),
              "refuted_k": int(proof.k), "shape": list(np.shape(X)),
              "x_sha256": matrix_sha256(X), "solver": proof.solver,
              "formula": "formula.cnf", "formula_sha256": _sha(proof.cnf),
              "proof": "proof.drup", "proof_sha256": _sha(proof.drup)}
    if bound.method == "refined_rectangle_cover":
        record["blocks"] = [list(map(int, b)) for b in bound.certificate["block_list"]]
        record["eps"] = BLOCK_TOL
        record["symmetry"] = bool(proof.symmetric)
    path = directory / PROOF_FILE
    save_json(path, record)
    return path


def _invalid(claim: str, reason: str) -> dict:
    return {"valid": False, "claim": claim, "reason": reason}


def _read(directory: Path, record: dict, key: str) -> str:
    name = record.get(key)
    if not isinstance(name, str) or Path(name).name != name:
        raise NMFInputError(f"{PROOF_FILE}: {key!r} must be a file name in the same folder")
    path = check_regular_file(directory / name, key)
    return path.read_text()


def verify_cover_proof(X, path) -> dict:
    """Re-check a proof folder (or its ``cover_proof.json``) against X from scratch (module
    doc). Returns {"valid", "claim", "reason"}; needs python-sat (the encoder) and dratify."""
    from .cover_proofs import check_cover_proof, CoverProof, proof_tools_available
    from .rectangle_cover import cover_matrix, maximal_rectangles
    from .refined_rectangle_cover import (check_blocks, cover_symmetries, leader_constraints,
                                          refined_system, symmetry_group)

    X = check_matrix(X)
    path = Path(path)
    directory, file = (path, path / PROOF_FILE) if path.is_dir() else (path.parent, path)
    check_regular_file(file, "cover proof")
    try:
        record = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise NMFInputError(f"could not read cover proof {file}: {exc}") from None
    if not isinstance(record, dict) or record.get("format") != PROOF_FORMAT:
        raise NMFInputError(f"{file} is not an nnmf_research cover proof (expected format "
                            f"{PROOF_FORMAT!r})")
    bound, k = record.get("bound"), record.get("refuted_k")
    if bound not in COVER_BOUNDS or not isinstance(k, int) or isinstance(k, bool) or k < 0:
        raise NMFInputError(f"{file}: 'bound' must be one of {', '.join(COVER_BOUNDS)} and "
                            "'refuted_k' a non-negative integer")
    claim = f"rank+ >= {k + 1} ({bound}: no cover with {k} rectangles)"
    if record.get("lower_bound") != k + 1:
        return _invalid(claim, f"lower_bound {record.get('lower_bound')!r} is not "
                               f"refuted_k + 1 = {k + 1}")
    if list(record.get("shape", [])) != list(X.shape):
        return _invalid(claim, f"the proof is for a {record.get('shape')} matrix, this one "
                               f"is {X.shape[0]}x{X.shape[1]}")
    if record.get("x_sha256") != matrix_sha256(X):
        return _invalid(claim, "the proof was written for another matrix (x_sha256 differs)")
    missing = proof_tools_available()
    if missing:
        raise NMFInputError(f"checking a cover proof needs {missing} (pip install python-sat "
                            "dratify)")
    cnf, drup = _read(directory, record, "formula"), _read(directory, record, "proof")
    leaders: list = []
    rects = maximal_rectangles(X)
    A, _ = cover_matrix(X, rects)
    if bound == "rectangle_cover":
        M, rhs, upper = A, np.ones(A.shape[0], dtype=np.int64), 1
    else:
        blocks = record.get("blocks")
        eps = record.get("eps")
        if not isinstance(blocks, list) or not isinstance(eps, float) or not 0 <= eps < 1:
            return _invalid(claim, "a refined-cover proof must list its 'blocks' and 'eps'")
        if not all(isinstance(b, list) for b in blocks):
            return _invalid(claim, "each listed block must be a list [i, k, j, l]")
        blocks = [tuple(b) for b in blocks]
        ok, why = check_blocks(X, blocks, eps)
        if not ok:
            return _invalid(claim, why)
        M, rhs = refined_system(X, rects, A, blocks)
        upper = 2
        claim += f", for every matrix within relative {eps:g} of these values"
        if not isinstance(record.get("symmetry", False), bool):
            return _invalid(claim, "'symmetry' must be true or false")
        if record.get("symmetry"):
            group = symmetry_group(cover_symmetries(X, rects, blocks))
            leaders = leader_constraints(group) if group else []
    ok, why = check_cover_proof(M, rhs, upper, k, CoverProof("unsat", k, cnf, drup, 0.0,
                                                             str(record.get("solver", ""))),
                                leaders)
    return {"valid": ok, "claim": claim, "reason": why}
