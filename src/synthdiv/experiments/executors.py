"""Executors run a graph's stages: ``local`` (in this process, in order) or ``ray``.

The Ray executor (``pip install 'synthdiv[ray]'``) runs every stage whose inputs are
finished as a Ray task with the stage's CPU/GPU needs (experiments.cluster.stage_resources),
spread over the cluster's nodes, so independent stages (the generation of several levels
on an API, the training runs of a sweep on several GPUs) run at once. It connects to
``--address`` or ``$RAY_ADDRESS`` when given, else starts a local Ray instance. Stages
share the store through the file system, so on a cluster the store must be on a disk
every node mounts: checked from every node before any stage runs. A stage whose node dies
is run again by Ray on another node (up to ``STAGE_RETRIES`` times) and resumes there from
what its folder holds (training checkpoints, the response cache); a finished stage is never
run again, since its ``done.json`` is written last and read first.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

from synthdiv.errors import UserError
from synthdiv.experiments.context import RunContext
from synthdiv.experiments.graph import Graph, Node
from synthdiv.experiments.store import Store

EXECUTORS = ("local", "ray")
STAGE_RETRIES = 3  # runs of a stage after its worker or node died (Ray's own retry; a UserError is never retried)
Report = Callable[[str], None]


def _log(msg: str) -> None:
    print(f"[run] {msg}", file=sys.stderr, flush=True)


def run_local(graph: Graph, store: Store, log: Report = _log, ctx: RunContext | None = None) -> dict[str, dict[str, Any]]:
    from synthdiv.experiments.cluster import ran_on
    from synthdiv.experiments.stages import execute

    summaries: dict[str, dict[str, Any]] = {}
    total = len(graph.nodes)
    here = ran_on()
    for i, node in enumerate(graph.nodes, 1):
        if store.is_done(node):
            summaries[node.key] = store.summary(node)["summary"]
            log(f"{i}/{total} {node.name}: done before, reused ({node.kind}/{node.key})")
            continue
        log(f"{i}/{total} {node.name} …")
        start = time.monotonic()
        summaries[node.key] = execute(node, store, ctx, ran_on=here)
        log(f"{i}/{total} {node.name}: finished in {time.monotonic() - start:.1f} s")
    return summaries


def _ray_stage(node: Node, store_root: str, ctx: RunContext) -> dict[str, Any]:  # runs in a Ray worker
    from synthdiv.experiments.cluster import ran_on
    from synthdiv.experiments.stages import execute

    return execute(node, Store(store_root), ctx, ran_on=ran_on())


def run_ray(graph: Graph, store: Store, log: Report = _log, num_cpus: int | None = None,
            ctx: RunContext | None = None, address: str | None = None) -> dict[str, dict[str, Any]]:
    try:
        import ray
    except ImportError:
        raise UserError("the ray executor needs Ray: pip install 'synthdiv[ray]' (or use --executor local)") from None
    import os

    from synthdiv.experiments.cluster import (
        alive_nodes, check_address, check_resources_fit, check_store_on_nodes, ray_probe, stage_resources,
    )

    started_here = not ray.is_initialized()
    if started_here:
        address = address or os.environ.get("RAY_ADDRESS") or None
        if address:
            check_address(address)
        ray.init(address=address, num_cpus=None if address else num_cpus, include_dashboard=False,
                 log_to_driver=True, ignore_reinit_error=True)
    worker = (ctx if ctx is not None else RunContext()).for_worker()  # the evaluate stage may run in another worker
    store = Store(store.root.resolve())  # one absolute path: a worker's working folder is not this one

    try:
        nodes = check_store_on_nodes(store.root, alive_nodes(), ray_probe)
        cluster_gpus = float(ray.cluster_resources().get("GPU", 0))
        check_resources_fit(graph, nodes, cluster_gpus)
        log(f"ray: {len(nodes)} nodes, {ray.cluster_resources().get('CPU', 0):g} CPUs, {cluster_gpus:g} GPUs; "
            f"the store {store.root} is readable and writable from each")
        remote = ray.remote(_ray_stage)
        summaries: dict[str, dict[str, Any]] = {}
        pending = {n.key: n for n in graph.nodes}
        running: dict[Any, Node] = {}
        for node in graph.nodes:  # finished before: no task needed
            if store.is_done(node):
                summaries[node.key] = store.summary(node)["summary"]
                pending.pop(node.key)
        while pending or running:
            for key, node in list(pending.items()):
                if all(dep.key in summaries for dep in node.deps.values()):
                    cpus, gpus = stage_resources(node, cluster_gpus)
                    # SPREAD: stages that can run at once go to different nodes, not first onto this one
                    ref = remote.options(num_cpus=cpus, num_gpus=gpus, name=node.kind, scheduling_strategy="SPREAD",
                                         max_retries=STAGE_RETRIES, retry_exceptions=False).remote(node, str(store.root), worker)
                    running[ref] = node
                    pending.pop(key)
                    log(f"{node.name} … (ray task)")
            if not running:
                raise RuntimeError("graph has a stage whose inputs never finish")  # a bug: graphs are acyclic
            done, _ = ray.wait(list(running), num_returns=1)
            for ref in done:
                node = running.pop(ref)
                try:
                    summaries[node.key] = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:
                    cause = exc.cause if hasattr(exc, "cause") else None
                    if isinstance(cause, UserError):
                        raise cause from None
                    raise
                log(f"{node.name}: finished")
        return summaries
    finally:
        if started_here:
            ray.shutdown()


def run_graph(graph: Graph, store: Store, executor: str = "local", log: Report = _log,
              ctx: RunContext | None = None, address: str | None = None) -> dict[str, dict[str, Any]]:
    if executor == "local":
        return run_local(graph, store, log, ctx)
    if executor == "ray":
        return run_ray(graph, store, log, ctx=ctx, address=address)
    raise UserError(f"unknown executor {executor!r}; use local or ray", where="--executor")
