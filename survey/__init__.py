"""After-sales service satisfaction measurement: questionnaires, collection, PLS index scoring, releases."""

__version__ = "0.1.0"
