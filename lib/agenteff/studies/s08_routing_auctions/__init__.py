"""Study 08: routing across model sizes, and strategy auctions (SALE, arXiv:2602.02751), on real per-question
outcomes (the AgentStop release, arXiv:2605.15206).

:mod:`.analysis` builds the tables of ``notebooks/08_routing_auctions.ipynb`` (routers, complexity, the auction);
:mod:`.figures` draws its three figures (one function per saved file); :mod:`.claims` builds its claims table.
"""

from .analysis import *  # noqa: F403
from .analysis import __all__ as _analysis_names
from .claims import claims
from .figures import *  # noqa: F403
from .figures import __all__ as _figure_names

NOTEBOOK = "08_routing_auctions"

__all__ = ["NOTEBOOK", *_analysis_names, *_figure_names, "claims"]
