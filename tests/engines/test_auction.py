"""The strategy auction (engines/auction.py): bids computed by hand with a scripted client, and the simulated
agents end to end over HTTP."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from agenteff.engines import auction
from agenteff.llm import LLMClient, sim_server
from agenteff.llm.client import ChatResult


def test_plan_entropy_by_hand():
    assert auction.plan_entropy("a b") == pytest.approx(1.0)  # ln 2 / ln 2
    assert auction.plan_entropy("a a") == 0.0
    assert auction.plan_entropy("a a b b") == pytest.approx(math.log(2) / math.log(4))
    assert auction.plan_entropy("") == 0.0 and auction.plan_entropy(None) == 0.0


def test_grade_number_and_tasks():
    assert auction.grade_number("The result is 42.", "42") and not auction.grade_number("41", "42")
    assert not auction.grade_number(None, "1")
    tasks = auction.arithmetic_tasks(20, max_steps=3, seed=1)
    assert tasks["complexity"].between(1, 3).all() and tasks["task_id"].is_unique
    for prompt, gold, steps in tasks[["prompt", "gold", "complexity"]].itertuples(index=False):
        start, operations = auction._task_steps(prompt)
        assert len(operations) == steps and auction._apply(start, operations) == int(gold)
    assert auction._apply(7, [("add", 3), ("multiply by", 4), ("subtract", 5)]) == 35
    with pytest.raises(ValueError):
        auction.arithmetic_tasks(0)


def test_memory_adjustment_by_hand():
    memory = auction._Memory()
    assert memory.adjustment("add 3", "a", 5) == 0.0
    memory.add("add 3 then add 4", "a", True, {"a": "plan a"})
    memory.add("add 3 then add 5", "a", False, {"a": "plan a2"})
    memory.add("add 3 then add 6", "b", True, {"b": "plan b"})
    # a won 1 of 2: (1+1)/(2+2) = 0.5; all winners 2 of 3: (2+1)/(3+2) = 0.6
    assert memory.adjustment("add 3 then add 7", "a", 5) == pytest.approx(0.5 - 0.6)
    assert memory.adjustment("add 3 then add 7", "c", 5) == pytest.approx(0.5 - 0.6)  # no wins: prior 1/2
    assert memory.examples("add 3 then add 7", 5, 2) == ["plan a", "plan b"]


def _result(content, prompt, completion, model, tool_calls=(), finish_reason="stop"):
    message = {"role": "assistant", "content": content, **({"tool_calls": list(tool_calls)} if tool_calls else {})}
    return ChatResult(message, prompt, completion, 0, 0, math.nan, 0.0, False, False, model, finish_reason)


class ScriptedClient:
    """Plans, verdicts and answers fixed by model, so every bid can be computed by hand. Offered a tool, it acts
    in the encoding asked for: a native call of the tool, or the JSON action the schema asks for; ``broken``
    names the (author, juror) verdicts answered with a reply cut at ``max_tokens``."""

    plans = {"small": ("1. add 3", 10), "large": ("1. add 3 then check", 20)}
    verdicts = {("small", "small"): 8, ("small", "large"): 6, ("large", "small"): 10, ("large", "large"): 10}

    def __init__(self, broken=(), prose=False):
        self.calls = []
        self.broken = set(broken)
        self.prose = prose  # offered a tool, reply in text anyway (as a model that ignores tools does)

    def chat(self, model, messages, tools=None, max_tokens=None, response_format=None):
        self.calls.append(model)
        user = messages[-1]["content"]
        if not (tools or response_format):  # the winner executes its plan
            return _result("5", 60, 40, model)
        if "Plan:" in user:  # a verdict: which plan is being judged?
            author = "large" if "then check" in user else "small"
            if (author, model) in self.broken:
                return _result('{"action": "score_plan", "in', 100, 1, model, finish_reason="length")
            name, arguments, prompt, completion = "score_plan", {"score": self.verdicts[(author, model)]}, 100, 1
        else:
            text, completion = self.plans[model]
            name, arguments, prompt = "submit_plan", {"plan": text}, 50
        if self.prose:
            return _result(str(next(iter(arguments.values()))), prompt, completion, model)
        if tools:
            return _result(None, prompt, completion, model, [{"id": "c", "name": name, "arguments": arguments}])
        return _result(json.dumps({"action": name, "input": arguments}), prompt, completion, model)


@pytest.mark.parametrize("encoding", ["native", "structured"])
def test_bids_winner_and_costs_by_hand(encoding):
    bidders = [auction.Bidder("small", 1.0), auction.Bidder("large", 8.0)]
    tasks = pd.DataFrame({"task_id": ["t0"], "prompt": ["Start with 2. Then add 3."], "gold": ["5"]})
    settings = auction.AuctionSettings(cost_weight=0.5, entropy_weight=0.2, memory_weight=0.5, encoding=encoding)
    run = auction.run_auction(ScriptedClient(), bidders, tasks, settings)
    bids = run.bids.set_index("model")
    # plan cost: small 1 x 10 = 10, large 8 x 20 = 160 -> normalised 10/160 and 1, times 0.5
    assert bids.loc["small", "cost"] == pytest.approx(0.5 * 10 / 160)
    assert bids.loc["large", "cost"] == pytest.approx(0.5)
    # jury: small's plan gets 8 and 6 -> 0.7; large's 10 and 10 -> 1.0
    assert bids.loc["small", "jury"] == pytest.approx(0.7) and bids.loc["large", "jury"] == pytest.approx(1.0)
    entropy_small = auction.plan_entropy("1. add 3")
    value_small = 0.8 * 0.7 + 0.2 * (1 - entropy_small)
    assert bids.loc["small", "value"] == pytest.approx(value_small)
    assert bids.loc["small", "score"] == pytest.approx(0.5 * 10 / 160 - value_small)
    value_large = 0.8 * 1.0 + 0.2 * (1 - auction.plan_entropy("1. add 3 then check"))
    winner = "small" if 0.5 * 10 / 160 - value_small < 0.5 - value_large else "large"
    outcome = run.outcomes.iloc[0]
    assert outcome["winner"] == winner and outcome["success"]
    # every call is paid: small's plan (1 x 60 tokens) and its two verdicts (1 x 101 + 8 x 101) ...
    overhead = (1 * 60 + 8 * 70 + 2 * (1 * 101 + 8 * 101)) / 1000
    assert outcome["auction_cost"] == pytest.approx(overhead)
    price = {"small": 1.0, "large": 8.0}[winner]
    assert outcome["execution_cost"] == pytest.approx(price * 100 / 1000)
    assert outcome["cost"] == pytest.approx(overhead + price * 100 / 1000)
    # each bid: its plan and two verdicts, all valid tool calls in the encoding forced
    assert bids["action_encoding"].eq(encoding).all()
    assert bids["actions"].eq(3).all() and bids["tool_calls"].eq(3).all() and bids["malformed"].eq(0).all()


def test_a_native_reply_without_a_call_is_read_as_text():
    bidders = [auction.Bidder("small", 1.0), auction.Bidder("large", 8.0)]
    tasks = pd.DataFrame({"task_id": ["t0"], "prompt": ["Start with 2. Then add 3."], "gold": ["5"]})
    run = auction.run_auction(ScriptedClient(prose=True), bidders, tasks, auction.AuctionSettings(encoding="native"))
    bids = run.bids.set_index("model")
    assert bids.loc["large", "plan"] == "1. add 3 then check" and bids.loc["small", "jury"] == pytest.approx(0.7)
    assert bids["tool_calls"].eq(0).all() and bids["malformed"].eq(0).all() and bids["actions"].eq(3).all()


def test_a_verdict_cut_at_max_tokens_is_malformed_and_scores_zero():
    bidders = [auction.Bidder("small", 1.0), auction.Bidder("large", 8.0)]
    tasks = pd.DataFrame({"task_id": ["t0"], "prompt": ["Start with 2. Then add 3."], "gold": ["5"]})
    settings = auction.AuctionSettings(encoding="structured")
    run = auction.run_auction(ScriptedClient(broken={("large", "small")}), bidders, tasks, settings)
    bids = run.bids.set_index("model")
    assert bids.loc["large", "jury"] == pytest.approx((0 + 10) / 2 / 10)  # the cut verdict counts 0
    assert bids.loc["large", "malformed"] == 1 and bids.loc["large", "tool_calls"] == 2
    assert bids.loc["small", "malformed"] == 0 and bids.loc["small", "tool_calls"] == 3


def test_reliance_and_cost_by_hand():
    outcomes = pd.DataFrame({"winner": ["s", "L", "s", "s"], "success": [1, 1, 0, 1], "cost": [1.0, 4, 1, 2]})
    baseline = pd.DataFrame({"winner": ["L"] * 4, "success": [1, 1, 1, 0], "cost": [4.0] * 4})
    result = auction.reliance_and_cost(outcomes, baseline, "L")
    assert result["reliance_reduction"] == pytest.approx(0.75)
    assert result["cost_reduction"] == pytest.approx(1 - 8 / 16)
    assert result["auction_pass1"] == 0.75 and result["baseline_pass1"] == 0.75


def test_bad_settings_and_inputs():
    with pytest.raises(ValueError, match="price_per_token"):
        auction.Bidder("x", 0)
    with pytest.raises(ValueError, match="entropy_weight"):
        auction.AuctionSettings(entropy_weight=2)
    with pytest.raises(ValueError, match="encoding"):
        auction.AuctionSettings(encoding="xml")
    with pytest.raises(ValueError, match="jurors"):
        auction.run_auction(
            ScriptedClient(), [auction.Bidder("small", 1)], pd.DataFrame(), auction.AuctionSettings(jury=("judge",))
        )
    with pytest.raises(KeyError, match="gold"):
        auction.run_auction(ScriptedClient(), [auction.Bidder("small", 1)], pd.DataFrame({"task_id": [], "prompt": []}))
    with pytest.raises(ValueError, match="at least one"):
        auction.run_auction(ScriptedClient(), [], pd.DataFrame())


def test_skill_model_small_agents_fall_behind_with_steps():
    skill = auction.SimulatedSkill()
    assert skill.p_right(4, 1) > 0.85 and skill.p_right(32, 1) > 0.9
    assert skill.p_right(4, 6) < 0.2 < 0.6 < skill.p_right(32, 6)


def test_simulated_auction_end_to_end(tmp_path):
    sizes = [4, 32]
    agents = auction.simulated_agents(sizes)
    tasks = auction.arithmetic_tasks(6, max_steps=4, seed=0)
    with sim_server(agents) as url, LLMClient(base_url=url, cache_dir=tmp_path) as client:
        bidders = [auction.Bidder(a.name, s) for a, s in zip(agents, sizes)]
        run = auction.run_auction(client, bidders, tasks)
        alone = auction.run_single(client, bidders[-1], tasks)
    assert run.outcomes["simulated"].all() and alone["simulated"].all()
    assert len(run.bids) == 12 and run.bids.groupby("task_id")["won"].sum().eq(1).all()
    assert set(run.outcomes["winner"]) <= {a.name for a in agents}
    # a flawless plan of the simulated agents lists every step, and its executor gets the task right
    flawless = run.bids[run.bids["won"] & (run.bids["jury"] == 1.0)]["task_id"]
    assert run.outcomes.set_index("task_id").loc[flawless, "success"].mean() >= 0.8
    assert np.isfinite(run.outcomes["cost"]).all() and (run.outcomes["cost"] > run.outcomes["execution_cost"]).all()


def test_simulated_agents_bid_the_same_by_tool_call_or_json_action(tmp_path):
    # flawless, noise-free agents: every plan and verdict is fixed, whichever encoding carries it
    skill = auction.SimulatedSkill(base_logit=50.0, jury_noise=0.0, slip=0.0)
    sizes = [4, 32]
    agents = auction.simulated_agents(sizes, skill)
    tasks = auction.arithmetic_tasks(3, max_steps=3, seed=2)
    runs = {}
    with sim_server(agents) as url, LLMClient(base_url=url, cache_dir=tmp_path) as client:
        bidders = [auction.Bidder(a.name, s) for a, s in zip(agents, sizes)]
        for encoding in ("native", "structured", "auto"):
            runs[encoding] = auction.run_auction(client, bidders, tasks, auction.AuctionSettings(encoding=encoding))
    native, structured = runs["native"].bids, runs["structured"].bids
    assert runs["auto"].bids["action_encoding"].eq("native").all()  # the simulated agents make tool calls
    assert structured["action_encoding"].eq("structured").all()
    assert native["plan"].tolist() == structured["plan"].tolist()
    assert native["jury"].eq(1.0).all() and structured["jury"].eq(1.0).all()  # flawless plans, exact jurors
    for bids in (native, structured):
        assert bids["actions"].eq(3).all() and bids["tool_calls"].eq(3).all() and bids["malformed"].eq(0).all()
    assert runs["structured"].outcomes["success"].all() and runs["native"].outcomes["success"].all()
