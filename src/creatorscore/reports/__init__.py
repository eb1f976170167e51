"""Self-contained HTML reports: a creator's case file, a model's global behaviour, a cohort."""
