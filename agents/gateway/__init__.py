"""gateway: the REST API (FastAPI) over the embedded engine: order entry with the OMS's
recorded decisions, table reads, risk check, kill switch, audit; API keys and JWTs."""

from agents.gateway.app import create_app
from agents.gateway.engine import GatewayEngine, Outcome
from agents.gateway.state import GatewaySettings

__all__ = ["GatewayEngine", "GatewaySettings", "Outcome", "create_app"]
