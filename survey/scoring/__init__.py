"""PLS path-modeling scoring engine: pure statistics, arrays or frames in, frozen results out.

The public surface (pinned by tests/scoring/test_api.py); everything else is internal.
"""

from survey.scoring.bootstrap import BootstrapResult, bootstrap
from survey.scoring.index import GroupIndexResult, IndexResult, NonPositiveWeightsError, compute_index, group_index
from survey.scoring.ipma import IPMAResult, ipma
from survey.scoring.moments import DataError, Moments, compute_moments
from survey.scoring.pls import PLSResult, fit, fit_moments
from survey.scoring.rake import RakeResult, rake
from survey.scoring.spec import ModelFileError, ModelSpec, ScoringError, load_model

__all__ = [
    "BootstrapResult", "DataError", "GroupIndexResult", "IPMAResult", "IndexResult", "ModelFileError", "ModelSpec",
    "Moments", "NonPositiveWeightsError", "PLSResult", "RakeResult", "ScoringError", "bootstrap", "compute_index",
    "compute_moments", "fit", "fit_moments", "group_index", "ipma", "load_model", "rake",
]
