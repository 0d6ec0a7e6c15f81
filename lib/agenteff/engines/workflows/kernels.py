"""Compiled kernels of the workflow simulator and of Monte Carlo Portfolio Planning (numba).

Rules follow the MCPP study's simulator (Wang et al., arXiv:2605.06110) as stated in this project's issue 8:

* a batch of ``k`` samples of model ``m`` on node ``i`` costs ``k * cost[m, i]``, charged at launch; it finishes
  when its slowest sample does, and succeeds when at least one sample does (probability
  ``1 - (1 - p)^k``); a failed batch leaves the node ready to be dispatched again;
* a node's children become ready once all their parents are complete;
* executed baselines (``MODE_BASELINE``) launch samples one at a time, so a batch starts partially when the
  budget runs short and the run fails when not even one sample is affordable; they ignore the deadline while
  running and succeed when the whole DAG completes with makespan <= deadline;
* MCPP (``MODE_MCPP``) launches whole actions: when an action's cost exceeds the remaining budget, or its
  slowest sampled batch would end after the deadline, nothing is launched and the run fails.

Sampling is exact and cheap: a batch's latency (the maximum of ``k`` lognormal latencies) is drawn by inverting
its distribution function ``F(x)^k`` with one uniform, and its success with a second. Random numbers come from
a counter-based generator (splitmix64) keyed by (trial, node, dispatch) in the world and by (decision, rollout,
node) in the planner, so runs are deterministic under any thread schedule and all policies and candidate actions
see common random numbers.

A planner rollout follows its first action with a fixed continuation ``Seq-(m, k)``. Batches of different nodes
are then independent and a failed batch is simply repeated, so a rollout succeeds exactly when the total cost of
all its batches fits the remaining budget and every node's finish time (its parents' latest finish plus its own
batches' latencies) fits the remaining deadline; rollouts therefore need no event queue: one pass draws the
number of batches per node (geometric) and checks the budget, a second pass in topological order draws the
latencies and stops once no candidate is within the deadline (all candidates of a decision walk one rollout
together: see the notes above :func:`_score_rollout`).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

MODE_BASELINE = 0
MODE_MCPP = 1

PENDING, READY, RUNNING, DONE = 0, 1, 2, 3

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
_BUDGET_TOLERANCE = 1e-9  # relative: budgets set to an exact sum of costs must not fail on rounding

# Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9).
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
      -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
      -1.328068155288572e+01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
      4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)
_P_LOW = 0.02425


# ----------------------------------------------------------------------------------------------- random numbers
@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def _child_key(key, index):
    """A key for sub-stream ``index`` of ``key``."""
    return _mix(key + (np.uint64(index) + np.uint64(1)) * _MIX1)


@njit(cache=True, inline="always")
def _step(counter):
    """Advance a stream: returns (next counter, uniform in (0, 1))."""
    counter = counter + _GAMMA
    return counter, (np.float64(_mix(counter) >> _S11) + 0.5) * _TO_UNIT


@njit(cache=True, inline="always")
def _uniform(state):
    """Next uniform in (0, 1) of the stream whose counter is ``state[0]``."""
    state[0], u = _step(state[0])
    return u


# ------------------------------------------------------------------------------------------------- distributions
@njit(cache=True)
def normal_quantile(log_p):
    """Standard normal quantile of ``p = exp(log_p)``; taking the log keeps precision for ``p`` near 1."""
    p = math.exp(log_p)
    if p < _P_LOW:
        q = math.sqrt(-2.0 * log_p)
        return ((((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5])
                / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0))
    if p <= 1.0 - _P_LOW:
        q = p - 0.5
        r = q * q
        return ((((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q
                / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0))
    q = math.sqrt(-2.0 * math.log(-math.expm1(log_p)))
    return -((((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5])
             / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0))


@njit(cache=True)
def batch_latency(u, mu, sigma, k):
    """Latency of a batch of ``k`` samples (the largest of ``k`` lognormal(mu, sigma) latencies) at uniform ``u``."""
    return math.exp(mu + sigma * normal_quantile(math.log(u) / k))


@njit(cache=True)
def batch_latency_beyond(u, mu, sigma, k, elapsed):
    """The same, conditioned on exceeding ``elapsed`` (a batch still running after that long)."""
    if elapsed <= 0.0:
        return batch_latency(u, mu, sigma, k)
    if sigma == 0.0:
        return max(math.exp(mu), elapsed)
    below = k * math.log(0.5 * math.erfc(-(math.log(elapsed) - mu) / (sigma * math.sqrt(2.0))))
    # u ~ U(F(elapsed)^k, 1), on the log scale: log(F^k + (1 - F^k) u)
    start = math.exp(below)
    value = start + (1.0 - start) * u
    if value >= 1.0:
        return elapsed
    return max(math.exp(mu + sigma * normal_quantile(math.log(value) / k)), elapsed)


@njit(cache=True, inline="always")
def _succeeds(u, log_fail, k):
    """Whether a batch of ``k`` samples with per-sample log failure probability ``log_fail`` succeeds at ``u``."""
    return u < -math.expm1(k * log_fail)


@njit(cache=True, inline="always")
def _batches_to_success(u, log_fail, k):
    """Batches of ``k`` samples up to and including the first success (geometric) at uniform ``u``."""
    log_fail_batch = k * log_fail
    if log_fail_batch == -math.inf:
        return 1
    return 1 + int(math.floor(math.log(u) / log_fail_batch))


# ------------------------------------------------------------------------------------------------------ rollouts
# Why the planner is laid out as it is (measured on 2 cores, see benchmarks/mcpp.py and the report of issue 17):
#
# * Every (candidate, continuation) pair of a decision replays rollout ``r`` from the same random streams (keyed by
#   (decision, rollout, node)), and a candidate action only changes the first batch of the ready nodes. So the
#   uniforms, the geometric number of continuation batches per node and the continuation batches' latencies of
#   rollout ``r`` under continuation ``(m, k)`` are the same for every candidate. The first layout drew them again
#   for every candidate: in the 16-node two-model stress case light-model nodes need up to hundreds of
#   single-sample batches, each latency costing a log, two exps and a rational quantile, redone for all 16
#   candidates. Here one call handles one (rollout, continuation) for all candidates at once: it draws the shared
#   numbers once, and walks the nodes in topological order carrying one finish time per candidate; each
#   continuation latency is drawn once and added to every candidate that retries the node (a loop over
#   candidates the compiler vectorises). Each candidate's sums are the same additions in the same order as
#   before, so every verdict is bit-identical. A candidate past the deadline keeps being added to (latencies are
#   positive, so it stays past it; the old layout stopped early), and the node's batches stop when no candidate
#   is still within the deadline.
# * Why two threads gave only 1.2-2.3x one (issue 17), measured on the first layout: not work imbalance (timing
#   every (candidate, continuation) pair alone, the two contiguous halves ``prange`` gives two threads carry equal
#   CPU work within 10%, i.e. a best case of 1.82-2.00x over the benchmark's cases), and not the parallel region's
#   start-up (about 7 us more than the serial call on a tiny decision, against 0.3-20 ms decisions). What remains is
#   the machine: a decision is a single short parallel region, so whenever another process holds one of the two
#   cores the faster thread waits for the other at the region's end (at load ~8 the 2-thread decision takes 10-100x
#   the serial one; the planner's per-CPU-second rate is the figure that survives load). The first layout also
#   allocated three scratch arrays per pair inside the region. Now ``prange`` runs over the rollouts (each under
#   every continuation and for every candidate, so each thread's contiguous share holds the same mix of work),
#   each rollout allocates its scratch once and counts successes in its own row of a padded matrix (rows a cache
#   line apart: no false sharing), summed after the region.
# * run_trials parallelises over trials and calls the serial :func:`plan`; only single decisions
#   (:func:`plan_parallel`) spread one decision over threads.
_ROW_PAD = 8  # int64 entries of padding between the per-rollout rows of success counts (one cache line)


@njit(cache=True, inline="always")
def _uniform_at(origin, step):
    """Uniform number ``step`` (1-based) of the stream that starts at counter ``origin`` (random access)."""
    return (np.float64(_mix(origin + np.uint64(step) * _GAMMA) >> _S11) + 0.5) * _TO_UNIT


@njit(cache=True)
def _scratch(n, n_candidates):
    """Per-rollout scratch of the planner: ``(node ints [2, n], node floats [2, n], stream origins [n],
    candidate finish times [candidate, n], first batch succeeded [candidate, n], candidate floats [2, candidate],
    candidate flags [2, candidate])``."""
    return (np.zeros((2, n), dtype=np.int64), np.zeros((2, n)), np.zeros(n, dtype=np.uint64),
            np.zeros((n_candidates, n)), np.zeros((n_candidates, n), dtype=np.bool_), np.zeros((2, n_candidates)),
            np.zeros((2, n_candidates), dtype=np.bool_))


@njit(cache=True)
def _score_rollout(rollout, cont_model, cont_k, column, n_continuations, order, parent_ptr, parent_idx, mu, sigma,
                   cost, log_fail, status, run_model, run_k, run_elapsed, models, ks, limit, time_left, key,
                   counts, node_ints, node_floats, origins, finish, first_ok, cand_floats, cand_flags):
    """Adds rollout ``rollout`` of every candidate under continuation ``Seq-(cont_model, cont_k)`` to
    ``counts[candidate * n_continuations + column]`` (1 when the rollout succeeds).

    Stream of node ``i``: a ready or running node draws its first batch's success (uniform 1), then, if it fails,
    its number of further batches (2) and its first latency (3); a pending node draws its number of batches (1);
    continuation latencies follow (4, 5, ... or 2, 3, ...). A ready or running node whose first batch succeeds
    draws its first latency from 2 (and has no further batches).
    """
    n, n_candidates = order.shape[0], models.shape[0]
    extra, running_ok = node_ints[0], node_ints[1]
    u_first, t_running = node_floats[0], node_floats[1]
    t, adds = cand_floats[0], cand_floats[1]
    alive, retries = cand_flags[0], cand_flags[1]
    rollout_key = _child_key(key, rollout)
    for i in range(n):
        if status[i] == DONE:
            continue
        s0 = _child_key(rollout_key, i)
        origins[i] = s0
        u_first[i] = _uniform_at(s0, 1)
        extra[i] = _batches_to_success(_uniform_at(s0, 1 if status[i] == PENDING else 2), log_fail[cont_model, i],
                                       cont_k)
        if status[i] == RUNNING:
            ok = _succeeds(u_first[i], log_fail[run_model[i], i], run_k[i])
            running_ok[i] = ok
            m = run_model[i]
            t_running[i] = batch_latency_beyond(_uniform_at(s0, 2 if ok else 3), mu[m, i], sigma[m, i], run_k[i],
                                                run_elapsed[i]) - run_elapsed[i]
    any_alive = False
    for c in range(n_candidates):
        act_model, act_k = models[c], ks[c]
        spent = 0.0
        for i in range(n):
            if status[i] == DONE:
                continue
            ok = False
            if status[i] == RUNNING:
                ok = running_ok[i] == 1
            elif status[i] == READY:
                spent += act_k[i] * cost[act_model[i], i]
                ok = _succeeds(u_first[i], log_fail[act_model[i], i], act_k[i])
            first_ok[c, i] = ok
            if not ok:
                spent += extra[i] * cont_k * cost[cont_model, i]
        alive[c] = spent <= limit
        any_alive = any_alive or alive[c]
    if not any_alive:
        return
    cont_mu, cont_sigma = mu[cont_model], sigma[cont_model]
    for position in range(n):
        i = order[position]
        if status[i] == DONE:
            for c in range(n_candidates):
                finish[c, i] = 0.0
            continue
        first_step = 4
        if status[i] == PENDING:
            first_step = 2
            for c in range(n_candidates):
                t[c] = 0.0
                for j in range(parent_ptr[i], parent_ptr[i + 1]):
                    t[c] = max(t[c], finish[c, parent_idx[j]])
                retries[c] = True
        elif status[i] == RUNNING:
            for c in range(n_candidates):
                t[c] = t_running[i]
                retries[c] = running_ok[i] == 0
        else:
            for c in range(n_candidates):
                retries[c] = not first_ok[c, i]
                if alive[c]:
                    m, k = models[c, i], ks[c, i]
                    t[c] = batch_latency(_uniform_at(origins[i], 3 if retries[c] else 2), mu[m, i], sigma[m, i], k)
        within = False  # some live candidate that retries the node is still within the deadline
        for c in range(n_candidates):
            retries[c] = retries[c] and alive[c]
            within = within or (retries[c] and t[c] <= time_left)
        if within:
            for b in range(extra[i]):
                latency = batch_latency(_uniform_at(origins[i], first_step + b), cont_mu[i], cont_sigma[i], cont_k)
                for c in range(n_candidates):
                    adds[c] = latency if retries[c] else 0.0
                for c in range(n_candidates):
                    t[c] += adds[c]  # t + 0.0 == t: the others' sums are untouched
                if b % 8 == 7:
                    within = False
                    for c in range(n_candidates):
                        within = within or (retries[c] and t[c] <= time_left)
                    if not within:
                        break
        any_alive = False
        for c in range(n_candidates):
            if alive[c]:
                if t[c] > time_left:
                    alive[c] = False
                else:
                    finish[c, i] = t[c]
                    any_alive = True
        if not any_alive:
            return
    for c in range(n_candidates):
        if alive[c]:
            counts[c * n_continuations + column] += 1


# ------------------------------------------------------------------------------------------------------- planner
@njit(cache=True)
def candidate_actions(status, n_models, k_values, n_random, key):
    """Candidate actions as ``(models, ks)``, each ``[candidate, node]`` (only ready nodes matter): every ready
    node gets the same ``(model, k)`` for each pair; then, when two or more nodes are ready, ``n_random``
    actions that draw ``(model, k)`` per node."""
    n = status.shape[0]
    n_ready = 0
    for i in range(n):
        if status[i] == READY:
            n_ready += 1
    n_uniform = n_models * k_values.shape[0]
    n_candidates = n_uniform + (n_random if n_ready >= 2 else 0)
    models = np.zeros((n_candidates, n), dtype=np.int64)
    ks = np.ones((n_candidates, n), dtype=np.int64)
    for m in range(n_models):
        for j in range(k_values.shape[0]):
            models[m * k_values.shape[0] + j, :] = m
            ks[m * k_values.shape[0] + j, :] = k_values[j]
    state = np.empty(1, dtype=np.uint64)
    state[0] = key
    for c in range(n_uniform, n_candidates):
        for i in range(n):
            if status[i] == READY:
                models[c, i] = min(int(_uniform(state) * n_models), n_models - 1)
                ks[c, i] = k_values[min(int(_uniform(state) * k_values.shape[0]), k_values.shape[0] - 1)]
    return models, ks


@njit(cache=True)
def _pick(successes, n_candidates, n_continuations, n_rollouts):
    """Best candidate by its best continuation's success share; returns (candidate, share)."""
    best, best_share = 0, -1.0
    for c in range(n_candidates):
        for j in range(n_continuations):
            share = successes[c * n_continuations + j] / n_rollouts
            if share > best_share:
                best, best_share = c, share
    return best, best_share


