"""User-facing fit/predict objects with the scikit-learn contract (Forecaster, AnomalyDetector, ...)."""
