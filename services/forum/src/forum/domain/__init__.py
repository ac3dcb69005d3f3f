"""Domain of the forum service: plain Python, no framework imports."""
