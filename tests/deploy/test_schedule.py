"""The default schedule expression (variables.tf) against an AWS cron parser (aws-croniter):
valid, and its next runs fall on Sundays at 20:00. The broken expression of the old sample,
cron(0 20 * ? 7 *) ('?' in the month, '*' in day-of-month, 7 = Saturday), is refused."""

import datetime

import pytest

from conftest import need, variable_default

BROKEN = "cron(0 20 * ? 7 *)"


def fields(expression: str) -> str:
    assert expression.startswith("cron(") and expression.endswith(")"), expression
    return expression[len("cron("):-1]


def test_default_is_weekly_on_sunday_evening():
    AwsCroniter = need("aws_croniter").AwsCroniter
    expression = variable_default("schedule_expression")
    assert expression == "cron(0 20 ? * SUN *)"
    cron = AwsCroniter(fields(expression))
    start = datetime.datetime(2026, 11, 23, tzinfo=datetime.timezone.utc)
    runs = cron.get_next(start, n=10)
    assert len(runs) == 10
    for run in runs:
        assert (run.strftime("%A"), run.hour, run.minute) == ("Sunday", 20, 0), run
    gaps = {b - a for a, b in zip(runs, runs[1:])}
    assert gaps == {datetime.timedelta(days=7)}, gaps


def test_default_timezone_is_utc():
    assert variable_default("schedule_timezone") == "UTC"


@pytest.mark.parametrize("expression", [BROKEN, "cron(0 20 * * SUN *)", "cron(0 25 ? * SUN *)", "cron(0 20 ? * SUNDAY *)"])
def test_bad_expressions_are_refused(expression):
    croniter = need("aws_croniter")
    with pytest.raises(Exception) as error:
        croniter.AwsCroniter(fields(expression))
    assert "aws_croniter" in type(error.value).__module__, error.value
