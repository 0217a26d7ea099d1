"""Cover refutations as files: written by ``nnmf rank --proofs``, re-checked from the matrix
alone by ``nnmf verify``; every tampering a third party could try is rejected."""

import json

import numpy as np
import pytest

pytest.importorskip("pysat")
pytest.importorskip("dratify")

from nnmf_research.bounds.nonnegative_rank import nonnegative_rank  # noqa: E402
from nnmf_research.bounds.cover_certificates import (PROOF_FILE, verify_cover_proof,  # noqa: E402
                                                     write_cover_proof)
from nnmf_research.bounds.rectangle_cover import rectangle_cover_bound  # noqa: E402
from nnmf_research.bounds.refined_rectangle_cover import refined_rectangle_cover_bound  # noqa: E402
from nnmf_research.checks import NMFInputError  # noqa: E402
from nnmf_research.cli import main  # noqa: E402
from nnmf_research.datasets import ngon_slack  # noqa: E402

# RRCB 5 (the LP bound is 4), so only the DRUP proof certifies it
SMALL = np.array([[1, 3, 0, 2, 3, 0], [1, 2, 3, 3, 0, 1], [0, 2, 0, 1, 3, 2],
                  [3, 0, 3, 1, 3, 2], [3, 3, 0, 2, 0, 1], [1, 0, 1, 3, 1, 2]], dtype=float)


@pytest.fixture(scope="module")
def refined_proof(tmp_path_factory):
    bound = refined_rectangle_cover_bound(SMALL, proof=True)
    assert (bound.bound, bound.certified) == (5, True)
    directory = tmp_path_factory.mktemp("rrcb")
    write_cover_proof(directory, SMALL, bound)
    return directory


def _edit(src, dst, change):
    dst.mkdir()
    for name in ("formula.cnf", "proof.drup"):
        (dst / name).write_text((src / name).read_text())
    record = json.loads((src / PROOF_FILE).read_text())
    change(record, dst)
    (dst / PROOF_FILE).write_text(json.dumps(record))
    return dst


def test_a_written_refined_cover_proof_checks_from_the_matrix_alone(refined_proof):
    assert json.loads((refined_proof / PROOF_FILE).read_text())["symmetry"] is False
    report = verify_cover_proof(SMALL, refined_proof)
    assert report["valid"], report
    assert report["claim"].startswith("rank+ >= 5") and "DRUP" in report["reason"]


def test_the_proof_of_one_matrix_says_nothing_about_another(refined_proof, tmp_path):
    other = SMALL.copy()
    other[0, 0] = 2.0
    report = verify_cover_proof(other, refined_proof)
    assert not report["valid"] and "another matrix" in report["reason"]
    # a record rewritten to name the other matrix: the rebuilt system is not the formula
    from nnmf_research.bounds.cover_certificates import matrix_sha256
    other[0, 2] = 1.0                      # another support: other maximal rectangles
    forged = _edit(refined_proof, tmp_path / "f",
                   lambda r, d: r.update(x_sha256=matrix_sha256(other)))
    report = verify_cover_proof(other, forged)
    assert not report["valid"] and "not the encoding" in report["reason"]


def test_a_listed_block_that_is_not_robustly_nonsingular_is_refused(refined_proof, tmp_path):
    X = SMALL.copy()
    record = json.loads((refined_proof / PROOF_FILE).read_text())
    listed = {tuple(b) for b in record["blocks"]}
    singular = next((i, k, j, l) for i in range(6) for k in range(i + 1, 6)
                    for j in range(6) for l in range(j + 1, 6)
                    if min(X[i, j], X[i, l], X[k, j], X[k, l]) > 0
                    and X[i, j] * X[k, l] == X[i, l] * X[k, j])
    assert singular not in listed
    forged = _edit(refined_proof, tmp_path / "b",
                   lambda r, d: r["blocks"].append(list(singular)))
    report = verify_cover_proof(X, forged)
    assert not report["valid"] and "not robustly non-zero" in report["reason"]
    malformed = _edit(refined_proof, tmp_path / "m", lambda r, d: r["blocks"].append(7))
    report = verify_cover_proof(X, malformed)
    assert not report["valid"] and "must be a list" in report["reason"]


