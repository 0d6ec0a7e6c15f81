import pytest

from agenteff import params

DEFAULTS = {"n_boot": (2000, 300), "n_tasks": (20, 4)}


def test_unset_parameters_take_the_full_or_the_fast_default():
    assert vars(params.settle(DEFAULTS, False, n_boot=None)) == {"n_boot": 2000, "n_tasks": 20}
    assert vars(params.settle(DEFAULTS, True, n_boot=None)) == {"n_boot": 300, "n_tasks": 4}


def test_a_value_the_user_set_survives_fast_mode():
    assert params.settle(DEFAULTS, True, n_boot=2000).n_boot == 2000


def test_nonsense_is_refused():
    with pytest.raises(TypeError, match="fast must be True or False"):
        params.settle(DEFAULTS, "flase")
    with pytest.raises(KeyError, match="n_bootstrap"):
        params.settle(DEFAULTS, False, n_bootstrap=10)
