"""Questionnaires: the format (spec), the shipped catalogue, answer checks and the respondent form."""
