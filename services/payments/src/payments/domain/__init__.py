"""The payments domain: plain Python, no framework."""
