"""Files inside NiFi when it restarts each still end exactly once.

NiFi keeps accepted FlowFiles in its repositories, so `./scripts/stop` and `./scripts/run` again (an
upgrade, a reboot) must neither lose nor duplicate them. To be sure files are inside the flow at the moment NiFi stops,
the model server is stopped first: ClassifyAudio then holds every file in its retry loop.
"""

from __future__ import annotations

import subprocess
import time

from support.pipeline_instance import Pipeline

from pipelinectl import flow
from pipelinectl.nifi import instance as nifi_instance
from pipelinectl.services import model_server
from pipelinectl.settings import REPO_ROOT


def _queued(pipeline: Pipeline) -> int:
    nifi = flow.client(pipeline.settings)
    group_id = nifi.child_group(flow.GROUP_NAME)["id"]
    return int(nifi.group_status(group_id)["aggregateSnapshot"]["flowFilesQueued"])


def test_files_inside_nifi_survive_a_restart(pipeline: Pipeline, audio) -> None:
    names = [f"restart-{i}.wav" for i in range(4)]
    model_server.service(pipeline.settings).stop()
    try:
        for i, name in enumerate(names):
            body = audio.tone(duration=1.0, freq=500.0 + 50 * i).read_bytes()
            assert pipeline.post(body, name).status_code == 200
        deadline = time.monotonic() + 60
        while _queued(pipeline) < len(names) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _queued(pipeline) >= len(names), "the files should be waiting for the model server"

        stopped = subprocess.run(
            [str(REPO_ROOT / "scripts" / "stop")], env=pipeline.env, capture_output=True, text=True, timeout=300
        )
        assert stopped.returncode == 0 and "NiFi stopped." in stopped.stdout, stopped.stderr[-3000:]
        assert nifi_instance.pid(pipeline.settings) is None
        ended = {a.get("filename") for _, a in pipeline.outcomes()}
        assert not ended & set(names), "nothing could finish without the model server"
    finally:
        # scripts/run starts everything again; NiFi resumes its flow
        again = subprocess.run(
            [str(REPO_ROOT / "scripts" / "run")], env=pipeline.env, capture_output=True, text=True, timeout=900
        )
    assert again.returncode == 0, again.stderr[-3000:]

    for name in names:
        kind, attrs = pipeline.wait_for(name, timeout=300)  # exactly one outcome each
        assert kind == "result" and attrs["audio.class"] == "tone", {k: v for k, v in attrs.items() if "error" in k}