@njit(cache=True)
def plan(order, parent_ptr, parent_idx, mu, sigma, cost, log_fail, status, run_model, run_k, run_elapsed,
         k_values, n_random, n_rollouts, budget_left, time_left, key):
    """One MCPP decision on one thread: returns (models, ks, estimated completion probability, rollouts).

    Ready nodes first get the candidate's action; running batches finish (conditioned on their elapsed time);
    every later batch, retries and pending nodes alike, follows the continuation ``Seq-(model, k)``. A candidate's
    score is its best continuation's share of successful rollouts."""
    n_models, n_k = mu.shape[0], k_values.shape[0]
    models, ks = candidate_actions(status, n_models, k_values, n_random, _child_key(key, 0))
    n_continuations = n_models * n_k
    n_pairs = models.shape[0] * n_continuations
    successes = np.zeros(n_pairs, dtype=np.int64)
    rollout_key = _child_key(key, 1)
    limit = budget_left * (1.0 + _BUDGET_TOLERANCE)
    scratch = _scratch(order.shape[0], models.shape[0])
    for rollout in range(n_rollouts):
        for column in range(n_continuations):
            _score_rollout(rollout, column // n_k, k_values[column % n_k], column, n_continuations, order,
                           parent_ptr, parent_idx, mu, sigma, cost, log_fail, status, run_model, run_k, run_elapsed,
                           models, ks, limit, time_left, rollout_key, successes, *scratch)
    best, share = _pick(successes, models.shape[0], n_continuations, n_rollouts)
    return models[best], ks[best], share, n_pairs * n_rollouts


