"""The paper-trading venue: fills our orders against real or synthetic ticks."""

from agents.venue.agent import NAME, build
from agents.venue.fees import VenueFees

__all__ = ["NAME", "VenueFees", "build"]
