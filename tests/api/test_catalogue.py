INDUSTRIES = {
    "automobile", "home_appliance", "mobile_phone", "computer", "home_building_materials",
    "agricultural_machinery", "construction_machinery", "sports_equipment", "complete_equipment", "e_commerce",
}


def test_ten_industries_and_their_questionnaires(client):
    assert {i["code"] for i in client.get("/api/industries").json()} == INDUSTRIES
    listed = client.get("/api/instruments").json()
    assert {i["industry"] for i in listed} == INDUSTRIES
    assert all(20 <= i["items"] <= 45 for i in listed)


def test_an_instrument_latest_and_by_version(client):
    latest = client.get("/api/instruments/mobile_phone").json()
    pinned = client.get(f"/api/instruments/mobile_phone/versions/{latest['version']}").json()
    assert latest == pinned and len(latest["sha256"]) == 64
    items = [item["code"] for section in latest["instrument"]["sections"] for item in section["items"]]
    assert {"sat1", "sat2", "sat3"} <= set(items)
    assert client.get("/api/instruments/mobile_phone/versions/99").status_code == 404
    assert client.get("/api/instruments/bicycles").status_code == 404


def test_twenty_one_cities(client):
    cities = client.get("/api/cities").json()
    assert len(cities) == 21 and cities[0] == {"code": "440100", "zh": "广州", "en": "Guangzhou"}


def test_openapi_schema_is_served(client):
    schema = client.get("/schema/openapi.json").json()
    assert "/api/responses" in schema["paths"]
