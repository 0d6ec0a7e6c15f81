"""pyproject.toml (pip) and environment.yml (conda) must pin the same packages at the same versions."""

import re
import tomllib

import yaml

from agenteff.paths import REPO_ROOT


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", re.sub(r"\[.*\]", "", name)).lower()


def pip_pins() -> dict[str, str]:
    deps = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {}
    for spec in deps:
        name, version = spec.split("==")
        pins[_normal(name)] = version.strip()
    return pins


def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    pins = {}
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            for spec in entry["pip"]:
                if "==" in spec:
                    name, version = spec.split("==")
                    pins[_normal(name)] = version.strip()
        elif "=" in entry and not entry.startswith("python="):
            name, version = entry.split("=")
            pins[_normal(name)] = version.strip()
    return pins


def test_every_pin_is_exact():
    deps = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert all(spec.count("==") == 1 for spec in deps), deps


def test_pip_and_conda_lists_agree():
    pip, conda = pip_pins(), conda_pins()
    # conda-forge splits dask[distributed] into dask + distributed, both at the same version
    assert conda.pop("distributed") == pip["dask"]
    assert pip == conda


def test_environment_installs_this_package_editable():
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    pip_section = next(e for e in env["dependencies"] if isinstance(e, dict))["pip"]
    assert "-e ." in pip_section
