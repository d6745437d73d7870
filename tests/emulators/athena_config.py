"""The Athena emulator's config file (see athena.py): the faults to inject and the protocols
Athena answers. Unknown keys and wrong values are errors.

Config file (JSON, every key optional; unknown keys are an error):
    {"polls_before_running": 1,       # observations answered QUEUED
     "polls_before_finish": 2,        # then observations answered RUNNING
     "final_state": "SUCCEEDED",      # or "FAILED" (then state_change_reason)
     "state_change_reason": "...",
     "page_size": null,               # cap on rows per page (header included), below MaxResults
     "too_many_requests": 0,          # first N StartQueryExecution: TooManyRequestsException
     "workgroup_output": true,        # false: the workgroup has no output location
     "athena_protocols": ["awsJson1_1", "restJson1"]}  # the protocols Athena answers; a
                                      # request in another gets UnknownOperationException
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from emulator_http import check_choice, check_counts, load_config_file
from emulator_queries import PollConfig
from rest_json import PROTOCOLS

QUEUED, RUNNING, SUCCEEDED = "QUEUED", "RUNNING", "SUCCEEDED"
FAILED, CANCELLED = "FAILED", "CANCELLED"
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})


@dataclass
class AthenaConfig(PollConfig):
    final_state: str = SUCCEEDED
    state_change_reason: str | None = None
    page_size: int | None = None
    too_many_requests: int = 0
    workgroup_output: bool = True
    athena_protocols: list[str] = field(default_factory=lambda: list(PROTOCOLS))


def validate_config(config: AthenaConfig) -> AthenaConfig:
    check_counts(config, {"polls_before_running": 0, "polls_before_finish": 0, "too_many_requests": 0,
                          "page_size": 1}, optional=("page_size",))
    check_choice("final_state", config.final_state, (SUCCEEDED, FAILED))
    if not isinstance(config.workgroup_output, bool):
        raise ValueError("config: workgroup_output must be true or false")
    if not isinstance(config.athena_protocols, list) or not config.athena_protocols:
        raise ValueError(f"config: athena_protocols must be a non-empty list of {', '.join(PROTOCOLS)}")
    for protocol in config.athena_protocols:
        check_choice("athena_protocols", protocol, PROTOCOLS)
    return config


def load_config(path: Path | None) -> AthenaConfig:
    return load_config_file(path, AthenaConfig, validate_config)
