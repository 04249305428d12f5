"""The trainer: from an IR model and a validated configuration to trained weights.

The configuration side (`config`, `resolve`, `compat`, `dataset_info`) imports
no torch, so `archdsl check` can validate a train section cheaply; everything
else imports torch and runs only under `archdsl train` and `archdsl eval`.
"""
