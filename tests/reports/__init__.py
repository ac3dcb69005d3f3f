"""Tests of the reports service (issue 5) and servicekit.photos."""
