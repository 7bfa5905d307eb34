"""Drivers shared by the tests, the benchmarks and docs/figures.py: the real app in headless Chromium
(appdriver) and hand-written IDX data files (idxfiles). Not part of the product."""
