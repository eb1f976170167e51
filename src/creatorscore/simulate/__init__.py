"""The live-shopping marketplace simulator: contract tables plus the ground truth behind them."""

from creatorscore.simulate.config import SimulationConfig
from creatorscore.simulate.marketplace import SimulatedMarketplace, simulate, write_marketplace

__all__ = ["SimulatedMarketplace", "SimulationConfig", "simulate", "write_marketplace"]
