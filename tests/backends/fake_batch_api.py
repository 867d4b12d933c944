"""A fake OpenAI Batch API for pytest-httpserver, with scripted faults.

``/v1/files`` (upload, content) and ``/v1/batches`` (create, retrieve). Each created batch takes
the next plan of the script (the last one repeats):

* ``"ok"``: every request answered;
* ``"fail"``: the batch fails validation (status ``failed``, ``errors``), no files;
* ``("expire", k, listed)``: expired after answering its first ``k`` requests; ``listed`` of the
  rest are in the error file as ``batch_expired``, the others in no file at all;
* ``("errors", {index: status})``: completed, with those requests in the error file as HTTP errors;
* ``"hold"``: in progress until :meth:`FakeBatchAPI.release`.

A batch is ``validating``, then ``in_progress`` for ``polls`` retrieves, then ends. Answers are the
dummy backend's for the messages and sample index, so story prompts parse. ``paid`` counts the
successful output lines per custom id over all batches: the provider bills exactly those.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter

from werkzeug.wrappers import Response

from synthdiv.backends.base import SamplingParams, sample_seed
from synthdiv.backends.dummy import DummyBackend

SEED_TO_SAMPLE = {sample_seed(0, s): s for s in range(200)}


class FakeBatchAPI:
    def __init__(self, plans=("ok",), polls: int = 1):
        self.plans = list(plans)
        self.polls = polls
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self.inputs: dict[str, list[dict]] = {}  # batch id -> its request lines
        self.log: list[tuple[str, str]] = []
        self.auth: set[str | None] = set()
        self.purposes: list[str] = []
        self.creates: list[dict] = []
        self.paid: Counter = Counter()
        self.held = True
        self.lock = threading.Lock()
        self.dummy = DummyBackend()

    def install(self, server) -> FakeBatchAPI:
        server.expect_request(re.compile(r"^/v1/.*")).respond_with_handler(self)
        return self

    def release(self) -> None:
        self.held = False

    @property
    def uploads(self) -> int:
        return len(self.purposes)

    def batch_sizes(self) -> list[int]:
        return [len(self.inputs[c["id"]]) for c in self.creates]

    # ----- HTTP ----------------------------------------------------------------
    def __call__(self, request):
        with self.lock:
            self.log.append((request.method, request.path))
            self.auth.add(request.headers.get("Authorization"))
            path, method = request.path, request.method
            if method == "POST" and path == "/v1/files":
                return self._upload(request)
            if method == "POST" and path == "/v1/batches":
                return self._create(request.get_json())
            if method == "GET" and (m := re.fullmatch(r"/v1/batches/([\w-]+)", path)):
                return self._retrieve(m.group(1))
            if method == "GET" and (m := re.fullmatch(r"/v1/files/([\w-]+)/content", path)):
                if m.group(1) not in self.files:
                    return _json({"error": {"message": "no such file"}}, 404)
                return Response(self.files[m.group(1)], content_type="application/jsonl")
            return _json({"error": {"message": f"no route {method} {path}"}}, 404)

    def _upload(self, request):
        purpose = request.form.get("purpose")
        self.purposes.append(purpose)
        if purpose != "batch":
            return _json({"error": {"message": "purpose must be batch"}}, 400)
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = request.files["file"].read()
        return _json({"id": file_id, "object": "file", "purpose": "batch", "bytes": len(self.files[file_id])})

    def _create(self, body):
        if body.get("completion_window") != "24h" or body.get("endpoint") != "/v1/chat/completions":
            return _json({"error": {"message": "bad endpoint or window"}}, 400)
        batch_id = f"batch_{len(self.batches) + 1}"
        lines = [json.loads(x) for x in self.files[body["input_file_id"]].decode().splitlines()]
        plan = self.plans.pop(0) if len(self.plans) > 1 else self.plans[0]
        self.inputs[batch_id] = lines
        self.batches[batch_id] = {"id": batch_id, "object": "batch", "endpoint": body["endpoint"], "status": "validating",
                                  "input_file_id": body["input_file_id"], "completion_window": "24h", "output_file_id": None,
                                  "error_file_id": None, "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                                  "_plan": plan, "_polls": 0}
        self.creates.append({"id": batch_id, **body})
        return _json(self._public(batch_id))

    def _retrieve(self, batch_id):
        if batch_id not in self.batches:
            return _json({"error": {"message": "no such batch"}}, 404)
        b = self.batches[batch_id]
        if b["status"] in ("validating", "in_progress"):
            b["_polls"] += 1
            if b["_plan"] == "hold" and self.held or b["_polls"] <= self.polls:
                b["status"] = "in_progress"
            else:
                self._finish(b)
        return _json(self._public(batch_id))

    # ----- outcomes ------------------------------------------------------------
    def _finish(self, b):
        lines = self.inputs[b["id"]]
        plan = b["_plan"]
        answered, errors = list(range(len(lines))), {}
        if plan == "fail":
            b.update(status="failed", errors={"object": "list", "data": [{"code": "invalid_request", "message": "scripted failure"}]})
            return
        if isinstance(plan, tuple) and plan[0] == "expire":
            k, listed = plan[1], plan[2]
            answered = list(range(min(k, len(lines))))
            errors = {i: None for i in range(k, min(len(lines), k + listed))}
        if isinstance(plan, tuple) and plan[0] == "errors":
            errors = dict(plan[1])
            answered = [i for i in range(len(lines)) if i not in errors]
        out = [self._answer(lines[i]) for i in answered]
        err = [self._error(lines[i], status) for i, status in errors.items()]
        for line in out:
            self.paid[line["custom_id"]] += 1
        b["status"] = "expired" if isinstance(plan, tuple) and plan[0] == "expire" else "completed"
        b["request_counts"] = {"total": len(lines), "completed": len(out), "failed": len(err)}
        if out:
            b["output_file_id"] = self._store(out)
        if err:
            b["error_file_id"] = self._store(err)

    def _answer(self, line):
        body = line["body"]
        text = self.dummy.respond(body["messages"], SEED_TO_SAMPLE[body["seed"]], SamplingParams())
        completion = {"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                      "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                      "usage": {"prompt_tokens": 10, "completion_tokens": len(text.split())}}
        return {"id": f"batch_req_{line['custom_id'][:8]}", "custom_id": line["custom_id"],
                "response": {"status_code": 200, "request_id": "req_1", "body": completion}, "error": None}

    @staticmethod
    def _error(line, status):
        if status is None:
            return {"id": "batch_req_x", "custom_id": line["custom_id"], "response": None,
                    "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}}
        return {"id": "batch_req_x", "custom_id": line["custom_id"], "error": None,
                "response": {"status_code": status, "request_id": "req_2", "body": {"error": {"message": f"scripted {status}"}}}}

    def _store(self, lines) -> str:
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = "".join(json.dumps(x) + "\n" for x in lines).encode()
        return file_id

    def _public(self, batch_id):
        return {k: v for k, v in self.batches[batch_id].items() if not k.startswith("_")}


def _json(data, status=200):
    return Response(json.dumps(data), status=status, content_type="application/json")
