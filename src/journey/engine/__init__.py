"""The pure engine: periods, plans, evaluation, case data, measures, statistics, reports.

Nothing under ``journey.engine`` imports Django; the web app and the CLI are thin
layers over it (a test enforces this).
"""
