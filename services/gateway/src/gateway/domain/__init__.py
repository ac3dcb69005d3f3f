"""Domain of the gateway service: plain Python, no framework imports."""
