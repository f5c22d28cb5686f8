"""The Litestar shell: the only package that imports Litestar."""

from survey.api.app import create_app

__all__ = ["create_app"]
