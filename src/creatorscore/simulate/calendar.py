"""Market base rates, weekly rhythm and the double-day mega-sales that drive daily activity."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

SECONDS_PER_DAY = 86_400

# activity multiplier and UTC offset (hours) per market; their shares are in config.MARKET_SHARE
MARKET_ACTIVITY = {"ID": 1.2, "TH": 1.0, "VN": 1.1, "PH": 0.9, "MY": 0.85, "SG": 0.7}
MARKET_UTC_OFFSET = {"ID": 7, "TH": 7, "VN": 7, "PH": 8, "MY": 8, "SG": 8}

# Monday first: weekends are the big live-selling days
WEEKDAY_FACTOR = np.array([0.85, 0.9, 0.95, 1.0, 1.1, 1.3, 1.25])

MEGA_SALES = {(9, 9): 2.6, (10, 10): 2.8, (11, 11): 3.6, (12, 12): 3.0}
DOUBLE_DAY_FACTOR = 1.7  # the smaller m.m sales of the other months
EVE_FACTOR = 1.25  # warm-up streams the day before a sale


def days_of(start: date, days: int) -> list[date]:
    return [start + timedelta(days=d) for d in range(days)]


def sale_factor(start: date, days: int) -> np.ndarray:
    """Activity multiplier per day: mega-sales, other double days, and their eves."""
    factor = np.ones(days)
    for d, day in enumerate(days_of(start, days)):
        if day.month == day.day:
            factor[d] = MEGA_SALES.get((day.month, day.day), DOUBLE_DAY_FACTOR)
        elif (day + timedelta(days=1)).month == (day + timedelta(days=1)).day:
            factor[d] = EVE_FACTOR
    return factor


def weekday_factor(start: date, days: int) -> np.ndarray:
    return WEEKDAY_FACTOR[[day.weekday() for day in days_of(start, days)]]


def sale_days(start: date, days: int) -> list[int]:
    """Day indices of every double-day sale in the window: the platform's campaigns."""
    return [d for d, day in enumerate(days_of(start, days)) if day.month == day.day]
