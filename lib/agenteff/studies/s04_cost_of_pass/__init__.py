"""Study 04: cost-of-pass, accuracy-cost frontiers, pass^k and trajectory efficiency, on released agent runs
(Kapoor et al. arXiv:2407.01502, tau-bench arXiv:2406.12045, Efficient Agents arXiv:2508.02694).

:mod:`.analysis` builds the tables of ``notebooks/04_cost_of_pass.ipynb``; :mod:`.figures` draws its six figures
(one function per saved file); :mod:`.claims` builds its claims table, section by section.
"""

from .analysis import *  # noqa: F403
from .analysis import __all__ as _analysis_names
from .claims import *  # noqa: F403
from .claims import __all__ as _claim_names
from .figures import *  # noqa: F403
from .figures import __all__ as _figure_names

NOTEBOOK = "04_cost_of_pass"

__all__ = ["NOTEBOOK", *_analysis_names, *_figure_names, *_claim_names]
