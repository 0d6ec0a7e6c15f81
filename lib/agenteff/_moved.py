"""Old import paths of modules moved in 0.2.0 (the study shape), kept working for one release (see CHANGELOG.md).

``import agenteff.scaling`` still works and gives the new module object itself (no copy), with a
DeprecationWarning naming the new path. Remove this module, and its install in ``agenteff/__init__.py``, in 0.3.0.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

#: old module path -> new module path; a moved package also maps its submodules (old.sub -> new.sub).
MOVED = {
    "agenteff.scaling": "agenteff.studies.s01_scaling_regressions",
    "agenteff.topologies.analysis": "agenteff.studies.s02_coordination_topologies.analysis",
    "agenteff.topologies.plots": "agenteff.studies.s02_coordination_topologies.figures",
    "agenteff.topologies": "agenteff.engines.topologies",
    "agenteff.workflows.study": "agenteff.studies.s05_budgeted_workflows.analysis",
    "agenteff.workflows.plots": "agenteff.studies.s05_budgeted_workflows.figures",
    "agenteff.workflows": "agenteff.engines.workflows",
    "agenteff.sampling": "agenteff.engines.sampling",
    "agenteff.sweep": "agenteff.engines.sweep",
    "agenteff.lengths": "agenteff.metrics.samples",
    "agenteff.grading": "agenteff.metrics.grading",
    "agenteff.metrics.efficiency": "agenteff.metrics.runs",
    "agenteff.metrics.coordination_metrics": "agenteff.metrics.steps",
    "agenteff.datasets.scaling": "agenteff.datasets.agent_scaling",
}


def new_name(old: str) -> str | None:
    """The module path that replaced ``old``, or None when ``old`` did not move."""
    if old in MOVED:
        return MOVED[old]
    parent, _, child = old.rpartition(".")
    if parent in MOVED:
        return f"{MOVED[parent]}.{child}"
    return None


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if new_name(fullname) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return None  # a placeholder; exec_module swaps in the real module

    def exec_module(self, module):
        new = new_name(module.__name__)
        warnings.warn(
            f"{module.__name__} has moved to {new}; the old path goes in agenteff 0.3.0",
            DeprecationWarning,
            stacklevel=2,
        )
        # the import system returns whatever sys.modules holds under the old name once this returns
        sys.modules[module.__name__] = importlib.import_module(new)


def install() -> None:
    if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, _MovedModules())  # before PathFinder, which would load a second copy