# A twin of `plan`, not one body compiled twice: numba's on-disk cache keys a compiled function by its Python
# function, so a serial and a parallel dispatcher of one body would share (and overwrite) one cache entry.
@njit(cache=True, parallel=True)
def plan_parallel(order, parent_ptr, parent_idx, mu, sigma, cost, log_fail, status, run_model, run_k, run_elapsed,
                  k_values, n_random, n_rollouts, budget_left, time_left, key):
    """:func:`plan` with the rollouts spread over the numba threads (each rollout under every continuation); same
    result (success counts are integers, so their order of summation does not matter)."""
    n_models, n_k = mu.shape[0], k_values.shape[0]
    models, ks = candidate_actions(status, n_models, k_values, n_random, _child_key(key, 0))
    n_continuations = n_models * n_k
    n_pairs = models.shape[0] * n_continuations
    rollout_key = _child_key(key, 1)
    limit = budget_left * (1.0 + _BUDGET_TOLERANCE)
    row = n_pairs + _ROW_PAD
    counts = np.zeros(n_rollouts * row, dtype=np.int64)
    for rollout in prange(n_rollouts):
        scratch = _scratch(order.shape[0], models.shape[0])
        mine = counts[rollout * row:rollout * row + n_pairs]
        for column in range(n_continuations):
            _score_rollout(rollout, column // n_k, k_values[column % n_k], column, n_continuations, order,
                           parent_ptr, parent_idx, mu, sigma, cost, log_fail, status, run_model, run_k, run_elapsed,
                           models, ks, limit, time_left, rollout_key, mine, *scratch)
    successes = np.zeros(n_pairs, dtype=np.int64)
    for rollout in range(n_rollouts):
        successes += counts[rollout * row:rollout * row + n_pairs]
    best, share = _pick(successes, models.shape[0], n_continuations, n_rollouts)
    return models[best], ks[best], share, n_pairs * n_rollouts


