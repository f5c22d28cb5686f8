"""Invitations: single-use links (and their QR codes) that open one enterprise's or outlet's questionnaire."""
