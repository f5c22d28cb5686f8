"""Exports of a campaign's responses (CSV, Excel, SPSS, Parquet) and their codebook; pure: frames in, bytes out."""
