"""Model training: configs, time-based backtests, baselines, metrics, MLflow runs and the registry."""
