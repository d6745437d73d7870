"""terraform/README.md's inputs and outputs tables match variables.tf and outputs.tf."""

from conftest import need


def test_tables_are_current():
    need("hcl2")
    import tf_docs

    text = tf_docs.README.read_text()
    assert text == tf_docs.updated(text), "terraform/README.md's tables are stale: run `.venv/bin/python tests/deploy/tf_docs.py`"
