"""CI runs exactly the README's test command, so the README is never stale."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_command(marker: str) -> str:
    """The command on the line after ``<!-- marker -->``'s opening code fence."""
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert match, f"README.md has no code block after <!-- {marker} -->"
    lines = [ln for ln in match.group(1).splitlines() if ln.strip() and not ln.startswith("#")]
    return lines[-1].strip()


def test_ci_runs_the_readme_test_command():
    command = _readme_command("test-command")
    ci_lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines, f".ci/run does not run the README's test command {command!r}"


def test_ci_creates_its_own_venv():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m venv" in ci and "/bin/activate" in ci
