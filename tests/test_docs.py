"""Every command and code example in README.md and docs/*.md is run, so that no example silently breaks.

Fenced blocks by their info string (the words after the backticks):

- ``sh``: a shell script, run by ``bash -euo pipefail``; it must exit 0.
- ``console``: ``$ command`` lines (a line ending in ``\\`` continues), each followed by its output as the doc shows
  it; each command must exit 0 and print the shown lines in that order (other lines may come between them; ``...``
  in a line stands for any text). Output is stdout and stderr together, as a terminal shows them.
- ``python``: run as a script with the project's interpreter; it must exit 0.
- ``toml model``: decoded with the project's model loader (``survey.scoring.spec.decode_model``); ``toml model FILE``
  must also be that file of the repository, byte for byte.
- ``json``: decoded; ``json TypeName`` decodes into that project type (see ``json_types``).
- anything marked ``no-run`` (``sh no-run``, ``ini no-run``, ...): not run, only counted. Any other block fails
  ``test_every_block_is_run_or_marked_no_run``, so nothing is skipped without saying so.

Each document runs as one terminal session, block after block, in a fresh folder that holds a copy of a demo
database (made once with ``survey demo``; the embedded SQLite file ``var/survey.db``, named by
``SURVEY_DATABASE_URL``) and links to the repository's ``models``, ``tests``, ``bench`` and ``.venv``. The variables
and shell functions a block sets are there in the next block; a python block sees the exported variables. The first
block that talks to the service (it names port 8000 or ``var/admin-password``) starts ``survey serve --port <free
port>`` in that folder, and the examples' ``localhost:8000`` and ``127.0.0.1:8000`` are pointed at that port.
``curl`` runs with ``--fail-with-body`` (through ``CURL_HOME``), so an HTTP error answer fails the sh example that
asked for it; a console example shows its answers, so there ``curl`` behaves as in any terminal.

``SURVEY_TEST_DOCS_SHOW=1 pytest -s tests/test_docs.py`` prints each block's time and output.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import msgspec
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
VENV_BIN = Path(sys.executable).parent
LINKED = ("models", "tests", "bench")
RUN_KINDS = ("sh", "console", "python", "toml", "json")
BLOCK_SECONDS = 240
START_SECONDS = 90
SHOW = os.environ.get("SURVEY_TEST_DOCS_SHOW") == "1"  # print each block's time and output (with -s)
SERVICE_HINTS = ("localhost:8000", "127.0.0.1:8000", "var/admin-password")
# Bash's own variables that appear only once used, and the runner's (leading "__"): not handed on between blocks.
BASH_OWN = ("__*|BASH*|FUNCNAME|PIPESTATUS|LINENO|RANDOM|SRANDOM|SECONDS|EPOCH*|COLUMNS|LINES|_|OPTARG|OPTIND|OPTERR"
            "|HISTCMD|PPID|UID|EUID|GROUPS|SHLVL|PWD|OLDPWD|COMP*")


def json_types() -> dict[str, type]:
    from survey.accounts import AccountCreate, OrganisationCreate
    from survey.audits.assignment import AssignmentCreate
    from survey.audits.submission import AuditSubmit, ReviewCreate
    from survey.invitations.spec import InvitationIssue
    from survey.quotas import QuotaSet
    from survey.registry import CampaignCreate, EnterpriseCreate, OutletCreate
    from survey.responses import ResponseSubmit

    return {kind.__name__: kind for kind in (
        AccountCreate, OrganisationCreate, AssignmentCreate, AuditSubmit, ReviewCreate, InvitationIssue, QuotaSet,
        CampaignCreate, EnterpriseCreate, OutletCreate, ResponseSubmit)}


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int  # of the opening fence, 1-based
    info: str
    text: str

    @property
    def kind(self) -> str:
        return self.info.split()[0] if self.info.split() else ""

    @property
    def words(self) -> list[str]:
        return self.info.split()[1:]

    @property
    def runs(self) -> bool:
        return "no-run" not in self.words

    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def blocks_of(doc: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file (``` or ~~~ fences, indented at most 3 spaces)."""
    found, lines = [], doc.read_text("utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = re.match(r"^ {0,3}(`{3,}|~{3,})(.*)$", lines[index])
        if not opening:
            index += 1
            continue
        fence, info, start = opening[1], opening[2].strip(), index
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        body, index = [], index + 1
        while index < len(lines) and not closing.match(lines[index]):
            body.append(lines[index])
            index += 1
        found.append(Block(doc, start + 1, info, "\n".join(body) + "\n"))
        index += 1
    return found


def problem_with(block: Block) -> str | None:
    """Why this block can be neither run nor counted as deliberately not run."""
    if not block.kind:
        return "a block without a language: say what it is (```sh, ```console, ... or ```text no-run)"
    if not block.runs:
        return None
    if block.kind not in RUN_KINDS:
        return f"```{block.kind} is not run here: mark it ```{block.kind} no-run, or use one of {', '.join(RUN_KINDS)}"
    if block.kind == "toml" and (block.words[:1] != ["model"] or len(block.words) > 2):
        return "a toml block is decoded by its loader: write ```toml model [FILE] (or ```toml no-run)"
    if block.kind == "toml" and len(block.words) == 2 and not (ROOT / block.words[1]).is_file():
        return f"```toml model {block.words[1]}: no such file in the repository"
    if block.kind == "json" and len(block.words) > 1:
        return "```json takes at most one word, the project type it decodes into"
    return None


ALL_BLOCKS = [block for doc in DOCS for block in blocks_of(doc)]


def test_every_block_is_run_or_marked_no_run() -> None:
    problems = [f"{block.where()}: {problem}" for block in ALL_BLOCKS if (problem := problem_with(block))]
    assert not problems, "\n".join(problems)
    run = sum(block.runs for block in ALL_BLOCKS)
    print(f"\n{len(ALL_BLOCKS)} blocks in {len(DOCS)} documents: {run} run, {len(ALL_BLOCKS) - run} marked no-run")
    assert run > 0


def test_json_types_are_known() -> None:
    known = json_types()
    unknown = [f"{b.where()}: {b.words[0]}" for b in ALL_BLOCKS if b.kind == "json" and b.words and b.runs
               and b.words[0] not in known]
    assert not unknown, f"json blocks name types the test does not know ({', '.join(known)}): {unknown}"


def test_api_reference_is_current() -> None:
    from survey.api.reference import render

    assert (ROOT / "docs" / "api.md").read_text("utf-8") == render(), (
        "docs/api.md differs from the OpenAPI schema: run `.venv/bin/python -m survey.api.reference > docs/api.md`")


# --- the session a document runs in -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SURVEY_")}
    env.update({
        "SURVEY_DATABASE_URL": f"sqlite:///{home}/var/survey.db",
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        "CURL_HOME": str(home),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONWARNINGS": "ignore",
    })
    env.pop("VIRTUAL_ENV", None)
    return env


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose var/survey.db holds the demo wave and its published release (made once, copied per document)."""
    home = tmp_path_factory.mktemp("docs-demo")
    done = subprocess.run([VENV_BIN / "survey", "demo"], cwd=home, env=base_env(home), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return home


class Session:
    """One document's terminal: its folder, the shell variables blocks hand on, and the service once one is needed."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = base_env(home)
        self.state = home / ".docs-state"
        self.exported = dict(self.env)
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self.log = home / ".docs-serve.log"
        names = subprocess.run(["bash", "-c", "compgen -v"], env=self.env, capture_output=True, text=True).stdout
        self.env["__DOCS_BASE"] = " ".join(names.split())

    def close(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def service_log(self) -> str:
        return self.log.read_text("utf-8", "replace")[-3000:] if self.log.exists() else ""

    def point(self, text: str) -> str:
        """The example's text with the documented port 8000 replaced by the test service's port."""
        if self.port is None:
            return text
        for host in ("localhost", "127.0.0.1"):
            text = text.replace(f"{host}:8000", f"{host}:{self.port}")
        return text

    def need_service(self, text: str) -> None:
        if self.process is not None or not any(hint in text for hint in SERVICE_HINTS):
            return
        self.port = free_port()
        self.process = subprocess.Popen(
            [VENV_BIN / "survey", "serve", "--port", str(self.port), "--no-demo"], cwd=self.home, env=self.env,
            stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"survey serve exited with {self.process.returncode}:\n{self.service_log()}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/industries", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        pytest.fail(f"survey serve did not answer within {START_SECONDS} s:\n{self.service_log()}")

    def shell(self, script: str, *, curl_fails: bool = True) -> tuple[int, str]:
        """Run a script in the session (earlier blocks' variables set); its exit code and its output (with stderr).
        `curl_fails`: curl exits non-zero on an HTTP error answer (its config in the session's folder says so)."""
        state, exported = self.state.with_suffix(".sh"), self.state.with_suffix(".env")
        wrapped = "\n".join([
            "set -euo pipefail",
            f'if [ -f "{state}" ]; then source "{state}"; fi',
            script,
            # hand on what the script set: every variable bash did not start with, and the exported environment
            f'for __v in $(compgen -v); do case "$__v" in {BASH_OWN}) continue ;; esac; '
            f'case " $__DOCS_BASE " in *" $__v "*) ;; *) declare -p "$__v" ;; esac; done > "{state}.new"',
            f'declare -f >> "{state}.new"',  # and the shell functions it defined
            f'mv "{state}.new" "{state}"',
            f'env -0 > "{exported}"',
        ])
        env = self.env if curl_fails else {**self.env, "CURL_HOME": str(self.home / ".docs-plain-curl")}
        done = subprocess.run(["bash", "-c", wrapped], cwd=self.home, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=BLOCK_SECONDS)  # in the order a terminal shows
        output = done.stdout.decode("utf-8", "replace")
        if done.returncode == 0 and exported.exists():
            pairs = [entry.split("=", 1) for entry in exported.read_bytes().decode("utf-8", "replace").split("\0")
                     if "=" in entry]
            self.exported = {key: value for key, value in pairs if not key.startswith("__")}
        return done.returncode, output

    def python(self, code: str) -> tuple[int, str]:
        script = self.home / ".docs-block.py"
        script.write_text(code, "utf-8")
        done = subprocess.run([sys.executable, script], cwd=self.home, env=self.exported, capture_output=True,
                              timeout=BLOCK_SECONDS)
        return done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace")


@pytest.fixture
def session(demo_template: Path, tmp_path: Path) -> Iterator[Session]:
    home = tmp_path / "home"
    shutil.copytree(demo_template, home)
    for name in LINKED:
        (home / name).symlink_to(ROOT / name)
    (home / ".venv").symlink_to(VENV_BIN.parent)
    (home / ".curlrc").write_text("fail-with-body\nshow-error\n")
    running = Session(home)
    yield running
    running.close()


# --- running the blocks -----------------------------------------------------------------------------------------


def console_steps(text: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for each ``$ `` command of a console block."""
    steps: list[tuple[str, list[str]]] = []
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\"):
                command = command + "\n" + next(lines, "")
            steps.append((command, []))
        elif steps:
            steps[-1][1].append(line)
        elif line.strip():
            raise AssertionError(f"a console block starts with a `$ ` command, not {line!r}")
    return steps


def shows(expected: list[str], output: str) -> str | None:
    """None when the output has every expected line, in order ("..." = any text); else the first line missing."""
    actual = [line.rstrip() for line in output.splitlines()]
    position = 0
    for wanted in (line.rstrip() for line in expected):
        if not wanted.strip():
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in wanted.split("...")) + "$")
        while position < len(actual) and not pattern.match(actual[position]):
            position += 1
        if position == len(actual):
            return wanted
        position += 1
    return None


def run_block(session: Session, block: Block) -> None:
    started = time.monotonic()
    text = block.text
    if block.kind in ("sh", "console", "python"):
        session.need_service(text)
        text = session.point(text)
    context = f"{block.where()} (```{block.info})"
    output = ""
    if block.kind == "sh":
        code, output = session.shell(text)
        assert code == 0, f"{context} exited with {code}:\n{text}\n--- output ---\n{output}\n{session.service_log()}"
    elif block.kind == "console":
        for command, expected in console_steps(text):
            code, output = session.shell(command, curl_fails=False)
            assert code == 0, f"{context}: `{command}` exited with {code}:\n{output}\n{session.service_log()}"
            missing = shows([session.point(line) for line in expected], output)
            assert missing is None, f"{context}: `{command}` did not print\n  {missing}\n--- it printed ---\n{output}"
    elif block.kind == "python":
        code, output = session.python(text)
        assert code == 0, f"{context} exited with {code}:\n{output}\n{session.service_log()}"
    elif block.kind == "toml":
        from survey.scoring.spec import decode_model

        decode_model(text, context)
        if len(block.words) == 2:  # the doc shows that file itself
            assert text == (ROOT / block.words[1]).read_text("utf-8"), f"{context}: differs from {block.words[1]}"
    elif block.kind == "json":
        kind = json_types()[block.words[0]] if block.words else object
        try:
            msgspec.json.decode(text.encode(), type=kind)
        except msgspec.DecodeError as exc:
            raise AssertionError(f"{context}: {exc}") from None
    if SHOW:
        print(f"\n--- {context} {time.monotonic() - started:.1f} s\n{output}")


@pytest.mark.parametrize("doc", DOCS, ids=[str(doc.relative_to(ROOT)) for doc in DOCS])
def test_examples_run(doc: Path, request: pytest.FixtureRequest) -> None:
    blocks = [block for block in blocks_of(doc) if block.runs and problem_with(block) is None]
    if not blocks:
        return
    session = request.getfixturevalue("session")  # only documents with something to run get a folder
    for block in blocks:
        run_block(session, block)
