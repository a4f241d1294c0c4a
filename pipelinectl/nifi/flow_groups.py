"""The former home of nifi/flow_file.py and nifi/groups.py, kept only while bench/ imports it
(bench/cli.py uses groups, bench/execute_stream_command.py flow_file.dumps/normalize and
groups.remove*). Delete it once bench/ imports those two modules."""

from pipelinectl.nifi.flow_file import dumps, normalize
from pipelinectl.nifi.groups import (
    deploy,
    processor_named,
    python_processors,
    remove,
    remove_parameter_context,
    set_concurrent_tasks,
    stop,
)

__all__ = [
    "deploy",
    "dumps",
    "normalize",
    "processor_named",
    "python_processors",
    "remove",
    "remove_parameter_context",
    "set_concurrent_tasks",
    "stop",
]
