import pytest

from orchestrator.config import hcl


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, "null"),
        (True, "true"),
        (3, "3"),
        (1.5, "1.5"),
        ("plain", '"plain"'),
        ('say "hi"', r'"say \"hi\""'),
        ("back\\slash", r'"back\\slash"'),
        ("two\nlines", r'"two\nlines"'),
        ("${var.secret}", '"$${var.secret}"'),
        ("%{ if true }x%{ endif }", '"%%{ if true }x%%{ endif }"'),
        ("bell\x07", r'"bell\u0007"'),
        ("ünïcødé ✓", '"ünïcødé ✓"'),
        ([1, "a"], '[1, "a"]'),
        ({"k": "v", "${x}": 1}, '{ "k" = "v", "$${x}" = 1 }'),
        ({}, "{}"),
    ],
)
def test_literal(value, expected):
    assert hcl.literal(value) == expected


def test_lone_dollar_and_percent_stay_as_they_are():
    assert hcl.literal("$5 and 50% off") == '"$5 and 50% off"'


def test_tfvars_rejects_names_that_are_not_identifiers():
    with pytest.raises(ValueError):
        hcl.tfvars({"bad name": 1})


def test_non_finite_numbers_have_no_form():
    with pytest.raises(ValueError):
        hcl.literal(float("nan"))
