"""``python -m nnmf_research.cli``: the same as the ``nnmf`` command."""

import sys

from .main import main

sys.exit(main())