# --------------------------------------------------------------------------------------------------- executions
@njit(cache=True)
def run_trial(order, parent_ptr, parent_idx, child_ptr, child_idx, mu, sigma, cost, log_fail, budget, deadline,
              mode, batch_model, batch_k, k_values, n_random, n_rollouts, key, out):
    """One execution of the workflow; writes ``out`` = [success, completed, makespan, spent, decisions,
    first estimate, rollouts].

    ``MODE_BASELINE``: node ``i`` is always dispatched as ``batch_k[i]`` samples of ``batch_model[i]``;
    ``MODE_MCPP``: every dispatch is planned by :func:`plan`.
    """
    n = order.shape[0]
    status = np.zeros(n, dtype=np.int64)
    waiting = np.zeros(n, dtype=np.int64)
    run_model = np.zeros(n, dtype=np.int64)
    run_k = np.ones(n, dtype=np.int64)
    started = np.zeros(n, dtype=np.float64)
    ends = np.zeros(n, dtype=np.float64)
    good = np.zeros(n, dtype=np.bool_)
    dispatches = np.zeros(n, dtype=np.int64)
    elapsed = np.zeros(n, dtype=np.float64)
    for i in range(n):
        waiting[i] = parent_ptr[i + 1] - parent_ptr[i]
        if waiting[i] == 0:
            status[i] = READY
    limit = budget * (1.0 + _BUDGET_TOLERANCE)
    now, spent = 0.0, 0.0
    decisions, rollouts, first_estimate = 0, 0, math.nan
    n_done = 0
    world_key = _child_key(key, 0)
    plan_key = _child_key(key, 1)
    state = np.empty(1, dtype=np.uint64)
    act_model = np.zeros(n, dtype=np.int64)
    act_k = np.ones(n, dtype=np.int64)
    action_cost = 0.0
    failed = False
    while n_done < n:
        any_ready = False
        for i in range(n):
            if status[i] == READY:
                any_ready = True
        if any_ready:
            late = False
            if mode == MODE_MCPP:
                for i in range(n):
                    elapsed[i] = now - started[i]
                act_model, act_k, share, used = plan(order, parent_ptr, parent_idx, mu, sigma, cost, log_fail,
                                                     status, run_model, run_k, elapsed, k_values, n_random,
                                                     n_rollouts, budget - spent, deadline - now,
                                                     _child_key(plan_key, decisions))
                if decisions == 0:
                    first_estimate = share
                decisions += 1
                rollouts += used
                action_cost = 0.0
                for i in range(n):
                    if status[i] == READY:
                        action_cost += act_k[i] * cost[act_model[i], i]
                if spent + action_cost > limit:
                    failed = True
                    break
                spent += action_cost
            for i in range(n):
                if status[i] != READY:
                    continue
                if mode == MODE_MCPP:
                    m, k = act_model[i], act_k[i]
                else:
                    m = batch_model[i]
                    affordable = (budget - spent) / cost[m, i] * (1.0 + _BUDGET_TOLERANCE)  # may be inf
                    k = batch_k[i] if affordable >= batch_k[i] else int(max(affordable, 0.0))
                    if k == 0:
                        failed = True
                        break
                    spent += k * cost[m, i]
                state[0] = _child_key(_child_key(world_key, i), dispatches[i])
                dispatches[i] += 1
                good[i] = _succeeds(_uniform(state), log_fail[m, i], k)
                ends[i] = now + batch_latency(_uniform(state), mu[m, i], sigma[m, i], k)
                started[i] = now
                run_model[i], run_k[i] = m, k
                status[i] = RUNNING
                if mode == MODE_MCPP and ends[i] > deadline:
                    late = True
            if failed:
                break
            if late:  # the action's slowest batch would end after the deadline: nothing is launched
                spent -= action_cost
                failed = True
                break
        nxt = -1
        for i in range(n):
            if status[i] == RUNNING and (nxt < 0 or ends[i] < ends[nxt]):
                nxt = i
        now = ends[nxt]
        if good[nxt]:
            status[nxt] = DONE
            n_done += 1
            for j in range(child_ptr[nxt], child_ptr[nxt + 1]):
                child = child_idx[j]
                waiting[child] -= 1
                if waiting[child] == 0:
                    status[child] = READY
        else:
            status[nxt] = READY
    completed = not failed
    out[0] = 1.0 if completed and now <= deadline else 0.0
    out[1] = 1.0 if completed else 0.0
    out[2] = now if completed else math.nan
    out[3] = spent
    out[4] = decisions
    out[5] = first_estimate
    out[6] = rollouts


