"""What the Ray executor checks and records on a cluster of several nodes.

* :func:`check_store_on_nodes`: before any stage runs, a task on every node reads a file this
  machine wrote into the store and writes one back, so a store that is not the same folder on
  every node (a local disk, a relative path) or not writable there is refused in one line;
* :func:`check_resources_fit`: every stage's CPUs and GPUs fit on some node (else Ray would leave
  it waiting forever);
* :func:`stage_resources`: what a stage asks Ray for: train and evaluate stages ``training.processes``
  CPUs, and ``training.gpus_per_stage`` GPUs or, unset, one per process where the cluster has GPUs;
* :func:`ran_on`: where a stage ran, kept in its ``done.json``.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

from synthdiv.errors import UserError

PROBE = ".synthdiv-store-probe"  # files of the check, removed after it
PROBE_TIMEOUT_S = 120.0  # a node busy starting its first worker answers within seconds


def ran_on() -> dict[str, Any]:
    """The Ray node and host of this process (a Ray worker), or the host alone outside Ray."""
    where: dict[str, Any] = {"host": socket.gethostname()}
    try:
        import ray

        if ray.is_initialized():
            context = ray.get_runtime_context()
            where = {"node_id": context.get_node_id(), "host": where["host"], "ip": ray.util.get_node_ip_address()}
    except ImportError:
        pass
    return where


def probe_store(root: str, token: str) -> str | None:
    """On a node: read the token this machine wrote into ``root``, write an answer beside it; None when
    both work, else what failed."""
    folder = Path(root)
    try:
        seen = (folder / f"{PROBE}-{token}").read_text(encoding="utf-8")
    except OSError as exc:
        return f"cannot read what this machine wrote there ({exc.strerror or type(exc).__name__})"
    if seen != token:
        return "it holds another file under the probe's name"
    try:
        (folder / f"{PROBE}-{token}-{uuid.uuid4().hex[:8]}").write_text(token, encoding="utf-8")
    except OSError as exc:
        return f"cannot write there ({exc.strerror or type(exc).__name__})"
    return None


class NodeGone(Exception):
    """A node listed as alive that Ray can no longer schedule on: it left the cluster (Ray's list of nodes
    lags a node killed moments ago by its health check's timeout)."""


def check_store_on_nodes(root: Path, nodes: list[dict[str, Any]], run_on_node) -> list[dict[str, Any]]:
    """Probe the store from every node in ``nodes`` (``ray.nodes()`` entries): ``run_on_node(node_id, root, token)``
    runs :func:`probe_store` there. The first node that fails is named in one line. Returns the nodes that
    answered: one that left the cluster (``run_on_node`` raises :class:`NodeGone`) runs no stage, so it is
    left out rather than refused."""
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    marker = root / f"{PROBE}-{token}"
    marker.write_text(token, encoding="utf-8")
    answered = []
    try:
        for node in nodes:
            try:
                problem = run_on_node(node["NodeID"], str(root), token)
            except NodeGone:
                continue
            if problem is not None:
                host = node.get("NodeManagerHostname") or node.get("NodeManagerAddress") or "?"
                raise UserError(f"the store {root} is not usable from Ray node {node['NodeID'][:12]} (host {host}): {problem}; "
                                "put the store on a disk every node mounts at the same path (--store)", where="--store")
            answered.append(node)
    finally:
        for path in root.glob(f"{PROBE}-{token}*"):
            path.unlink(missing_ok=True)
    if not answered:
        raise UserError("no node of the Ray cluster runs tasks: every node listed has left it; restart the cluster",
                        where="--address")
    return answered


def stage_resources(node, cluster_gpus: float) -> tuple[float, float]:
    """(CPUs, GPUs) a stage asks Ray for. A train or evaluate stage's ``gpus`` of None means one GPU per
    process where the cluster has GPUs (it then trains on them), none elsewhere."""
    cpus = float(node.resources.get("cpus", 1))
    gpus = node.resources.get("gpus", 0)
    if gpus is None:
        gpus = node.resources.get("processes", 1) if cluster_gpus > 0 else 0
    return cpus, float(gpus)


def check_resources_fit(graph, nodes: list[dict[str, Any]], cluster_gpus: float) -> None:
    """Every stage's needs fit on one alive node; a stage that fits nowhere would wait forever."""
    most_cpus = max((n["Resources"].get("CPU", 0) for n in nodes), default=0)
    most_gpus = max((n["Resources"].get("GPU", 0) for n in nodes), default=0)
    for node in graph.nodes:
        cpus, gpus = stage_resources(node, cluster_gpus)
        what = "train and evaluate stages" if node.kind in ("train", "evaluate") else f"{node.kind} stages"
        if gpus > most_gpus:
            raise UserError(f"{what} ask Ray for {gpus:g} GPUs each, but no node of the cluster has more than "
                            f"{most_gpus:g}; lower training.processes or set training.gpus_per_stage", where="training")
        if cpus > most_cpus:
            raise UserError(f"{what} ask Ray for {cpus:g} CPUs each (one per process), but no node of the cluster "
                            f"has more than {most_cpus:g}; lower training.processes", where="training.processes")


def check_address(address: str, timeout: float = 5.0) -> None:
    """A cluster address (HOST:PORT of its head) answers: Ray itself waits minutes on one that does not."""
    host, sep, port = address.rpartition(":")
    if address == "auto" or "://" in address or not sep or not port.isdigit():
        return  # Ray's own forms (auto, ray://…): Ray says what is wrong with them
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            pass
    except OSError as exc:
        reason = "connection refused: nothing listens there" if isinstance(exc, ConnectionRefusedError) else (exc.strerror or type(exc).__name__)
        raise UserError(f"cannot reach the Ray cluster at {address} ({reason}); start it (ray start --head) or fix --address",
                        where="--address") from None


def alive_nodes() -> list[dict[str, Any]]:
    import ray

    return [n for n in ray.nodes() if n.get("Alive")]


def ray_probe(node_id: str, root: str, token: str) -> str | None:
    """Run :func:`probe_store` on one node, pinned there; a node that does not answer in time is a problem too."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    task = ray.remote(probe_store).options(num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
                                           name="store probe")
    try:
        return ray.get(task.remote(root, token), timeout=PROBE_TIMEOUT_S)
    except ray.exceptions.TaskUnschedulableError as exc:
        raise NodeGone(node_id) from exc
    except ray.exceptions.GetTimeoutError:
        return "the node ran no task within the probe's timeout"
