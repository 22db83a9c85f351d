"""oms: FIX 4.4 order lifecycle with inline pre-trade risk (see ``agent.py``)."""
