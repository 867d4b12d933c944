"""The Ray executor on a cluster of several nodes.

The cluster test (integration: it starts Ray nodes) runs two nodes on this machine with Ray's own
``ray.cluster_utils.Cluster``, started and stopped by the test; no traffic leaves the machine. The
checks of the store and of the stages' resources are tested here without Ray.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthdiv.errors import UserError
from synthdiv.experiments.cluster import NodeGone, check_resources_fit, check_store_on_nodes, probe_store, stage_resources

REPO = Path(__file__).resolve().parents[2]


# ----- the store, seen from every node -------------------------------------------------------------
def _nodes(*ids: str) -> list[dict]:
    return [{"NodeID": i * 8, "NodeManagerHostname": f"host-{i}", "Alive": True, "Resources": {"CPU": 2}} for i in ids]


def test_a_store_every_node_reads_and_writes_passes_and_leaves_nothing(tmp_path):
    asked = []

    def on_node(node_id, root, token):
        asked.append(node_id)
        return probe_store(root, token)  # the node shares this machine's disk

    check_store_on_nodes(tmp_path / "store", _nodes("a", "b"), on_node)
    assert asked == ["a" * 8, "b" * 8] and list((tmp_path / "store").iterdir()) == []


def test_a_node_that_left_the_cluster_moments_ago_is_left_out_not_refused(tmp_path):
    """Ray lists a node killed moments ago as alive until its health check times out; a task pinned there is
    unschedulable. That node runs no stage, so the check goes on without it (the rerun after a killed node)."""
    def on_node(node_id, root, token):
        if node_id.startswith("b"):
            raise NodeGone(node_id)
        return probe_store(root, token)

    answered = check_store_on_nodes(tmp_path / "store", _nodes("a", "b", "c"), on_node)
    assert [n["NodeID"] for n in answered] == ["a" * 8, "c" * 8]

    def all_gone(node_id, root, token):
        raise NodeGone(node_id)

    with pytest.raises(UserError, match="every node listed has left it"):
        check_store_on_nodes(tmp_path / "store", _nodes("a"), all_gone)


def test_a_node_that_does_not_see_the_store_is_named_in_one_line(tmp_path):
    elsewhere = tmp_path / "other-disk"
    elsewhere.mkdir()

    def on_node(node_id, root, token):  # node b has its own disk at that path: the file written here is not there
        return probe_store(root if node_id.startswith("a") else str(elsewhere), token)

    with pytest.raises(UserError) as exc:
        check_store_on_nodes(tmp_path / "store", _nodes("a", "b"), on_node)
    assert str(exc.value) == (f"--store: the store {(tmp_path / 'store').resolve()} is not usable from Ray node bbbbbbbb (host host-b): "
                              "cannot read what this machine wrote there (No such file or directory); put the store on a disk "
                              "every node mounts at the same path (--store)")
    assert list((tmp_path / "store").iterdir()) == []  # the probe's files are removed, failed or not


def test_a_store_a_node_cannot_write_is_refused(tmp_path, monkeypatch):
    root = tmp_path / "store"
    root.mkdir()
    (root / ".synthdiv-store-probe-t").write_text("t")
    real_write = Path.write_text

    def read_only(self, *args, **kw):
        if self.name.startswith(".synthdiv-store-probe-t-"):
            raise PermissionError(13, "Permission denied")
        return real_write(self, *args, **kw)

    monkeypatch.setattr(Path, "write_text", read_only)
    assert probe_store(str(root), "t") == "cannot write there (Permission denied)"


# ----- what each stage asks Ray for ------------------------------------------------------------------
def _graph(tiny_spec, **training):
    from synthdiv.experiments.graph import build_graph
    from synthdiv.experiments.spec import load_spec

    return build_graph(load_spec(tiny_spec(mixing={"ratios": [0.0]}, training={"batch_size": 4, **training})))


def test_train_and_evaluate_stages_ask_for_a_cpu_per_process_and_gpus_where_there_are(tiny_spec):
    graph = _graph(tiny_spec, processes=2)
    train = graph.of_kind("train")[0]
    evaluates = graph.of_kind("evaluate")
    assert stage_resources(train, cluster_gpus=0) == (2.0, 0.0) and stage_resources(train, cluster_gpus=8) == (2.0, 2.0)
    assert all(stage_resources(e, cluster_gpus=8) == (2.0, 2.0) for e in evaluates)  # the base model's evaluation too
    assert stage_resources(graph.of_kind("mix")[0], cluster_gpus=8) == (1.0, 0.0)  # CPU stages ask for a CPU
    given = _graph(tiny_spec, processes=2, gpus_per_stage=0.5).of_kind("train")[0]
    assert stage_resources(given, cluster_gpus=8) == (2.0, 0.5)


def test_a_stage_that_fits_no_node_is_refused_before_it_waits_forever(tiny_spec):
    graph = _graph(tiny_spec, processes=4)
    nodes = [{"NodeID": "a", "Resources": {"CPU": 8, "GPU": 2}}, {"NodeID": "b", "Resources": {"CPU": 2}}]
    with pytest.raises(UserError, match=r"training: train and evaluate stages ask Ray for 4 GPUs each, but no node of the cluster has more than 2; "
                                        r"lower training.processes or set training.gpus_per_stage"):
        check_resources_fit(graph, nodes, cluster_gpus=2)
    with pytest.raises(UserError, match=r"train and evaluate stages ask Ray for 4 CPUs each \(one per process\), but no node of the cluster has "
                                        r"more than 2"):
        check_resources_fit(graph, [nodes[1]], cluster_gpus=0)
    check_resources_fit(_graph(tiny_spec, processes=2), nodes, cluster_gpus=2)


def test_an_address_is_for_the_ray_executor(tiny_spec, tmp_path, capsys):
    from synthdiv.cli.main import main

    code = main(["run", str(tiny_spec()), "--out", str(tmp_path / "run"), "--address", "10.0.0.1:6379"])
    assert code == 2 and capsys.readouterr().err.strip() == "error: --address: a cluster address is for the ray executor: add --executor ray"


def test_an_address_where_nothing_listens_is_one_line_at_once(tiny_spec, tmp_path, capsys):
    import socket

    pytest.importorskip("ray", reason="the ray extra is not installed")
    from synthdiv.cli.main import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"  # closed again: nothing listens there
    code = main(["run", str(tiny_spec()), "--out", str(tmp_path / "run"), "--executor", "ray", "--address", address])
    assert code == 2 and capsys.readouterr().err.strip().splitlines()[-1] == (
        f"error: --address: cannot reach the Ray cluster at {address} (connection refused: nothing listens there); "
        "start it (ray start --head) or fix --address")


# ----- two nodes on this machine ------------------------------------------------------------------------
def _running(node, kind: str) -> bool:
    """Whether a stage of ``kind`` runs on ``node``: Ray titles a worker process ray::NAME while it runs a task
    (the executor names its tasks by stage kind)."""
    import psutil
    from ray._private import ray_constants

    raylet = psutil.Process(node.all_processes[ray_constants.PROCESS_TYPE_RAYLET][0].process.pid)
    try:
        return any(p.cmdline()[:1] == [f"ray::{kind}"] for p in raylet.children(recursive=True))
    except psutil.Error:  # a process ended while being read
        return False


def _stage_records(store: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in store.rglob("done.json")}


@pytest.mark.integration
def test_a_sweep_on_two_nodes_spreads_survives_a_killed_node_and_reruns_from_the_store(tiny_spec, tmp_path):
    """``synthdiv run --executor ray --address ADDR`` on a head and a worker node: stages run on both, each
    done.json says where; the worker node is killed while a training stage runs on it; the sweep still
    finishes (Ray runs the interrupted stages again on the head, where they resume), no finished stage runs
    again, every stage folder is complete; the rerun reuses every stage."""
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    from ray.cluster_utils import Cluster

    config = tiny_spec(mixing={"ratios": [0.0, 0.5, 1.0]}, training={"checkpoint_every": 1})
    store, out = tmp_path / "stages", tmp_path / "run"
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False})
    worker = cluster.add_node(num_cpus=2)
    try:
        cluster.wait_for_nodes()
        node_ids = {"head": cluster.head_node.node_id, "worker": worker.node_id}
        command = [sys.executable, "-m", "synthdiv.cli.main", "run", str(config), "--executor", "ray", "--address", cluster.address,
                   "--out", str(out), "--store", str(store)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
        sweep = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and sweep.poll() is None and not _running(worker, "train"):
            time.sleep(0.1)
        assert sweep.poll() is None, sweep.communicate()
        cluster.remove_node(worker, allow_graceful=False)  # while a train stage runs there
        finished_before = _stage_records(store)
        stdout, stderr = sweep.communicate(timeout=900)
        assert sweep.returncode == 0, stderr[-4000:]
        assert re.search(r"ray: 2 nodes, 4 CPUs, 0 GPUs; the store .+ is readable and writable from each", stderr)

        graph = json.loads((out / "graph.json").read_text())["nodes"]
        records = {node["key"]: json.loads((Path(node["dir"]) / "done.json").read_text()) for node in graph}
        assert len(records) == len(graph)  # every stage finished
        # the real-data stage runs in the driver's preflight, before Ray: its host only; every other stage on a node
        where = {r["ran_on"].get("node_id") for r in records.values()} - {None}
        assert where == set(node_ids.values()), (where, node_ids)  # spread over both nodes
        assert all(r["ran_on"]["host"] for r in records.values())
        after = _stage_records(store)
        assert after.items() >= finished_before.items()  # no finished stage ran again: its done.json is as it was
        # the sweep went on on the head: stages finished there after the kill (the interrupted train stage, run
        # again there by Ray, among them). A task of the killed node's can still finish just after the kill (its
        # worker process outlives the node's raylet by a moment), so a later stage may name the worker too.
        later = [json.loads(data)["ran_on"].get("node_id") for path, data in after.items() if path not in finished_before]
        assert node_ids["head"] in later and set(later) <= set(node_ids.values()), later
        assert not [p for p in store.rglob("*") if ".tmp" in p.name or p.name.endswith(".partial")]  # nothing half-written

        rerun = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
        assert rerun.returncode == 0, rerun.stderr[-4000:]
        assert f"{len(graph)} stages reused" in rerun.stdout
        assert _stage_records(store) == after
    finally:
        ray.shutdown()
        cluster.shutdown()
