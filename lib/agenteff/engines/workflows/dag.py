"""Workflow DAGs whose nodes carry per-model sample statistics, and the instances (DAG, budget, deadline).

A node template gives, for one model, the probability that one sample succeeds, the mean and standard deviation
of one sample's (lognormal) latency and the cost of one sample, as in the node statistics released with the MCPP
simulator (Wang et al., arXiv:2605.06110). A :class:`Dag` holds these for every node and every model of a
portfolio; an :class:`Instance` adds the budget and the deadline.

Instances are exchanged as JSON: ``{"budget", "deadline", "dag": {"n_nodes", "nodes": [{"node_id", "parents",
"children", "template": {"success_prob", "lat_mean", "lat_std", "cost_mean"}}]}}``, or a list of such objects.
With several models, each node also lists ``"templates"`` (one per model, the first equal to ``"template"``)
and the DAG names them in ``"models"``; readers that know one model only use ``"template"``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "TEMPLATE_FIELDS",
    "Dag",
    "Instance",
    "layered_dag",
    "chain_dag",
    "portfolio",
    "load_instances",
    "save_instances",
]

#: The per-sample statistics of a node template, in the order of ``Dag.templates``' last axis.
TEMPLATE_FIELDS = ("success_prob", "lat_mean", "lat_std", "cost_mean")


@dataclass(frozen=True, eq=False)
class Dag:
    """A workflow DAG: ``parents[i]`` lists node ``i``'s parents; ``templates[m, i]`` is node ``i``'s template
    under model ``m`` (fields in :data:`TEMPLATE_FIELDS` order)."""

    parents: tuple[tuple[int, ...], ...]
    templates: np.ndarray
    model_names: tuple[str, ...] = ("model",)

    def __post_init__(self):
        templates = np.asarray(self.templates, dtype=float)
        if templates.ndim == 2:
            templates = templates[None]
        object.__setattr__(self, "templates", templates)
        n = len(self.parents)
        if templates.shape != (len(self.model_names), n, len(TEMPLATE_FIELDS)):
            raise ValueError(
                f"templates have shape {templates.shape}; expected "
                f"({len(self.model_names)} models, {n} nodes, {len(TEMPLATE_FIELDS)} fields)"
            )
        p, lat_mean, lat_std, cost = np.moveaxis(templates, -1, 0)
        if not ((p > 0) & (p <= 1)).all():
            raise ValueError("success_prob must lie in (0, 1]: a node that can never succeed cannot complete")
        if not ((lat_mean > 0).all() and (lat_std >= 0).all() and (cost > 0).all()):
            raise ValueError("lat_mean and cost_mean must be positive and lat_std non-negative")
        for node, parents in enumerate(self.parents):
            if any(not 0 <= q < n or q == node for q in parents):
                raise ValueError(f"node {node}: parents {parents} must be other nodes of the DAG")
        self.topological_order()  # raises on a cycle

    @property
    def n_nodes(self) -> int:
        return len(self.parents)

    @property
    def n_models(self) -> int:
        return len(self.model_names)

    @property
    def children(self) -> tuple[tuple[int, ...], ...]:
        kids: list[list[int]] = [[] for _ in self.parents]
        for node, parents in enumerate(self.parents):
            for q in parents:
                kids[q].append(node)
        return tuple(tuple(k) for k in kids)

    def field(self, name: str) -> np.ndarray:
        """One template field as an array ``[model, node]``."""
        return self.templates[..., TEMPLATE_FIELDS.index(name)]

    def topological_order(self) -> np.ndarray:
        remaining = [len(p) for p in self.parents]
        ready = [i for i, r in enumerate(remaining) if r == 0]
        order = []
        children = self.children
        while ready:
            node = ready.pop(0)
            order.append(node)
            for child in children[node]:
                remaining[child] -= 1
                if remaining[child] == 0:
                    ready.append(child)
        if len(order) != self.n_nodes:
            raise ValueError("the parent lists contain a cycle")
        return np.array(order, dtype=np.int64)

    def longest_path(self, weights) -> float:
        """Length of the heaviest path when node ``i`` weighs ``weights[i]``."""
        finish = np.zeros(self.n_nodes)
        for node in self.topological_order():
            start = max((finish[q] for q in self.parents[node]), default=0.0)
            finish[node] = start + weights[node]
        return float(finish.max())

    def critical_path(self, model: int = 0) -> np.ndarray:
        """Whether each node lies on a longest path of mean one-sample latencies under ``model``."""
        lat = self.field("lat_mean")[model]
        order = self.topological_order()
        finish = np.zeros(self.n_nodes)
        for node in order:
            finish[node] = max((finish[q] for q in self.parents[node]), default=0.0) + lat[node]
        tail = np.zeros(self.n_nodes)  # heaviest path from a node's end to a sink
        children = self.children
        for node in order[::-1]:
            tail[node] = max((tail[c] + lat[c] for c in children[node]), default=0.0)
        return np.isclose(finish + tail, finish.max())

    def reference_cost(self, model: int = 0) -> float:
        """Cost of one sample on every node under ``model``: the unit of the budget axis."""
        return float(self.field("cost_mean")[model].sum())

    def reference_latency(self, model: int = 0) -> float:
        """Critical-path latency with one mean-latency sample per node under ``model``: the unit of deadlines."""
        return self.longest_path(self.field("lat_mean")[model])

    def to_dict(self) -> dict:
        children = self.children
        nodes = []
        for node in range(self.n_nodes):
            per_model = [dict(zip(TEMPLATE_FIELDS, map(float, self.templates[m, node]))) for m in range(self.n_models)]
            entry = {
                "node_id": node,
                "parents": list(self.parents[node]),
                "children": list(children[node]),
                "template": per_model[0],
            }
            if self.n_models > 1:
                entry["templates"] = per_model
            nodes.append(entry)
        out = {"n_nodes": self.n_nodes, "nodes": nodes}
        if self.n_models > 1 or self.model_names != ("model",):
            out["models"] = list(self.model_names)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Dag:
        nodes = sorted(data["nodes"], key=lambda n: n["node_id"])
        if [n["node_id"] for n in nodes] != list(range(len(nodes))) or data.get("n_nodes", len(nodes)) != len(nodes):
            raise ValueError("node ids must be 0..n_nodes-1, each once")
        names = tuple(data.get("models", ["model"]))
        per_node = [n.get("templates", [n["template"]]) for n in nodes]
        templates = np.array([[[t[f] for f in TEMPLATE_FIELDS] for t in node] for node in per_node], dtype=float)
        return cls(tuple(tuple(int(q) for q in n["parents"]) for n in nodes), np.swapaxes(templates, 0, 1), names)


@dataclass(frozen=True, eq=False)
class Instance:
    """A DAG to complete within ``budget`` (cost units) and ``deadline`` (seconds); ``math.inf`` lifts either."""

    dag: Dag
    budget: float
    deadline: float
    name: str = field(default="")

    def to_dict(self) -> dict:
        return {
            "budget": _finite_or_none(self.budget),
            "deadline": _finite_or_none(self.deadline),
            "dag": self.dag.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict, name: str = "") -> Instance:
        budget = math.inf if data["budget"] is None else float(data["budget"])
        deadline = math.inf if data["deadline"] is None else float(data["deadline"])
        return cls(Dag.from_dict(data["dag"]), budget, deadline, name)


def _finite_or_none(value: float):
    return None if math.isinf(value) else float(value)


def load_instances(path) -> list[Instance]:
    """Instances from a JSON file holding one instance object or a list of them (``null`` = no limit)."""
    data = json.loads(Path(path).read_text())
    items = data if isinstance(data, list) else [data]
    return [Instance.from_dict(item, name=f"{Path(path).stem}[{i}]") for i, item in enumerate(items)]


def save_instances(instances, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([inst.to_dict() for inst in instances], indent=1) + "\n")
    return path


def _draw_templates(templates: pd.DataFrame, n_nodes: int, rng: np.random.Generator) -> np.ndarray:
    rows = rng.choice(len(templates), size=n_nodes, replace=False)
    return templates[list(TEMPLATE_FIELDS)].to_numpy(dtype=float)[rows]


def layered_dag(
    templates: pd.DataFrame, n_nodes: int, n_layers: int, edge_prob: float, rng: np.random.Generator
) -> Dag:
    """A random layered DAG: nodes split into ``n_layers`` consecutive layers of near-equal size; each pair of
    nodes in adjacent layers is joined with probability ``edge_prob``, and a node left without a parent gets one
    drawn from the layer above, so every node beyond the first layer depends on that layer. Node templates are
    distinct rows drawn from ``templates`` (a table with the :data:`TEMPLATE_FIELDS` columns)."""
    if not 1 <= n_layers <= n_nodes:
        raise ValueError("need 1 <= n_layers <= n_nodes")
    layers = np.array_split(np.arange(n_nodes), n_layers)
    parents: list[list[int]] = [[] for _ in range(n_nodes)]
    for above, below in zip(layers, layers[1:]):
        for node in below:
            linked = [int(q) for q in above if rng.random() < edge_prob]
            parents[node] = linked or [int(rng.choice(above))]
    return Dag(tuple(tuple(p) for p in parents), _draw_templates(templates, n_nodes, rng))


def chain_dag(node_templates) -> Dag:
    """Nodes 0 -> 1 -> ... in a line; ``node_templates`` is ``[node, field]`` or ``[model, node, field]``."""
    node_templates = np.asarray(node_templates, dtype=float)
    n = node_templates.shape[-2]
    names = ("model",) if node_templates.ndim == 2 else tuple(f"model{m}" for m in range(node_templates.shape[0]))
    return Dag(tuple(((i - 1,) if i else ()) for i in range(n)), node_templates, names)


def portfolio(dag: Dag, models: pd.DataFrame) -> Dag:
    """``dag`` with one template set per row of ``models``, each derived from the DAG's first model: columns
    ``model`` (name), ``success_power`` (success probability raised to this power, so a weaker model loses
    little on easy nodes and much on hard ones), ``latency_scale`` (mean and sd multiplied) and ``cost_scale``."""
    base = dag.templates[0]
    sets = []
    for row in models.itertuples(index=False):
        scaled = base.copy()
        scaled[:, 0] = base[:, 0] ** row.success_power
        scaled[:, 1:3] = base[:, 1:3] * row.latency_scale
        scaled[:, 3] = base[:, 3] * row.cost_scale
        sets.append(scaled)
    return Dag(dag.parents, np.stack(sets), tuple(models["model"]))
