import pytest

from orchestrator.config.errors import InputError
from orchestrator.config.yaml_source import load


def write(tmp_path, text, name="env.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def problem(tmp_path, text):
    with pytest.raises(InputError) as caught:
        load(write(tmp_path, text))
    assert len(caught.value.problems) == 1
    return caught.value.problems[0]


def test_lines_are_remembered(tmp_path):
    document = load(write(tmp_path, "a: 1\nb:\n  c: [x, y]\n"))
    assert document.data == {"a": 1, "b": {"c": ["x", "y"]}}
    assert document.line_of(("b", "c")) == 3
    assert document.line_of(("b", "c", 5)) == 3


def test_duplicate_keys_are_refused(tmp_path):
    found = problem(tmp_path, "a: 1\nb: 2\na: 3\n")
    assert found.key == "a" and found.line == 3 and "duplicate key (first on line 1)" in found.reason


def test_python_tags_are_refused(tmp_path):
    found = problem(tmp_path, "a: !!python/object/apply:os.system ['true']\n")
    assert "unsupported YAML" in found.reason or "invalid YAML" in found.reason


def test_alias_bomb_is_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 10)}]")
    found = problem(tmp_path, "\n".join(lines) + "\n")
    assert "alias bomb" in found.reason


def test_deep_nesting_is_refused(tmp_path):
    found = problem(tmp_path, "a: " + "[" * 40 + "]" * 40 + "\n")
    assert "nested deeper" in found.reason


def test_huge_file_is_refused(tmp_path):
    found = problem(tmp_path, "a: '" + "x" * 1_100_000 + "'\n")
    assert "limit" in found.reason


def test_top_level_must_be_a_mapping(tmp_path):
    assert "must be a mapping" in problem(tmp_path, "- a\n- b\n").reason


def test_syntax_error_names_the_line(tmp_path):
    found = problem(tmp_path, "a: 1\nb: [unclosed\nc: 2\n")
    assert found.line is not None and "invalid YAML" in found.reason


def test_empty_file_is_an_empty_mapping(tmp_path):
    assert load(write(tmp_path, "# nothing\n")).data == {}
