"""Domain of the reports service: plain Python, no framework imports."""
