"""Study 01: the scaling regression of multi-agent systems (Kim et al., arXiv:2512.08296), reproduced and audited.

:mod:`.analysis` fits the paper's 19-term model and tests it out of sample; :mod:`.figures` draws the five figures
of ``notebooks/01_scaling_regressions.ipynb`` (one function per saved file); :mod:`.claims` builds its claims table.
"""

from .analysis import *  # noqa: F403
from .analysis import __all__ as _analysis_names
from .claims import HEADLINE_TERMS, claims, gaps
from .figures import *  # noqa: F403
from .figures import __all__ as _figure_names

NOTEBOOK = "01_scaling_regressions"

__all__ = ["NOTEBOOK", *_analysis_names, *_figure_names, "HEADLINE_TERMS", "claims", "gaps"]
