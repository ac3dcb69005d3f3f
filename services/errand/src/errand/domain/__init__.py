"""Domain of the errand service: plain Python, no framework imports."""
