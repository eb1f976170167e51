"""The online scoring service's logic; `serving/service.py` binds it to HTTP."""