def test_a_tampered_drup_proof_or_claim_is_rejected(refined_proof, tmp_path):
    def truncate(record, directory):
        lines = (directory / "proof.drup").read_text().splitlines()
        (directory / "proof.drup").write_text("\n".join(lines[len(lines) // 2:]) + "\n0\n")

    report = verify_cover_proof(SMALL, _edit(refined_proof, tmp_path / "t", truncate))
    assert not report["valid"] and "does not check" in report["reason"]
    # claiming one more than the refutation shows
    report = verify_cover_proof(SMALL, _edit(
        refined_proof, tmp_path / "k", lambda r, d: r.update(lower_bound=6)))
    assert not report["valid"] and "refuted_k + 1" in report["reason"]
    with pytest.raises(NMFInputError, match="file name in the same folder"):
        verify_cover_proof(SMALL, _edit(refined_proof, tmp_path / "p",
                                        lambda r, d: r.update(proof="../proof.drup")))


def test_a_bound_without_a_checked_refutation_is_not_written(tmp_path):
    plain = refined_rectangle_cover_bound(SMALL)          # HiGHS's word only
    with pytest.raises(NMFInputError, match="no checked cover refutation"):
        write_cover_proof(tmp_path, SMALL, plain)


def test_nonnegative_rank_tries_proofs_by_default_and_the_cli_round_trip(tmp_path):
    X = ngon_slack(8).X                                    # rc = 6, its LP bound 5
    report = nonnegative_rank(X, bounds=["rectangle_cover"], time_limit=60)
    rc = next(b for b in report.bounds if b.method == "rectangle_cover")
    assert (rc.bound, rc.certified) == (6, True) and "DRUP" in rc.status
    off = nonnegative_rank(X, bounds=["rectangle_cover"], time_limit=60,
                           options={"rectangle_cover": {"proof": False}})
    assert not off.bounds[0].certified
    assert rc.bound == rectangle_cover_bound(X).bound
    path = tmp_path / "oct.npy"
    np.save(path, X)
    proofs = tmp_path / "proofs"
    assert main(["rank", str(path), "--bounds", "rectangle_cover", "--quiet",
                 "--proofs", str(proofs)]) == 0
    assert (proofs / "rectangle_cover" / PROOF_FILE).is_file()
    assert main(["verify", str(path), str(proofs)]) == 0
    drup = proofs / "rectangle_cover" / "proof.drup"
    drup.write_text("0\n")
    assert main(["verify", str(path), str(proofs)]) == 1


@pytest.fixture(scope="module")
def symmetric_proof(tmp_path_factory):
    X = ngon_slack(7).X                    # RRCB 6, LP 4.67: the DRUP proof certifies it
    bound = refined_rectangle_cover_bound(X, proof=True, symmetric_proof=True)
    assert (bound.bound, bound.certified) == (6, True)
    directory = tmp_path_factory.mktemp("sym")
    write_cover_proof(directory, X, bound)
    return X, directory


def test_a_proof_with_symmetry_breaking_checks_and_the_checker_rebuilds_the_leaders(
        symmetric_proof, tmp_path):
    X, directory = symmetric_proof
    record = json.loads((directory / PROOF_FILE).read_text())
    assert record["symmetry"] is True
    assert verify_cover_proof(X, directory)["valid"]
    # the same formula read as a plain one: the leader clauses make it another formula
    report = verify_cover_proof(X, _edit(directory, tmp_path / "s",
                                         lambda r, d: r.update(symmetry=False)))
    assert not report["valid"] and "not the encoding" in report["reason"]
    report = verify_cover_proof(X, _edit(directory, tmp_path / "n",
                                         lambda r, d: r.update(symmetry=1)))
    assert not report["valid"] and "true or false" in report["reason"]


def test_symmetry_breaking_and_the_plain_formula_refute_the_same_k():
    # both refute 5 rectangles for the 7-gon and both find a cover with 6
    from nnmf_research.bounds.cover_proofs import prove_no_cover
    from nnmf_research.bounds.rectangle_cover import cover_matrix, maximal_rectangles
    from nnmf_research.bounds.refined_rectangle_cover import (cover_symmetries,
                                                              leader_constraints,
                                                              nonsingular_blocks,
                                                              refined_system, symmetry_group)
    X = ngon_slack(7).X
    rects = maximal_rectangles(X)
    blocks = nonsingular_blocks(X).blocks
    M, rhs = refined_system(X, rects, cover_matrix(X, rects)[0], blocks)
    pairs = leader_constraints(symmetry_group(cover_symmetries(X, rects, blocks)))
    assert pairs
    for k, status in ((5, "unsat"), (6, "sat")):
        assert prove_no_cover(M, rhs, 2, k, leaders=pairs).status == status
        assert prove_no_cover(M, rhs, 2, k).status == status
