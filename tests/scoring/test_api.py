"""The public surface of survey.scoring is small and deliberate."""

import survey.scoring


def test_public_surface_is_pinned():
    assert sorted(survey.scoring.__all__) == [
        "BootstrapResult", "DataError", "GroupIndexResult", "IPMAResult", "IndexResult", "ModelFileError",
        "ModelSpec", "Moments", "NonPositiveWeightsError", "PLSResult", "RakeResult", "ScoringError", "bootstrap",
        "compute_index", "compute_moments", "fit", "fit_moments", "group_index", "ipma", "load_model", "rake",
    ]
    for name in survey.scoring.__all__:
        assert getattr(survey.scoring, name) is not None
