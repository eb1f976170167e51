"""The live-shopping marketplace simulator: contract tables plus the ground truth behind them.

The simulator itself (numpy, pandas, pyarrow) loads on first use, so the command line can read
`SimulationConfig`'s defaults for its help without it.
"""

from creatorscore.simulate.config import SimulationConfig

__all__ = ["SimulatedMarketplace", "SimulationConfig", "simulate", "write_marketplace"]
_SIMULATOR = {"SimulatedMarketplace", "simulate", "write_marketplace"}


def __getattr__(name: str):
    if name in _SIMULATOR:
        from creatorscore.simulate import marketplace

        return getattr(marketplace, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
