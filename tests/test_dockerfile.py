"""The Dockerfile, checked without Docker: CI cannot build images, so the image may only use
steps that ``make run`` exercises (the same install, migrate and serve commands), and
hadolint must pass on it.
"""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from gezinsplan.cli import parser
from gezinsplan.config import Settings
from tests.conftest import ROOT

Instruction = tuple[str, str]  # (keyword, arguments)

SUBCOMMAND = re.compile(r"\bgezinsplan\s+([a-z][a-z-]*)")


def dockerfile_stages() -> list[list[Instruction]]:
    """The Dockerfile's instructions, one list per stage (each starts with its FROM)."""
    stages: list[list[Instruction]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):  # Docker drops comments inside continuations too
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        pending = ""
        instruction = (keyword.upper(), arguments.strip())
        if instruction[0] == "FROM":
            stages.append([])
        assert stages, f"an instruction before the first FROM: {instruction}"
        stages[-1].append(instruction)
    return stages


def make_rules() -> dict[str, tuple[list[str], list[str]]]:
    """The Makefile's rules: target -> (prerequisites, recipe lines)."""
    rules: dict[str, tuple[list[str], list[str]]] = {}
    recipe: list[str] | None = None
    for line in (ROOT / "Makefile").read_text().splitlines():
        if line.startswith("\t") and recipe is not None:
            recipe.append(line.strip())
            continue
        recipe = None
        match = re.match(r"^([^\s#=:][^=:]*):(?!=)(.*)$", line)
        if match:
            prerequisites = match.group(2).replace("|", " ").split()
            recipe = []
            for target in match.group(1).split():
                rules[target] = (prerequisites, recipe)
    return rules


def shell_words(instruction: Instruction) -> str:
    """The command an instruction runs, as one shell string (exec form is decoded)."""
    arguments = instruction[1]
    if arguments.startswith("["):
        words: list[str] = json.loads(arguments)
        if words[:2] == ["/bin/sh", "-c"]:
            return words[2]
        return shlex.join(words)
    return arguments


def pip_install_targets(command: str) -> list[str]:
    """What ``pip install`` installs, options left out (``-e`` marks editable, not a value)."""
    words = shlex.split(command)
    starts = [
        i for i, w in enumerate(words[:-1]) if w.endswith("pip") and words[i + 1] == "install"
    ]
    if not starts:
        return []
    targets = []
    for word in words[starts[0] + 2 :]:
        if word in {"&&", ";"}:
            break
        if not word.startswith("-"):
            targets.append(word)
    return targets


def final_stage() -> list[Instruction]:
    return dockerfile_stages()[-1]


def keyword_values(stage: list[Instruction], keyword: str) -> list[str]:
    return [arguments for name, arguments in stage if name == keyword]


def test_image_is_multi_stage_with_pinned_bases() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    for stage in stages:
        image = stage[0][1].split()[0]
        assert re.fullmatch(r"python:3\.11-slim", image), f"pin the base image by tag: {image}"
    build_name = stages[0][0][1].split()[-1]
    copies = keyword_values(stages[-1], "COPY")
    assert f"--from={build_name} /opt/venv /opt/venv" in copies
    assert not [run for run in keyword_values(stages[-1], "RUN") if "pip" in run], (
        "the runtime stage installs nothing; it copies the build stage's virtualenv"
    )


def test_final_stage_runs_as_a_non_root_user() -> None:
    users = keyword_values(final_stage(), "USER")
    assert users, "the final stage sets no USER, so it runs as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user.isdigit(), "a numeric USER lets runAsNonRoot verify it"


def test_install_is_the_one_make_run_does() -> None:
    rules = make_rules()
    run_prerequisites, _ = rules["run"]
    make_installs = [
        pip_install_targets(line)
        for prerequisite in run_prerequisites
        for line in rules[prerequisite][1]
        if re.search(r"pip install (?!--upgrade)", line)
    ]
    assert make_installs == [["."]]
    docker_runs = keyword_values(dockerfile_stages()[0], "RUN")
    docker_installs = [pip_install_targets(run) for run in docker_runs if "pip install" in run]
    assert docker_installs == make_installs


def test_migrate_and_serve_are_the_ones_make_run_does() -> None:
    _, run_recipe = make_rules()["run"]
    make_commands = [name for line in run_recipe for name in SUBCOMMAND.findall(line)]
    assert make_commands == ["migrate", "demo-data", "serve"]

    [entrypoint] = keyword_values(final_stage(), "ENTRYPOINT")
    script = shell_words(("ENTRYPOINT", entrypoint))
    docker_commands = SUBCOMMAND.findall(script)
    # The same commands in the same order; production loads no demo data.
    assert docker_commands == [c for c in make_commands if c != "demo-data"]
    assert "exec gezinsplan serve" in script, "exec, so the server is PID 1 and gets SIGTERM"
    assert not keyword_values(final_stage(), "CMD")

    for name in docker_commands:
        assert parser().parse_args([name]).command == name


def test_image_environment_is_valid_production_settings() -> None:
    environment = dict(
        word.split("=", 1)
        for value in keyword_values(final_stage(), "ENV")
        for word in shlex.split(value)
    )
    ours = {k: v for k, v in environment.items() if k.startswith("GEZINSPLAN_")}
    unknown = {
        k for k in ours if k.removeprefix("GEZINSPLAN_").lower() not in Settings.model_fields
    }
    assert not unknown, f"not settings: {unknown}"
    settings = Settings.model_validate(
        {k.removeprefix("GEZINSPLAN_").lower(): v for k, v in ours.items()}
    )
    assert settings.environment == "production"
    assert settings.host == "0.0.0.0"  # noqa: S104 - inside a container
    assert settings.workers >= 1
    assert str(settings.port) in keyword_values(final_stage(), "EXPOSE")
    assert keyword_values(final_stage(), "HEALTHCHECK")


def test_hadolint_passes() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        pytest.skip("hadolint is not installed; `pip install -e '.[dev]'` installs it")
    result = subprocess.run(  # noqa: S603 - our own venv's binary on our own file
        [str(hadolint), "Dockerfile"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
