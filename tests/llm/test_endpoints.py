"""The one road from a notebook's base_url parameter to an endpoint (issue 16)."""

import pickle

import pytest

from agenteff.llm.endpoints import Endpoint, resolve_endpoint


def test_default_is_the_simulated_endpoint_without_the_variable():
    endpoint = resolve_endpoint(None, environ={})
    assert endpoint.simulated and endpoint.url is None and endpoint.source == "default"


def test_the_environment_variable_alone_switches_to_live():
    endpoint = resolve_endpoint(None, environ={"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1/"})
    assert not endpoint.simulated
    assert endpoint.url == "http://127.0.0.1:8080/v1"
    assert endpoint.source == "environment"
    assert endpoint.label == "127.0.0.1:8080"


def test_the_parameter_wins_over_the_variable():
    environ = {"OPENAI_BASE_URL": "http://elsewhere:1/v1"}
    assert resolve_endpoint("http://localhost:9/v1", environ).url == "http://localhost:9/v1"
    forced = resolve_endpoint("simulated", environ)
    assert forced.simulated and forced.source == "parameter"


@pytest.mark.parametrize("bad", ["", "   ", "localhost:8080", "ftp://host/v1", "http://", "http://host:port/v1"])
def test_empty_or_malformed_urls_are_clear_errors(bad):
    with pytest.raises(ValueError, match="base_url"):
        resolve_endpoint(bad, environ={})


def test_an_empty_environment_variable_is_an_error_naming_it():
    with pytest.raises(ValueError, match="OPENAI_BASE_URL is empty"):
        resolve_endpoint(None, environ={"OPENAI_BASE_URL": ""})


def test_credentials_in_the_url_are_refused_without_echoing_them():
    with pytest.raises(ValueError) as error:
        resolve_endpoint("http://user:sk-secret123456789@host/v1", environ={})
    assert "sk-secret" not in str(error.value)


def test_a_non_string_is_a_type_error():
    with pytest.raises(TypeError, match="base_url"):
        resolve_endpoint(8080, environ={})


def test_each_live_url_has_its_own_cache_folder_and_pickles_without_a_key():
    one = resolve_endpoint("http://a:1/v1", environ={})
    two = resolve_endpoint("http://b:1/v1", environ={})
    assert one.cache_dir != two.cache_dir
    assert pickle.loads(pickle.dumps(one)) == one
    assert "key" not in repr(one).lower()


def test_a_simulated_endpoint_needs_models_and_a_running_server_for_a_client():
    endpoint = Endpoint(url=None, simulated=True, source="default")
    with pytest.raises(RuntimeError, match="not running"):
        endpoint.client()
    with pytest.raises(ValueError, match="SimModel"), endpoint.serve([]):
        pass


def test_serving_the_simulated_endpoint_gives_a_url_and_a_working_client():
    from agenteff.llm import SimModel

    with resolve_endpoint(None, environ={}).serve([SimModel("sim-x")]) as running:
        assert running.simulated and running.url.startswith("http://127.0.0.1:")
        with running.client(cache=False) as client:
            reply = client.chat("sim-x", [{"role": "user", "content": "Compute 2 + 3."}])
    assert reply.model == "sim-x"


def test_the_default_model_is_the_one_served_and_several_need_a_name():
    from agenteff.llm import SimModel

    with resolve_endpoint(None, environ={}).serve([SimModel("sim-only")]) as running:
        assert running.served_models() == ["sim-only"]
        assert running.model_or_default(None) == "sim-only"
        assert running.model_or_default("asked") == "asked"
    with resolve_endpoint(None, environ={}).serve([SimModel("sim-a"), SimModel("sim-b")]) as running:
        with pytest.raises(ValueError, match="name the model.*sim-a"):
            running.model_or_default(None)
