"""Job functions for the reliability tests of sweeps (a small module, so spawned workers import it quickly)."""

import os
import time

import httpx
import openai

from agenteff.engines.sweep import Job


def crashes_on_seed_three(job: Job) -> list[dict]:
    if job.seed == 3:
        os._exit(7)  # kills the worker process, as a segfault or the OOM killer would
    return [{"value": job.seed * 10}]


def raises_with_key(job: Job) -> list[dict]:
    """An SDK error as a real endpoint gives it: the request, key header included, rides on the exception."""
    key = os.environ["OPENAI_API_KEY"]
    request = httpx.Request(
        "POST", "http://127.0.0.1:9/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}
    )
    response = httpx.Response(401, request=request)
    raise openai.AuthenticationError(f"Incorrect API key provided: {key}", response=response, body=None)


def sleeps_and_logs_pid(job: Job, log: str) -> list[dict]:
    with open(log, "a") as handle:
        handle.write(f"{os.getpid()}\n")
    time.sleep(0.4)
    return [{"pid": os.getpid()}]


def crashes_on_seeds_3_and_37(job: Job) -> list[dict]:
    if job.seed in (3, 37):
        os._exit(7)
    return [{"value": job.seed * 10}]
