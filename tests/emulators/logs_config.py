"""The CloudWatch Logs emulator's config file (see cloudwatch_logs.py): which faults to inject
and which of AWS's undocumented answers to give. Unknown keys and wrong values are errors.

Config file (JSON, every key optional; unknown keys are an error, exit 2):
    {"polls_before_running": 1,       # GetQueryResults calls answered Scheduled
     "polls_before_finish": 2,        # then answered Running
     "final_status": "Complete",      # or "Failed" / "Timeout"
     "failing_queries": [],           # queries whose text holds one of these end Failed
     "limit_exceeded": 0,             # first N StartQuery calls: LimitExceededException
     "max_rows": null,                # cap on result rows below the query's limit
     "null_style": "omit",            # or "empty_string" / "json_null"
     "running_results": "none",       # or "partial"
     "owner_account_id": null,        # every group without ACCOUNT: belongs to this account
     "sql_log_group_parameters": "refuse",  # or "ignore"
     "unknown_fields": "null",        # or "fail"
     "encryption_key": null}          # a KMS key ARN GetQueryResults reports
"""

from __future__ import annotations

import argparse

import re
from dataclasses import dataclass, field
from pathlib import Path

from emulator_http import check_choice, check_counts, load_config_file
from emulator_queries import PollConfig

SCHEDULED, RUNNING, COMPLETE = "Scheduled", "Running", "Complete"
FAILED, CANCELLED, TIMEOUT = "Failed", "Cancelled", "Timeout"
FINISHED = frozenset({COMPLETE, FAILED, CANCELLED, TIMEOUT})
ACCOUNT_ID = re.compile(r"\d{12}")
LOG_GROUP_NAME = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")


@dataclass
class LogsConfig(PollConfig):
    final_status: str = COMPLETE
    failing_queries: list[str] = field(default_factory=list)
    limit_exceeded: int = 0
    max_rows: int | None = None
    null_style: str = "omit"
    running_results: str = "none"
    owner_account_id: str | None = None
    sql_log_group_parameters: str = "refuse"
    unknown_fields: str = "null"
    encryption_key: str | None = None


def validate_config(config: LogsConfig) -> LogsConfig:
    check_counts(config, {"polls_before_running": 0, "polls_before_finish": 0, "limit_exceeded": 0,
                          "max_rows": 1}, optional=("max_rows",))
    check_choice("final_status", config.final_status, (COMPLETE, FAILED, TIMEOUT))
    if not isinstance(config.failing_queries, list) or not all(isinstance(t, str) and t for t in config.failing_queries):
        raise ValueError("config: failing_queries must be a list of non-empty strings")
    check_choice("null_style", config.null_style, ("omit", "empty_string", "json_null"))
    check_choice("running_results", config.running_results, ("none", "partial"))
    check_choice("sql_log_group_parameters", config.sql_log_group_parameters, ("refuse", "ignore"))
    check_choice("unknown_fields", config.unknown_fields, ("null", "fail"))
    if config.owner_account_id is not None and not ACCOUNT_ID.fullmatch(str(config.owner_account_id)):
        raise ValueError("config: owner_account_id must be 12 digits")
    if config.encryption_key is not None and not isinstance(config.encryption_key, str):
        raise ValueError("config: encryption_key must be a string (a KMS key ARN) or null")
    return config


def load_config(path: Path | None) -> LogsConfig:
    return load_config_file(path, LogsConfig, validate_config)


@dataclass(frozen=True)
class GroupSpec:
    name: str
    account: str | None
    events: Path | None


def parse_group(text: str) -> GroupSpec:
    """`[ACCOUNT:]NAME[=DIR]`."""
    head, _, folder = text.partition("=")
    account, _, name = head.rpartition(":")
    if not LOG_GROUP_NAME.fullmatch(name) or (account and not ACCOUNT_ID.fullmatch(account)):
        raise argparse.ArgumentTypeError(f"{text!r}: expected [ACCOUNT:]NAME[=DIR], NAME matching "
                                         f"[.-_/#A-Za-z0-9]+ and ACCOUNT 12 digits")
    return GroupSpec(name, account or None, Path(folder) if folder else None)
