"""Study 03: overthinking, reasoning length and accuracy (arXiv:2506.15647, LEAD arXiv:2605.09806, Chen et al.
arXiv:2412.21187).

:mod:`.analysis` builds the tables of ``notebooks/03_overthinking_lengths.ipynb`` (ZeroEval's answers under two
graders, the multi-sample run, LEAD's targets, the demo rounds); :mod:`.figures` draws its six figures (one function
per saved file); :mod:`.claims` builds its claims table.
"""

from .analysis import *  # noqa: F403
from .analysis import __all__ as _analysis_names
from .claims import claims
from .figures import *  # noqa: F403
from .figures import __all__ as _figure_names

NOTEBOOK = "03_overthinking_lengths"

__all__ = ["NOTEBOOK", *_analysis_names, *_figure_names, "claims"]
