"""Scoring of the text frontend: CPP polyphones, TN suites, the labelled prosody/tone dev set, speed.

``python -m tools.frontend_bench --data DIR`` (or ``sambert-lambda bench-frontend`` from a checkout).
"""
