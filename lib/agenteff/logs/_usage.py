"""One call's token usage in the project's convention, whatever convention the log used.

In STEPS and RUNS, ``prompt_tokens`` counts every prompt token, those read from and written to the provider's
cache included (``cached_tokens`` and ``cache_write_tokens`` are parts of it), and ``completion_tokens`` counts
every generated token, reasoning included (``reasoning_tokens`` is a part of it). Logs disagree: inspect_ai
before 0.3.184 reported ``input_tokens`` with cache reads included for OpenAI-style providers and excluded for
Anthropic, and from 0.3.184 on excluded them for everyone; some providers count reasoning outside the output.
:func:`normalise` decides each call from its own ``total_tokens`` and records which convention it found.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["normalise", "version_tuple"]

#: inspect_ai changed ``input_tokens`` to exclude cache tokens for every provider in this release (#3341).
EXCLUDES_CACHE_SINCE = (0, 3, 184)


def version_tuple(text) -> tuple[int, ...] | None:
    """(0, 3, 95) from "0.3.95.dev16+g6527d0861"; None when there is no version."""
    if not text:
        return None
    numbers = []
    for part in str(text).split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit()) if part[:1].isdigit() else ""
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers) or None


def _count(value):
    return pd.NA if value is None else int(value)


def normalise(
    input_tokens,
    output_tokens,
    total_tokens=None,
    cache_read=None,
    cache_write=None,
    reasoning=None,
    excludes_cache_by_default: bool = False,
) -> dict:
    """``prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens,
    cache_convention`` of one call.

    With cache tokens, ``total - output == input`` means the input already held them, ``== input + reads +
    writes`` means it did not; reasoning tokens counted outside the output show as a further ``+ reasoning``.
    When the total settles nothing (missing, or it matches neither), ``excludes_cache_by_default`` decides
    (the log's version and provider) and the convention is recorded as ``from_version``. Unknown counts stay
    unknown (NA), never 0.
    """
    if input_tokens is None and output_tokens is None:
        return dict.fromkeys(
            ("prompt_tokens", "completion_tokens", "cached_tokens", "cache_write_tokens", "reasoning_tokens"), pd.NA
        ) | {"cache_convention": pd.NA}
    inp, out = _count(input_tokens), _count(output_tokens)
    read, write, reason = int(cache_read or 0), int(cache_write or 0), int(reasoning or 0)
    cache = read + write
    readings = {  # (cache excluded from input?, reasoning outside output?) -> total it predicts
        (False, False): inp + out,
        (False, True): inp + out + reason,
        (True, False): inp + cache + out,
        (True, True): inp + cache + out + reason,
    }
    matches = [k for k, v in readings.items() if total_tokens is not None and v == int(total_tokens)]
    if cache == 0:
        convention = "no_cache_tokens"
        excluded = False
        outside = bool(matches) and all(k[1] for k in matches) and reason > 0
    elif matches and len({k[0] for k in matches}) == 1:
        excluded = matches[0][0]
        convention = "input_excludes_cache" if excluded else "input_includes_cache"
        outside = all(k[1] for k in matches if k[0] == excluded) and reason > 0
    else:
        excluded = excludes_cache_by_default
        convention = "from_version"
        outside = False
    return {
        "prompt_tokens": inp + cache if excluded else inp,
        "completion_tokens": out + reason if outside else out,
        "cached_tokens": read if cache_read is not None else pd.NA,
        "cache_write_tokens": write if cache_write is not None else pd.NA,
        "reasoning_tokens": reason if reasoning is not None else pd.NA,
        "cache_convention": convention,
    }
