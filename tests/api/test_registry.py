import pytest

from tests.api.conftest import ADMIN, USCC


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/campaigns", {}),
        ("patch", "/api/campaigns/1", {}),
        ("post", "/api/enterprises", {}),
        ("patch", "/api/enterprises/1", {}),
        ("post", "/api/outlets", {}),
        ("patch", "/api/outlets/1", {}),
    ],
)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-wrong-token"}, {"Authorization": "a" * 24}])
def test_writing_the_registry_needs_the_admin_token(client, method, path, body, headers):
    answer = getattr(client, method)(path, json=body, headers=headers)
    assert answer.status_code == 401


def test_reading_the_registry_is_public(client, registry):
    assert client.get("/api/campaigns").json()["total"] == 1
    enterprises = client.get("/api/enterprises", params={"industry": "automobile"}).json()
    assert enterprises["items"][0]["uscc"] == USCC
    assert client.get(f"/api/outlets/{registry['outlet']['id']}").json()["name"] == "天河站"
    assert client.get("/api/enterprises/999").status_code == 404


def test_a_wrong_check_character_is_refused_with_the_reason(client):
    answer = client.post("/api/enterprises", headers=ADMIN, json={
        "uscc": USCC[:-1] + "4", "name": "x", "industry": "automobile", "city": "440100",
    })
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "uscc", "reason": "check character is '4' but GB 32100 gives '3' for the first 17 characters"}
    ]
    assert client.get("/api/enterprises").json()["total"] == 0


def test_a_duplicate_enterprise_is_a_conflict(client, registry):
    answer = client.post("/api/enterprises", headers=ADMIN, json={
        "uscc": USCC, "name": "x", "industry": "automobile", "city": "440100",
    })
    assert answer.status_code == 409


def test_server_owned_fields_cannot_be_set_from_a_body(client):
    answer = client.post("/api/enterprises", headers=ADMIN, json={
        "id": 77, "uscc": USCC, "name": "x", "industry": "automobile", "city": "440100",
    })
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"]


def test_page_size_is_bounded(client):
    assert client.get("/api/enterprises", params={"limit": 201}).status_code in (400, 422)
    assert client.get("/api/enterprises", params={"limit": 200}).status_code == 200
