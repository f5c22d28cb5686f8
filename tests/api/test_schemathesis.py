"""schemathesis over /schema/openapi.json against the real service (uvicorn in a subprocess): every operation, with
positive and negative cases, in every role: administrator, evaluation organisation, evaluator and anonymous (a fresh
token for each case: schemathesis_hooks.py). No answer may be a server error or break the schema it documents.

Bounded: a fixed seed and a few examples per operation as an administrator (the role that gets past the guards and so
reaches the most code); fewer for the other roles, whose cases mostly end at a 401 or 403 but must end there cleanly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from survey.accounts import OrganisationCreate
from survey.store import accounts
from survey.store.engine import Database, make_engine
from tests.api.conftest import PASSWORD, add_account
from tests.load.service import Service, prepare

EXAMPLES = {"admin": 5, "organisation": 2, "evaluator": 2, "anonymous": 2}
EVALUATOR_ONLY = ["POST /api/audits/batch", "POST /api/photos"]  # an administrator is refused there (403)
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
ROOT = Path(__file__).resolve().parents[2]


def add_role(url: str, role: str) -> str:
    """The account the run signs in as ("" for anonymous); organisation and evaluator accounts need an organisation."""
    if role == "anonymous":
        return ""
    organisation_id = None
    if role != "admin":
        db = Database(make_engine(url))
        try:
            organisation_id = accounts.create_organisation(db, OrganisationCreate(code="org-fuzz", name="测评机构")).id
        finally:
            db.dispose()
    add_account(url, role, role, organisation_id)
    return role


@pytest.mark.parametrize("role", list(EXAMPLES))
def test_every_operation_answers_without_server_errors_and_within_its_schema(tmp_path, role):
    url = f"sqlite:///{tmp_path}/survey.db"
    prepare(url)
    username = add_role(url, role)
    with Service(url, tmp_path / "service.log", workers=1, login_rate_per_minute=str(10**6)) as service:
        paths = httpx.get(f"{service.base_url}/schema/openapi.json", timeout=30).json()["paths"]
        revoke = paths["/api/tokens"]["delete"]["operationId"]  # would sign the run's own token out
        run = subprocess.run(
            [str(SCHEMATHESIS), "run", f"{service.base_url}/schema/openapi.json",
             "--checks", "not_a_server_error,response_schema_conformance", "--mode", "all",
             "--max-examples", str(EXAMPLES[role]), "--seed", "20261125", "--phases", "examples,coverage,fuzzing",
             "--exclude-operation-id", revoke, "--request-timeout", "30"],
            capture_output=True, text=True, timeout=900, cwd=ROOT,
            env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks", "PYTHONPATH": str(ROOT),
                 "SCHEMATHESIS_SURVEY_BASE_URL": service.base_url, "SCHEMATHESIS_SURVEY_DATABASE_URL": url,
                 "SCHEMATHESIS_SURVEY_USERNAME": username, "SCHEMATHESIS_SURVEY_PASSWORD": PASSWORD})
    operations = sum(len([m for m in methods if m in ("get", "post", "put", "patch", "delete")])
                     for methods in paths.values())
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    tested = re.search(r"Tested:\s+(\d+)", output)
    assert tested and int(tested[1]) == operations - 1, output[-3000:]
    refused = re.search(r"Authentication failed: (\d+) operations? returned only 401/403", output)
    if role == "admin":  # the other roles are refused by most operations, and must be refused cleanly: checked above
        assert refused is None or int(refused[1]) <= len(EVALUATOR_ONLY), output[-4000:]
