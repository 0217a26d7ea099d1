"""Initial factors W (m×k) and H (k×n) for X ≈ WH, seeded and reproducible.

Every method returns float64, non-negative, finite factors. Random draws come only from the
``numpy.random.Generator`` built by :func:`~nnmf_research.checks.check_random_state` from
``random_state`` (None, a non-negative int, or a Generator); no global state is read or set.

Methods
-------
``"random"``
    With a = √(mean(X)/k), draw H = a·|N(0, 1)| (k×n) and then W = a·|N(0, 1)| (m×k), in that
    order (H first, as scikit-learn does), each filled in C order from one Generator. Each
    entry of WH then has mean k·a²·(2/π) = (2/π)·mean(X): the same scale as X.
    Source: scikit-learn's ``_initialize_nmf(init="random")``.

``"nndsvd"``
    Non-negative double SVD, C. Boutsidis & E. Gallopoulos (2008), "SVD based
    initialization: A head start for nonnegative matrix factorization", Pattern Recognition
    41(4):1350–1362. Let X = Σ_j σ_j u_j v_jᵀ be the SVD (σ_0 ≥ σ_1 ≥ …).

    * j = 0: by Perron–Frobenius the leading singular vectors of X ≥ 0 can be chosen
      non-negative, so W_:0 = √σ_0·|u_0| and H_0: = √σ_0·|v_0|.
    * j ≥ 1: split u_j = u⁺ − u⁻ and v_j = v⁺ − v⁻ into positive and negative parts. The
      positive section of u_j v_jᵀ is u⁺v⁺ᵀ + u⁻v⁻ᵀ, two orthogonal rank-one terms; its
      leading singular triplet is the pair (p, q) with the larger μ = ‖p‖·‖q‖ (ties go to
      the negative pair, as in scikit-learn). Set
      W_:j = √(σ_j μ)·p/‖p‖,  H_j: = √(σ_j μ)·q/‖q‖.
      If μ = 0 (only possible when σ_j = 0) the component is left zero instead of 0/0.
    * Entries below 1e-6·√σ_0 are then set to 0 (floating-point clean-up; the positive and
      negative parts already carry exact zeros). √σ_0 = ‖W_:0‖ is the scale of the factors,
      so the result is equivariant under X → cX (factors → √c·factors). scikit-learn uses
      the absolute threshold 1e-6, which coincides when ‖X‖₂ = σ_0 = 1 but zeroes whole
      factors of a matrix with tiny entries.

    Up to ``RANDOMIZED_SVD_ABOVE`` entries (m·n) the SVD is a full, deterministic LAPACK SVD
    (``scipy.linalg.svd``), so the result does not depend on ``random_state``. Above it (a
    full SVD of 20000×2000 took 145 s), the leading k singular triplets come from a
    randomized SVD (Halko, Martinsson & Tropp 2011, SIAM Rev. 53(2), Alg. 4.4: k + 10
    Gaussian probes drawn from ``random_state``'s Generator, 4 QR-orthonormalized power
    iterations), which is then seeded and accurate to rounding for the leading triplets of
    a matrix with a spectral gap; scikit-learn always does this.

``"nndsvda"``
    nndsvd with every zero entry of W and H replaced by mean(X) (Boutsidis & Gallopoulos's
    NNDSVDa; avoids zeros, which multiplicative updates can never leave).

``"nndsvdar"``
    nndsvd with every zero entry replaced by mean(X)/100·|N(0, 1)|: first the zeros of W,
    then those of H, each in C order (NNDSVDar; scikit-learn's scale and draw order).

Example
-------
>>> import numpy as np
>>> X = np.outer([1.0, 2.0], [3.0, 1.0, 2.0])
>>> W, H = initialize(X, 1, method="nndsvd")
>>> bool(np.allclose(W @ H, X))
True
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .checks import (NMFInputError, check_allocation, check_choice, check_matrix,
                     check_positive_int, check_random_state, check_sparse_matrix)

__all__ = ["INIT_METHODS", "initialize"]

INIT_METHODS = ("random", "nndsvd", "nndsvda", "nndsvdar")

#: Entries of the NNDSVD factors below this multiple of √σ_0 are set to zero.
_RELATIVE_ZERO = 1e-6

RANDOMIZED_SVD_ABOVE = 4_000_000
"""Above this many entries (m·n) the nndsvd* inits use a seeded randomized SVD."""


def _leading_svd(X: np.ndarray, k: int, gen: np.random.Generator):
    """U, s, Vt with at least the k leading singular triplets of X (module docstring)."""
    m, n = X.shape
    if sp.issparse(X) and (m * n <= RANDOMIZED_SVD_ABOVE or k + 10 >= min(m, n)):
        # small (≤ 32 MB), or one side small: the exact SVD of a dense copy, so a sparse X
        # gets the very factors its dense form gets; larger ones stay sparse below
        check_allocation(8 * m * n, f"the dense copy of X ({m}×{n}) for its SVD")
        X = X.toarray()
    if not sp.issparse(X) and (m * n <= RANDOMIZED_SVD_ABOVE or k + 10 >= min(m, n)):
        return scipy.linalg.svd(X, full_matrices=False)
    Q = np.linalg.qr(X @ gen.standard_normal((n, k + 10)))[0]
    for _ in range(4):
        Q = np.linalg.qr(X.T @ Q)[0]
        Q = np.linalg.qr(X @ Q)[0]
    Ub, s, Vt = scipy.linalg.svd(np.asarray(Q.T @ X), full_matrices=False)
    return Q @ Ub, s, Vt


def _nndsvd(X: np.ndarray, k: int, gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The plain NNDSVD factors (with exact zeros) of ``X`` at rank ``k``."""
    U, s, Vt = _leading_svd(X, k, gen)
    m, n = X.shape
    W = np.zeros((m, k))
    H = np.zeros((k, n))
    W[:, 0] = np.sqrt(s[0]) * np.abs(U[:, 0])
    H[0, :] = np.sqrt(s[0]) * np.abs(Vt[0, :])
    for j in range(1, k):
        u, v = U[:, j], Vt[j, :]
        u_pos, u_neg = np.maximum(u, 0.0), np.maximum(-u, 0.0)
        v_pos, v_neg = np.maximum(v, 0.0), np.maximum(-v, 0.0)
        nu_pos, nv_pos = np.linalg.norm(u_pos), np.linalg.norm(v_pos)
        nu_neg, nv_neg = np.linalg.norm(u_neg), np.linalg.norm(v_neg)
        mu_pos, mu_neg = nu_pos * nv_pos, nu_neg * nv_neg
        if mu_pos > mu_neg:
            p, q, nrm_p, nrm_q, mu = u_pos, v_pos, nu_pos, nv_pos, mu_pos
        else:
            p, q, nrm_p, nrm_q, mu = u_neg, v_neg, nu_neg, nv_neg, mu_neg
        if mu == 0.0:
            continue
        scale = np.sqrt(s[j] * mu)
        W[:, j] = scale * (p / nrm_p)
        H[j, :] = scale * (q / nrm_q)
    tiny = _RELATIVE_ZERO * np.sqrt(s[0])
    W[W < tiny] = 0.0
    H[H < tiny] = 0.0
    return W, H