@njit(cache=True, parallel=True)
def run_trials(order, parent_ptr, parent_idx, child_ptr, child_idx, mu, sigma, cost, log_fail, budgets, deadlines,
               mode, batch_model, batch_k, k_values, n_random, n_rollouts, keys):
    """:func:`run_trial` for every (setting, trial): ``budgets``/``deadlines`` per setting, batches per
    ``[setting, trial, node]``, ``keys`` per trial (shared by all settings and policies, so they see common random
    numbers). Returns ``[setting, trial, 7]``."""
    n_settings, n_trials = budgets.shape[0], keys.shape[0]
    out = np.empty((n_settings, n_trials, 7))
    for job in prange(n_settings * n_trials):
        s, t = job // n_trials, job % n_trials
        run_trial(order, parent_ptr, parent_idx, child_ptr, child_idx, mu, sigma, cost, log_fail, budgets[s],
                  deadlines[s], mode, batch_model[s, t], batch_k[s, t], k_values, n_random, n_rollouts, keys[t], out[s, t])
    return out


@njit(cache=True)
def trial_keys(seed, n_trials):
    """Independent stream keys of ``n_trials`` trials under ``seed``."""
    keys = np.empty(n_trials, dtype=np.uint64)
    base = _mix(np.uint64(seed) + _GAMMA)
    for t in range(n_trials):
        keys[t] = _child_key(base, t)
    return keys
