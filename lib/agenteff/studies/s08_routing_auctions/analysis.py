"""Study 08: routing across model sizes, and strategy auctions (SALE), on real per-question outcomes.

Paper: "Scaling Small Agents Through Strategy Auctions" (SALE, arXiv:2602.02751). No code or data were released,
so the routing questions are asked of the AgentStop release (arXiv:2605.15206): six Qwen3 sizes answering the
same 824 FRAMES questions in one inference each, judged by the authors (data set ``agentstop-llm-judged``), with
FRAMES' complexity proxies (``agentstop-frames-profile`` / ``questions``). The auction itself runs through
:mod:`agenteff.engines.auction` (simulated agents by default).

Cost model (also in ``data/published/auctions/README.md``): a question's cost on a size is
``price_per_token(size) * (question tokens + answer tokens) / 1000``, tokens counted from the text with
:func:`agenteff.metrics.grading.count_tokens` (the release has no usage counts). ``price_per_token`` is one of
:data:`COST_MODELS`: active parameters in billions (compute per token; Qwen3-30B-A3B activates 3.3B of its 30B),
or total parameters (memory footprint), or a price table with rows for the models (USD per million tokens; the
project's ``data/prices.csv`` has no Qwen3 rows). The parameter-based units are relative ("cost units": 1 =
1,000 tokens at 1B parameters).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from ... import metrics, params
from ...engines import auction as auction_engine
from ...engines.sampling import generation_timeout_s
from ...llm.endpoints import Endpoint, resolve_endpoint
from ...llm.pricing import PriceTable
from ...metrics.answers import grade_short_answer
from ...metrics.grading import count_tokens

__all__ = [
    "DEFAULTS",
    "ANSWER_MAX_TOKENS",
    "settle",
    "run_auctions",
    "is_simulated",
    "auction_models_label",
    "SIZES",
    "LARGEST",
    "ACTIVE_B",
    "TOTAL_B",
    "COST_MODELS",
    "Outcomes",
    "outcomes_from_samples",
    "price_per_token",
    "route_fixed",
    "route_random",
    "route_oracle",
    "route_cascade",
    "route_description",
    "evaluate_routers",
    "routers_for",
    "frontier",
    "headroom",
    "complexity_bins",
    "size_accuracy_by_complexity",
    "ratio_by_complexity",
    "simpleqa_contrast",
    "auction_summary",
    "auction_actions",
]

#: sizes that fast mode shrinks: (full run, fast run)
DEFAULTS = {"n_boot": (2000, 200), "n_tasks": (120, 30), "cv_folds": (5, 3)}
#: The executing agent's answer limit on a live endpoint when the user sets none (full run, fast run): the tasks
#: ask for the final number only, but small models show work first. The simulated agents keep the engine's
#: default (their shown work is counted as reasoning tokens and must fit).
ANSWER_MAX_TOKENS = (256, 64)

SIZES = ("qwen3-1.7b", "qwen3-4b", "qwen3-8b", "qwen3-14b", "qwen3-30b", "qwen3-32b")
LARGEST = "qwen3-32b"
#: parameters in billions (Qwen3 model cards: 30B-A3B has 30B in total, 3.3B activated per token)
TOTAL_B = {"qwen3-1.7b": 1.7, "qwen3-4b": 4.0, "qwen3-8b": 8.0, "qwen3-14b": 14.0, "qwen3-30b": 30.0, "qwen3-32b": 32.0}
ACTIVE_B = {**TOTAL_B, "qwen3-30b": 3.3}
COST_MODELS = ("active parameters", "total parameters")
COST_UNITS = {
    "active parameters": "cost units (1,000 tokens x B active parameters)",
    "total parameters": "cost units (1,000 tokens x B parameters)",
    "price table": "USD",
}


def price_per_token(models, cost_model, prices: PriceTable | None = None) -> dict[str, float]:
    """Price of one token per model under ``cost_model``, in the units of :data:`COST_UNITS` per 1,000 tokens.

    ``"price table"`` uses ``prices`` (a :class:`PriceTable`): its output rate in USD per 1,000 tokens, applied
    to question and reply tokens alike (one rate keeps the three cost models comparable); a model it cannot
    price raises.
    """
    if cost_model == "active parameters":
        table = ACTIVE_B
    elif cost_model == "total parameters":
        table = TOTAL_B
    elif cost_model == "price table":
        if prices is None:
            raise ValueError("the 'price table' cost model needs prices=PriceTable(...)")
        table = {}
        for model in models:
            price = prices.lookup(model)
            if price is None:
                raise KeyError(
                    f"the price table has no row for {model!r}; add one (with its source) or use one of {COST_MODELS}"
                )
            table[model] = price.output_usd_per_mtok / 1000
    else:
        raise ValueError(f"unknown cost model {cost_model!r}; use one of {COST_MODELS} or 'price table'")
    missing = [m for m in models if m not in table]
    if missing:
        raise KeyError(f"no parameter count for {missing}; known: {sorted(table)}")
    return {m: float(table[m]) for m in models}


@dataclass
class Outcomes:
    """Per-question outcomes of several models: arrays of shape (questions, models), models in cost order."""

    problem_ids: np.ndarray
    questions: np.ndarray
    models: tuple[str, ...]
    correct: np.ndarray
    abstained: np.ndarray
    answers: np.ndarray
    tokens: np.ndarray
    cost: np.ndarray
    cost_model: str

    @property
    def largest(self) -> int:
        return self.models.index(LARGEST) if LARGEST in self.models else len(self.models) - 1


def outcomes_from_samples(
    samples: pd.DataFrame,
    cost_model: str = "active parameters",
    models=SIZES,
    dataset: str = "frames",
    prices: PriceTable | None = None,
) -> Outcomes:
    """The SAMPLES rows of ``dataset`` for ``models`` as an :class:`Outcomes`, costed by ``cost_model``.

    Tokens per answer = tokens of the question (the prompt) + tokens of the reply. Every model must answer every
    question once. Models are ordered by their mean cost per question (cheapest first), ties by ``models``.
    """
    frame = samples[(samples["dataset"] == dataset) & samples["model"].isin(models)]
    if frame.empty:
        raise ValueError(f"no samples of {list(models)} in data set {dataset!r}")
    counts = frame.groupby("model").size()
    absent = [m for m in models if m not in counts.index]
    if absent or counts.nunique() != 1 or frame.duplicated(["problem_id", "model"]).any():
        raise ValueError(f"each model must answer each question once; counts {counts.to_dict()}, absent {absent}")
    frame = frame.assign(tokens=count_tokens(frame["question"].tolist()) + count_tokens(frame["output"].tolist()))

    def wide(column):
        return frame.pivot(index="problem_id", columns="model", values=column)

    order = sorted(wide("correct").index, key=lambda p: (len(p), p))  # numeric ids in numeric order
    price = price_per_token(models, cost_model, prices)
    tokens = wide("tokens").loc[order]
    mean_cost = {m: price[m] * tokens[m].mean() for m in models}
    ranked = tuple(sorted(models, key=lambda m: (mean_cost[m], list(models).index(m))))
    tokens = tokens[list(ranked)].to_numpy(dtype=float)
    questions = frame.drop_duplicates("problem_id").set_index("problem_id").loc[order, "question"].to_numpy()
    return Outcomes(
        np.array(order),
        questions,
        ranked,
        wide("correct").loc[order, list(ranked)].to_numpy(dtype=bool),
        (wide("judge_verdict").loc[order, list(ranked)] == "NOT_ATTEMPTED").to_numpy(dtype=bool),
        wide("answer").loc[order, list(ranked)].fillna("").to_numpy(dtype=object),
        tokens,
        tokens * np.array([price[m] for m in ranked]) / 1000,
        cost_model,
    )


# --- routers: each returns the calls it makes (questions x models, bool) and the model whose answer it uses ---


def _routing(out: Outcomes, name: str, called: np.ndarray, chosen: np.ndarray) -> pd.DataFrame:
    rows = np.arange(len(out.problem_ids))
    return pd.DataFrame(
        {
            "router": name,
            "problem_id": out.problem_ids,
            "model": np.array(out.models, dtype=object)[chosen],
            "correct": out.correct[rows, chosen],
            "cost": (out.cost * called).sum(axis=1),
            "to_largest": called[:, out.largest],
            "n_calls": called.sum(axis=1),
        }
    )


def route_fixed(out: Outcomes, model: str) -> pd.DataFrame:
    """Every question to ``model``."""
    index = out.models.index(model)
    called = np.zeros(out.correct.shape, dtype=bool)
    called[:, index] = True
    return _routing(out, f"always {model}", called, np.full(len(called), index))


def route_random(out: Outcomes, seed: int) -> pd.DataFrame:
    """Each question to a size drawn uniformly (one draw per question, seeded)."""
    chosen = np.random.default_rng(seed).integers(len(out.models), size=len(out.problem_ids))
    called = np.eye(len(out.models), dtype=bool)[chosen]
    return _routing(out, "random", called, chosen)


def route_oracle(out: Outcomes) -> pd.DataFrame:
    """The perfect router: the cheapest size (on that question) that is right; the cheapest one when none is."""
    cost_if_right = np.where(out.correct, out.cost, np.inf)
    chosen = np.where(out.correct.any(axis=1), cost_if_right.argmin(axis=1), out.cost.argmin(axis=1))
    called = np.eye(len(out.models), dtype=bool)[chosen]
    return _routing(out, "oracle", called, chosen)


def route_cascade(out: Outcomes, signal: str) -> pd.DataFrame:
    """Call sizes cheapest first; stop when the signal accepts an answer (the last size is always accepted).

    Escalating until a size is *right* would be the oracle (it needs the verdicts); a cascade must decide from
    what it sees. Signals:

    * ``"abstention"``: accept the first answer that is not an abstention (judge verdict NOT_ATTEMPTED: the
      model said it does not know, which a deployment can detect);
    * ``"agreement"``: accept the answer of size k (k >= 2) when it agrees with size k-1's answer under the
      short-answer grader (:func:`agenteff.metrics.grade_short_answer`, either way round).
    """
    n_questions, n_models = out.correct.shape
    called = np.zeros(out.correct.shape, dtype=bool)
    chosen = np.full(n_questions, n_models - 1)
    for q in range(n_questions):
        for k in range(n_models):
            called[q, k] = True
            if signal == "abstention":
                accept = not out.abstained[q, k]
            elif signal == "agreement":
                accept = k > 0 and _agree(out.answers[q, k], out.answers[q, k - 1], out.questions[q])
            else:
                raise ValueError(f"unknown cascade signal {signal!r}; use 'abstention' or 'agreement'")
            if accept:
                chosen[q] = k
                break
    return _routing(out, f"cascade ({signal})", called, chosen)


def _agree(a: str, b: str, question: str) -> bool:
    if not a.strip() or not b.strip():
        return False
    return grade_short_answer(a, b, question) or grade_short_answer(b, a, question)


def _features(out: Outcomes, proxies: pd.DataFrame | None, train: np.ndarray, test: np.ndarray):
    # fitted on the training folds only, so a word seen only in the routed question carries no weight
    vectoriser = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    train_x = vectoriser.fit_transform(out.questions[train])
    test_x = vectoriser.transform(out.questions[test])
    if proxies is None:
        return train_x, test_x
    numeric = proxies.loc[out.problem_ids].to_numpy(dtype=float)
    mean, sd = numeric[train].mean(axis=0), numeric[train].std(axis=0) + 1e-9
    scaled = (numeric - mean) / sd
    return sparse.hstack([train_x, scaled[train]]).tocsr(), sparse.hstack([test_x, scaled[test]]).tocsr()


def route_description(
    out: Outcomes, cost_weights, proxies: pd.DataFrame | None = None, folds: int = 5, seed: int = 0
) -> list[pd.DataFrame]:
    """Description routers: from the question text alone (TF-IDF of words and word pairs, plus ``proxies``
    columns such as FRAMES' link and reasoning-type counts), predict per size whether it answers right, and
    send each question to the size with the highest ``P(right) - w * cost / cost of the largest`` for each
    ``w`` of ``cost_weights`` (costs: the size's mean cost per question in the training folds).

    Cross-validated: a question is routed by classifiers fitted on the other folds only (``KFold``, shuffled,
    ``seed``). A size with no right answer in a training fold gets P = 0 there.
    """
    n_questions, n_models = out.correct.shape
    probability = np.zeros((n_questions, n_models))
    expected_cost = np.zeros((n_questions, n_models))
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(np.arange(n_questions)):
        train_x, test_x = _features(out, proxies, train, test)
        expected_cost[test] = out.cost[train].mean(axis=0)
        for k in range(n_models):
            labels = out.correct[train, k]
            if labels.all() or not labels.any():
                probability[test, k] = float(labels.all())
                continue
            model = LogisticRegression(C=1.0, solver="liblinear", class_weight="balanced", random_state=seed)
            probability[test, k] = model.fit(train_x, labels).predict_proba(test_x)[:, 1]
    relative = expected_cost / expected_cost[:, [out.largest]]
    results = []
    for weight in cost_weights:
        chosen = (probability - weight * relative).argmax(axis=1)
        called = np.eye(n_models, dtype=bool)[chosen]
        results.append(_routing(out, f"description (w={weight:g})", called, chosen))
    return results


def routers_for(
    out: Outcomes, seed: int, cost_weights=(0.0, 0.1, 0.3, 1.0), proxies=None, folds: int = 5
) -> pd.DataFrame:
    """Every router's per-question routing: each size alone, random, the oracle, both cascades, the
    description routers."""
    parts = [route_fixed(out, m) for m in out.models]
    parts += [
        route_random(out, seed),
        route_oracle(out),
        route_cascade(out, "abstention"),
        route_cascade(out, "agreement"),
    ]
    parts += route_description(out, cost_weights, proxies, folds, seed)
    return pd.concat(parts, ignore_index=True)


def _bootstrap(routed: pd.DataFrame, n_boot: int, seed: int, level: float = 0.95) -> pd.DataFrame:
    """Percentile intervals of accuracy, mean cost and the share sent to the largest, questions resampled
    (the same draws for every router, so routers compare on the same resampled question sets)."""
    tail = (1 - level) / 2
    ids = routed["problem_id"].unique()
    draws = np.random.default_rng(seed).integers(len(ids), size=(n_boot, len(ids)))
    rows = []
    for name, sub in routed.groupby("router", sort=False):
        sub = sub.set_index("problem_id").loc[ids]
        row = {"router": name}
        for column in ("correct", "cost", "to_largest"):
            values = sub[column].to_numpy(dtype=float)
            means = values[draws].mean(axis=1)
            row[f"{column}_low"], row[f"{column}_high"] = np.quantile(means, [tail, 1 - tail])
        rows.append(row)
    return pd.DataFrame(rows)


def evaluate_routers(routed: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """One row per router: accuracy, mean cost per question, cost-of-pass, share of questions sent to the
    largest size, each with a 95% bootstrap interval."""
    summary = (
        routed.groupby("router", sort=False)
        .agg(
            accuracy=("correct", "mean"),
            cost=("cost", "mean"),
            to_largest=("to_largest", "mean"),
            calls=("n_calls", "mean"),
        )
        .reset_index()
    )
    passes = metrics.cost_of_pass(routed, by="router", cost="cost", success="correct", n_boot=n_boot, seed=seed)
    passes = passes.rename(
        columns={
            "cost_of_pass_usd": "cost_of_pass",
            "ci_low_usd": "cost_of_pass_low",
            "ci_high_usd": "cost_of_pass_high",
        }
    )
    table = summary.merge(_bootstrap(routed, n_boot, seed), on="router").merge(
        passes[["router", "cost_of_pass", "cost_of_pass_low", "cost_of_pass_high"]], on="router"
    )
    return table.rename(columns={"correct_low": "accuracy_low", "correct_high": "accuracy_high"})


def frontier(evaluated: pd.DataFrame) -> pd.DataFrame:
    """:func:`agenteff.metrics.pareto_frontier` over the deployable routers (accuracy against mean cost).

    The oracle needs the verdicts, so it is kept as a point of reference (``on_frontier`` False), not as a
    member of the frontier it would otherwise dominate entirely."""
    points = evaluated.set_index("router", drop=False)
    deployable = metrics.pareto_frontier(points.drop(index="oracle"), cost="cost", accuracy="accuracy")
    oracle = points.loc[["oracle"]].assign(on_frontier=False, dominated=False)
    return pd.concat([deployable, oracle])


def headroom(evaluated: pd.DataFrame) -> dict:
    """What a perfect router gains over always-largest: accuracy points, cost ratio, and the best realistic
    (non-oracle) router's accuracy gain at no more than the largest's cost."""
    table = evaluated.set_index("router")
    largest, oracle = table.loc[f"always {LARGEST}"], table.loc["oracle"]
    realistic = table.drop(index="oracle")
    affordable = realistic[realistic["cost"] <= largest["cost"]]
    best = affordable["accuracy"].idxmax()
    return {
        "oracle_gain": oracle["accuracy"] - largest["accuracy"],
        "oracle_cost_ratio": oracle["cost"] / largest["cost"],
        "best_router": best,
        "best_gain": affordable.loc[best, "accuracy"] - largest["accuracy"],
        "largest_accuracy": largest["accuracy"],
        "oracle_accuracy": oracle["accuracy"],
    }


# --- complexity -------------------------------------------------------------------------------------------


def complexity_bins(questions: pd.DataFrame) -> pd.DataFrame:
    """Per FRAMES question, the two complexity proxies in bins with enough questions each: linked Wikipedia
    articles (2, 3, 4, 5+) and reasoning types (1, 2, 3+)."""
    links = questions["n_wiki_links"].astype(int).clip(upper=5)
    types = questions["n_reasoning_types"].astype(int).clip(upper=3)
    return pd.DataFrame(
        {
            "problem_id": questions["problem_id"].to_numpy(),
            "linked articles": links.map(lambda v: f"{v}+" if v == 5 else str(v)).to_numpy(),
            "reasoning types": types.map(lambda v: f"{v}+" if v == 3 else str(v)).to_numpy(),
        }
    )


def _long_outcomes(out: Outcomes, bins: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(out.correct, columns=list(out.models)).assign(problem_id=out.problem_ids)
    frame = frame.melt(id_vars="problem_id", var_name="model", value_name="correct")
    return frame.merge(bins, on="problem_id", validate="many_to_one")


def size_accuracy_by_complexity(out: Outcomes, bins: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    """Accuracy of each size in each bin of each proxy, with a 95% bootstrap interval (questions resampled)."""
    long = _long_outcomes(out, bins)
    rng = np.random.default_rng(seed)
    rows = []
    for proxy in ("linked articles", "reasoning types"):
        for (level, model), sub in long.groupby([proxy, "model"], sort=True):
            values = sub["correct"].to_numpy(dtype=float)
            means = values[rng.integers(len(values), size=(n_boot, len(values)))].mean(axis=1)
            low, high = np.quantile(means, [0.025, 0.975])
            rows.append(
                {
                    "proxy": proxy,
                    "level": level,
                    "model": model,
                    "n": len(values),
                    "accuracy": values.mean(),
                    "low": low,
                    "high": high,
                }
            )
    return pd.DataFrame(rows)


def _ratio_interval(small: np.ndarray, large: np.ndarray, n_boot: int, rng) -> tuple[float, float, float]:
    draws = rng.integers(len(small), size=(n_boot, len(small)))
    s, g = small[draws].mean(axis=1), large[draws].mean(axis=1)
    ratios = np.divide(s, g, out=np.full(n_boot, np.nan), where=g > 0)
    low, high = np.nanquantile(ratios, [0.025, 0.975])
    return (small.mean() / large.mean() if large.mean() > 0 else np.nan), low, high


def ratio_by_complexity(
    out: Outcomes, bins: pd.DataFrame, small: str, large: str, n_boot: int, seed: int
) -> pd.DataFrame:
    """Accuracy of ``small`` over ``large`` per bin, with a paired bootstrap interval (questions resampled),
    and the difference of the ratio between the lowest and the highest bin."""
    rng = np.random.default_rng(seed)
    merged = pd.DataFrame(
        {
            "problem_id": out.problem_ids,
            "small": out.correct[:, out.models.index(small)],
            "large": out.correct[:, out.models.index(large)],
        }
    ).merge(bins, on="problem_id")
    rows = []
    for proxy in ("linked articles", "reasoning types"):
        levels = sorted(merged[proxy].unique())
        for level in levels:
            sub = merged[merged[proxy] == level]
            ratio, low, high = _ratio_interval(sub["small"].to_numpy(float), sub["large"].to_numpy(float), n_boot, rng)
            rows.append(
                {
                    "proxy": proxy,
                    "level": level,
                    "n": len(sub),
                    "small": small,
                    "large": large,
                    "small_accuracy": sub["small"].mean(),
                    "large_accuracy": sub["large"].mean(),
                    "ratio": ratio,
                    "low": low,
                    "high": high,
                }
            )
    return pd.DataFrame(rows)


def simpleqa_contrast(
    samples: pd.DataFrame,
    small: str = "qwen3-1.7b",
    large: str = "qwen3-30b-a3b-instruct-2507-q4_K_M",
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """The small/large accuracy ratio of the one pair the release has on both SimpleQA (single-fact questions)
    and FRAMES (multi-hop questions), with paired bootstrap intervals."""
    rng = np.random.default_rng(seed)
    rows = []
    for dataset in ("simpleqa", "frames"):
        wide = samples[samples["dataset"] == dataset].pivot(index="problem_id", columns="model", values="correct")
        s, g = wide[small].to_numpy(float), wide[large].to_numpy(float)
        ratio, low, high = _ratio_interval(s, g, n_boot, rng)
        rows.append(
            {
                "dataset": dataset,
                "n": len(wide),
                "small_accuracy": s.mean(),
                "large_accuracy": g.mean(),
                "ratio": ratio,
                "low": low,
                "high": high,
            }
        )
    return pd.DataFrame(rows)


# --- the auction ------------------------------------------------------------------------------------------


def settle(fast: bool, base_url: str | None = None, max_tokens: int | None = None, **sizes) -> SimpleNamespace:
    """The notebook's settings, resolved once: the sizes of :data:`DEFAULTS` (see :func:`agenteff.params.settle`),
    the auction's ``endpoint`` (``base_url`` None: ``OPENAI_BASE_URL`` when set, else the simulated endpoint;
    "simulated" forces it; empty or malformed: an error here, before any call) and ``max_tokens``, the executing
    agent's answer limit (:data:`ANSWER_MAX_TOKENS` live, the engine's default for the simulated agents)."""
    settings = params.settle(DEFAULTS, fast, **sizes)
    settings.endpoint = resolve_endpoint(base_url)
    if max_tokens is None:
        live = ANSWER_MAX_TOKENS[1] if fast else ANSWER_MAX_TOKENS[0]
        max_tokens = auction_engine.AuctionSettings().answer_max_tokens if settings.endpoint.simulated else live
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise ValueError(f"max_tokens must be a positive integer, not {max_tokens!r}")
    settings.max_tokens = max_tokens
    return settings


def run_auctions(
    endpoint: Endpoint,
    tasks: pd.DataFrame,
    sizes: list[float],
    models: list[str] | None = None,
    jury: list[str] | None = None,
    max_tokens: int | None = None,
    encoding: str = "auto",
):
    """The auction and its baseline (the largest agent alone) on ``endpoint``: ``(run, alone, largest)``.

    Simulated: one simulated agent per size in ``sizes`` (billions of parameters, the price per token). Live:
    ``models`` (smallest first, one per size); without them, the one model the endpoint serves bids alone at the
    largest size's price (a one-bidder auction: plans, jury and execution still run and are counted). The
    auction carries its memory from task to task, so it is a chain, not a grid: a live run that stops is resumed
    by the response cache, which answers the calls already made. Plans and verdicts act in ``encoding``
    ("native" tool calls, "structured" JSON actions, or "auto": probed per model)."""
    agents = auction_engine.simulated_agents(sizes)
    with endpoint.serve(agents) as running:
        if running.simulated:
            bidders = [auction_engine.Bidder(agent.name, size) for agent, size in zip(agents, sizes)]
        elif models:
            if len(models) != len(sizes):
                raise ValueError(f"give one size per auction model: {len(models)} models, {len(sizes)} sizes")
            bidders = [auction_engine.Bidder(name, size) for name, size in zip(models, sizes)]
        else:
            bidders = [auction_engine.Bidder(running.model_or_default(None), max(sizes))]
        settings = auction_engine.AuctionSettings(
            answer_max_tokens=max_tokens or auction_engine.AuctionSettings().answer_max_tokens,
            jury=tuple(jury) if jury else None,
            encoding=encoding,
        )
        timeout = generation_timeout_s(max(settings.answer_max_tokens, settings.plan_max_tokens))
        with running.client(cache=not running.simulated, timeout_s=timeout, max_concurrency=4) as client:
            run = auction_engine.run_auction(client, bidders, tasks, settings)
            alone = auction_engine.run_single(client, bidders[-1], tasks, settings)
    return run, alone, bidders[-1].model


def is_simulated(run) -> bool:
    """Whether the auction's calls were answered by the simulated endpoint (from its recorded replies)."""
    return bool(run.outcomes["simulated"].all())


