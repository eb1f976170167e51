"""creatorscore: content-quality and abuse-risk scores for live-shopping creators."""

__version__ = "0.1.0"