def initialize(X, k: int, method: str = "nndsvda",
               random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """Initial factors (W, H) with X ≈ WH, by ``method`` (the math is in the module docstring).

    Parameters
    ----------
    X : (m, n) array_like or scipy.sparse matrix, non-negative and finite (a sparse X is
        kept sparse: "random" reads only its mean; the nndsvd* methods copy it densely for
        the exact SVD only up to ``RANDOMIZED_SVD_ABOVE`` entries, above that the seeded
        randomized SVD multiplies the sparse X by dense blocks)
    k : int, 1 <= k <= min(m, n)
    method : "random" | "nndsvd" | "nndsvda" | "nndsvdar"
    random_state : None, non-negative int or numpy Generator. Used by "random" and
        "nndsvdar", and by every nndsvd* method above ``RANDOMIZED_SVD_ABOVE`` entries;
        below it "nndsvd" and "nndsvda" are deterministic and ignore it.

    Returns
    -------
    W : (m, k) float64 ndarray, H : (k, n) float64 ndarray; non-negative and finite.

    Raises
    ------
    NMFInputError
        bad X (negative, NaN/inf, not 2-D, empty), k outside [1, min(m, n)], an unknown
        method (the message lists the valid ones) or a bad ``random_state``.
    """
    X = check_sparse_matrix(X) if sp.issparse(X) else check_matrix(X)
    return initialize_checked(X, k, method, random_state)


def initialize_checked(X, k: int, method: str = "nndsvda", random_state=None):
    """:func:`initialize` for an X already through :func:`~nnmf_research.checks.check_matrix`
    (or a sparse one through :func:`~nnmf_research.checks.check_sparse_matrix`: the public
    entry validated it; the data are not scanned a second time)."""
    check_choice(method, "init", INIT_METHODS)
    # random factors of any inner size are defined (an overcomplete k > min(m, n) too, as
    # scikit-learn allows); the SVD-based starts need k <= min(m, n) singular triplets
    high = None if method == "random" else min(X.shape)
    try:
        k = check_positive_int(k, "k", high=high)
    except NMFInputError as exc:
        if high is None or isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
            raise
        raise NMFInputError(f"init = '{method}' can only be used when n_components <= "
                            f"min(n_samples, n_features): {exc}") from None
    gen = check_random_state(random_state)  # validated always, drawn from only when random
    m, n = X.shape
    mean = float(X.sum()) / (m * n) if sp.issparse(X) else float(X.mean())

    if method == "random":
        a = np.sqrt(mean / k)
        H = a * np.abs(gen.standard_normal((k, n)))
        W = a * np.abs(gen.standard_normal((m, k)))
        return W, H

    W, H = _nndsvd(X, k, gen)
    if method == "nndsvda":
        W[W == 0] = mean
        H[H == 0] = mean
    elif method == "nndsvdar":
        zw = W == 0
        W[zw] = mean / 100 * np.abs(gen.standard_normal(int(zw.sum())))
        zh = H == 0
        H[zh] = mean / 100 * np.abs(gen.standard_normal(int(zh.sum())))
    return W, H
