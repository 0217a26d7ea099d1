"""nnmf_research: a research toolkit for non-negative matrix factorization.

X (m×n, ≥ 0) ≈ W (m×k, ≥ 0) · H (k×n, ≥ 0); columns of X are samples. The flat API:

* :func:`factorize` — approximate NMF by name (method × loss); :class:`NMF` — the same as a
  scikit-learn-style estimator (rows are samples there; see its docstring for the map).
* :func:`alternate` — the alternating driver, for any pair of one-factor updates; the
  two-block face of :func:`block_coordinate`, the one loop for any number of blocks.
* :func:`frobenius_model`, :func:`kl_model` — the declarative CVXPY subproblems, where a new
  constraint or penalty is one argument.
* :class:`HALS`, :class:`ANLS`, :class:`MultiplicativeFrobenius`, :class:`MultiplicativeKL` —
  the fast NumPy one-factor updates.
* :func:`initialize`, :mod:`losses`, :func:`read_matrix` / :func:`load_matrix`.

Importing has no side effects and loads no solver: the CVXPY models (and cvxpy with its
back-ends) are imported on first use of a name that needs them. The name ``factorize`` here is the function; its module (with
``make_updates`` and ``FACTORIZE_METHODS``) is ``importlib.import_module("nnmf_research.factorize")``,
or ``from nnmf_research.factorize import make_updates``: a package attribute cannot be both,
so ``import nnmf_research.factorize as m`` gives the function.
"""

__version__ = "0.1.0"

from . import losses
from .checks import (ModelNotDPPError, NMFInputError, SolverFailedError,
                     SolverUnavailableError)
from .drivers.alternating import alternate
from .drivers.block_coordinate import BlockCoordinateResult, block_coordinate
from .factorize import factorize, make_updates
from .init import initialize
from .io import load_matrix, read_matrix
from .kernels import ANLS, HALS, MultiplicativeFrobenius, MultiplicativeKL
from .results import Factorization, RankBound

__all__ = [
    "__version__",
    "NMF",
    "non_negative_factorization",
    "MiniBatchNMF",
    "factorize",
    "make_updates",
    "alternate",
    "block_coordinate",
    "BlockCoordinateResult",
    "frobenius_model",
    "kl_model",
    "Subproblem",
    "HALS",
    "ANLS",
    "MultiplicativeFrobenius",
    "MultiplicativeKL",
    "initialize",
    "losses",
    "read_matrix",
    "load_matrix",
    "Factorization",
    "RankBound",
    "NMFInputError",
    "SolverFailedError",
    "SolverUnavailableError",
    "ModelNotDPPError",
]

# Non-negative tensor factorization (Shashua & Hazan 2005): the n-way family's public face.
from .results import TensorFactorization  # noqa: E402
from .tensor import ntf  # noqa: E402

__all__ += ["ntf", "TensorFactorization", "tensor_mode_model"]

# Convex/semi-NMF (Ding, Li & Jordan 2010) and separable NMF (SPA, Gillis–Luce, Hottopixx).
from .convex import convex_nmf, kernel_convex_nmf, semi_nmf  # noqa: E402
from .results import ConvexFactorization, SeparableFactorization  # noqa: E402
from .separable import separable_nmf, spa  # noqa: E402

from .convex_estimator import ConvexNMF, SemiNMF  # noqa: E402

__all__ += ["semi_nmf", "convex_nmf", "kernel_convex_nmf", "spa", "separable_nmf",
            "ConvexFactorization", "SeparableFactorization", "SemiNMF", "ConvexNMF"]

# PLSI ≡ KL-NMF (Hofmann 1999; Ding, Li & Peng 2006/2008): EM on sparse counts, the exact
# conversions, the hybrid; KL updates that read a sparse X on its non-zeros.
from .kernels import KLCoordinateDescent  # noqa: E402
from .plsi import (PLSIModel, hybrid_plsi_nmf, kl_plsi_identity, nmf_to_plsi,  # noqa: E402
                   plsi, plsi_to_nmf)

__all__ += ["plsi", "plsi_to_nmf", "nmf_to_plsi", "hybrid_plsi_nmf", "kl_plsi_identity",
            "PLSIModel", "KLCoordinateDescent"]

# The CVXPY models load cvxpy and its solver back-ends (about 1 s): they are imported on first
# use of their names, so ``import nnmf_research`` and the NumPy methods stay light.
_LAZY = {"frobenius_model": "models.frobenius", "kl_model": "models.kl",
         "Subproblem": "models.subproblem", "tensor_mode_model": "models.tensor",
         # Integer and Boolean NMF (mixed-integer models, relax-and-round, exact programs).
         "integer_nmf": "integer", "IntegerFactorization": "integer",
         "boolean_nmf": "boolean", "BooleanFactorization": "boolean",
         "integer_model": "models.integer",
         # the scikit-learn estimators load scikit-learn (and joblib) on first use
         "NMF": "estimator", "non_negative_factorization": "estimator",
         "MiniBatchNMF": "estimator"}

__all__ += ["integer_nmf", "boolean_nmf", "integer_model", "IntegerFactorization",
            "BooleanFactorization"]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

# Choosing k for approximate NMF (held-out cross-validation, consensus clustering).
from .rank_selection import RankSelection, select_rank  # noqa: E402

__all__ += ["select_rank", "RankSelection"]
