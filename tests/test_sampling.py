import math
import os
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from agenteff import datasets
from agenteff.engines import sampling
from agenteff.engines.sampling import REASONER_DEFAULTS, simulated_reasoner
from agenteff.metrics import grading

PROBLEM = "What is 6 times 7?"
LOOKUP = {PROBLEM: "42", "Half of one?": "\\frac{1}{2}"}


def reply(problem=PROBLEM, seed=0, **params):
    model = SimpleNamespace(params=params)
    return simulated_reasoner(
        [{"role": "user", "content": problem}], None, model, np.random.default_rng(seed), gold_lookup=LOOKUP
    )


def test_reasoner_is_deterministic_per_seed():
    assert reply(seed=3) == reply(seed=3)
    assert reply(seed=3)["reasoning_content"] != reply(seed=4)["reasoning_content"]


def test_reasoning_length_follows_the_difficulty_and_verbosity():
    d = sampling.problem_difficulty_u(PROBLEM)
    need = REASONER_DEFAULTS["base_tokens"] * math.exp(REASONER_DEFAULTS["difficulty_scale"] * d)
    words = len(reply(spread=0.0, verbosity=2.0)["reasoning_content"].split())
    assert words == round(2.0 * need)


def test_correct_rate_matches_the_stated_formula():
    d = sampling.problem_difficulty_u(PROBLEM)
    verbosity = 1.2
    expected = 1.0 * (1 - 0.7 * d) / (1 + math.exp(-math.log(verbosity) / 0.25))
    answers = [
        grading.extract_answer(reply(seed=s, spread=0.0, verbosity=verbosity, skill=1.0)["content"])
        for s in range(3000)
    ]
    rate = np.mean([a == "42" for a in answers])
    assert abs(rate - expected) < 4 * math.sqrt(expected * (1 - expected) / 3000)


def test_long_answers_are_less_often_right_when_overthinking_is_on():
    def rate(overthink):
        hits = [
            grading.grade(reply(seed=s, spread=1.0, overthink=overthink)["content"], "42")["correct"]
            for s in range(2000)
        ]
        return np.mean(hits)

    assert rate(0.9) < rate(0.0) - 0.05


def test_wrong_answers_fail_the_grader():
    wrong = []
    for seed in range(200):
        for problem, gold in LOOKUP.items():
            content = reply(problem, seed=seed, skill=0.0)["content"]
            wrong.append(grading.grade(content, gold)["correct"])
    assert not any(wrong)


def test_unknown_problem_gets_no_answer():
    out = reply("Not in the set")
    assert grading.extract_answer(out["content"]) is None and out["reasoning_content"] is None


@pytest.mark.skipif(not os.environ.get(datasets.MIRROR_VARIABLE), reason="needs the data mirror (AGENTEFF_MIRROR)")
def test_run_sampling_against_the_simulated_endpoint():
    problems = datasets.load("lead-math-test")
    samples = sampling.run_sampling(problems, k=3, n_problems=4, seed=1)
    assert len(samples) == 12 and samples["problem_id"].nunique() == 4
    assert samples["simulated"].all() and samples["sample_index"].tolist()[:3] == [0, 1, 2]
    assert (samples["completion_tokens"] > samples["reasoning_tokens"]).all()
    regraded = [grading.is_equivalent(a, g) for a, g in zip(samples["answer"], samples["gold"])]
    assert samples["correct"].tolist() == regraded
    again = sampling.run_sampling(problems, k=3, n_problems=4, seed=1)
    pd.testing.assert_frame_equal(samples, again)


def test_a_real_endpoint_needs_a_model_name():
    with pytest.raises(ValueError, match="name the model"):
        sampling.run_sampling(
            pd.DataFrame({"problem_id": ["0"], "prompt": ["x"], "gold": ["1"]}), base_url="http://127.0.0.1:9"
        )
