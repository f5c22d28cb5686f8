import pytest

from survey.uscc import check_character, uscc_problem

# Published codes of real organisations (their check characters computed by the issuing authority).
VALID = ["91350100M000100Y43", "91110000100011743X", "91440300708461136T"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    assert uscc_problem(code) is None
    assert check_character(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y44", "check character is '4' but GB 32100 gives '3'"),
        ("91350100M000100Y4", "must be 18 characters"),
        ("91350100M000100I43", "not allowed"),
        ("91350100m000100Y43", "not allowed"),
    ],
)
def test_wrong_codes_say_why(code, reason):
    assert reason in uscc_problem(code)
