"""Recorded traces and what is done with them: reading and writing (traceio), replaying them
through the counter, scoring, labelling, plotting, synthesising and the mounting estimator."""
