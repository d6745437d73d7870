"""Every resource, data source, argument and block in terraform/ exists in the AWS provider 6.x
schema, as generated into npm's @cdktn/provider-aws (the stand-in for `terraform validate`)."""

import pytest

from conftest import ROOT, TERRAFORM_DIR, need


@pytest.fixture(scope="module")
def schema():
    need("hcl2")
    import provider_schema

    try:
        return provider_schema.load()
    except FileNotFoundError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="module")
def checker():
    return __import__("tf_schema_check")


def test_schema_is_aws_provider_6(schema):
    version = schema["provider"].get("version", "")
    assert schema["provider"].get("name", "").endswith("hashicorp/aws"), schema["provider"]
    assert version.startswith("6."), f"versions.tf pins the AWS provider ~> 6.0, the schema is {version}"
    # A sanity check of the extract itself.
    assert "aws_lambda_function" in schema["resources"] and "aws_iam_policy_document" in schema["data_sources"]


def test_module_and_examples_match_the_schema(schema, checker):
    files = sorted(TERRAFORM_DIR.rglob("*.tf"))
    assert len(files) >= 12, files
    errors = checker.check_paths([TERRAFORM_DIR], schema)
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize(
    "file,old,new,expected",
    [
        # A misspelled argument.
        ("main.tf", "memory_size                    =", "memory_sise                    =", "unknown argument memory_sise"),
        # A misspelled nested block, and an argument inside a dynamic block's content.
        ("main.tf", "  logging_config {", "  log_config {", "unknown block log_config"),
        ("iam.tf", 'sid       = "AssumeLakeRole"', 'side      = "AssumeLakeRole"', "statement: unknown argument side"),
        # A resource type that does not exist.
        ("schedule.tf", 'resource "aws_scheduler_schedule"', 'resource "aws_eventbridge_schedule"', "unknown resource type aws_eventbridge_schedule"),
        # A block written as an argument.
        ("schedule.tf", "  flexible_time_window {\n    mode = \"OFF\"\n  }", '  flexible_time_window = { mode = "OFF" }', "flexible_time_window is a block"),
    ],
)
def test_mistakes_are_caught(schema, checker, file, old, new, expected):
    text = (TERRAFORM_DIR / file).read_text()
    assert old in text, f"the test's anchor {old!r} is no longer in {file}"
    errors = checker.check_text(text.replace(old, new, 1), file, schema)
    assert any(expected in e for e in errors), errors


def test_command_line_reports_and_fails(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.tf"
    bad.write_text('resource "aws_sqs_queue" "q" {\n  nmae = "x"\n}\n')
    run = subprocess.run([sys.executable, str(ROOT / "tests/deploy/tf_schema_check.py"), str(bad)], capture_output=True, text=True)
    assert run.returncode == 1 and "unknown argument nmae" in run.stdout, run