def auction_models_label(run) -> str:
    """The models that answered the auction, for titles and notes (the served ids where they differ)."""
    asked = list(dict.fromkeys(run.bids["model"]))
    served = list(dict.fromkeys(run.bids.get("served_model", pd.Series(dtype=str)).dropna()))
    shown = ", ".join(asked)
    extra = [name for name in served if name not in asked]
    return f"{shown} (served as {', '.join(extra)})" if extra else shown


def auction_actions(run) -> pd.DataFrame:
    """The auction's actions per bidder (plans and the verdicts on them): how they were encoded, how many were
    made, how many were valid tool calls and how many malformed (see :mod:`agenteff.engines.actions`)."""
    return (
        run.bids.groupby(["model", "action_encoding"], sort=False)[["actions", "tool_calls", "malformed"]]
        .sum()
        .reset_index()
    )


def auction_summary(run, baseline: pd.DataFrame, tasks: pd.DataFrame, largest: str) -> pd.DataFrame:
    """Per complexity (steps) and overall: the largest agent's share of wins, pass@1 and cost of the auction
    (execution only, and with the auction's planning and jury calls) against the largest agent alone."""
    joined = run.outcomes.merge(tasks[["task_id", "complexity"]], on="task_id").merge(
        baseline[["task_id", "success", "cost"]].rename(columns={"success": "largest_success", "cost": "largest_cost"}),
        on="task_id",
    )
    joined["to_largest"] = joined["winner"] == largest
    groups = [(str(level), sub) for level, sub in joined.groupby("complexity")] + [("all", joined)]
    return pd.DataFrame(
        [
            {
                "complexity": level,
                "tasks": len(sub),
                "largest_share": sub["to_largest"].mean(),
                "auction_pass1": sub["success"].mean(),
                "largest_pass1": sub["largest_success"].mean(),
                "execution_cost": sub["execution_cost"].sum(),
                "auction_cost": sub["cost"].sum(),
                "largest_cost": sub["largest_cost"].sum(),
            }
            for level, sub in groups
        ]
    )
