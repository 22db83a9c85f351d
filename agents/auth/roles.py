"""Who may do what: roles, the principal a credential stands for, and the permission
matrix. Kept as data (a table, like the order state machine) so that a review of the
matrix is a review of one dict."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

ALL_ACCOUNTS: Final = "*"


class Role(StrEnum):
    trader = "trader"
    risk = "risk"
    auditor = "auditor"
    admin = "admin"


class Permission(StrEnum):
    read_orders = "read_orders"
    """orders, positions, pnl, exeq of the principal's accounts."""
    read_alerts = "read_alerts"
    read_market = "read_market"
    """tickers: market data, no account."""
    trade = "trade"
    """place, cancel, replace."""
    risk_check = "risk_check"
    kill_switch = "kill_switch"
    audit = "audit"
    metrics = "metrics"


PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    Role.trader: frozenset({Permission.read_orders, Permission.read_market, Permission.trade}),
    Role.risk: frozenset(
        {
            Permission.read_orders,
            Permission.read_alerts,
            Permission.read_market,
            Permission.risk_check,
            Permission.kill_switch,
            Permission.audit,
        }
    ),
    Role.auditor: frozenset(
        {Permission.read_orders, Permission.read_alerts, Permission.read_market, Permission.audit}
    ),
    Role.admin: frozenset(Permission),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller, as an API key or a token says: never carries the secret."""

    name: str
    role: Role
    accounts: frozenset[str]
    """The accounts in scope; ``{"*"}`` means every account."""
    key_id: str
    """The API key the credential came from: the unit of rate limiting."""

    @property
    def all_accounts(self) -> bool:
        return ALL_ACCOUNTS in self.accounts

    def may(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    def covers(self, account: str) -> bool:
        return self.all_accounts or account in self.accounts


def parse_accounts(role: Role, accounts: Iterable[str]) -> frozenset[str]:
    """The account scope a key of ``role`` gets, or ValueError saying what is wrong.

    An admin always has every account. A trader must name its accounts: ``*`` is for the
    desk-wide roles (risk, auditor) and admin.
    """
    names = frozenset(name.strip() for name in accounts if name.strip())
    if role is Role.admin:
        return frozenset({ALL_ACCOUNTS})
    if not names:
        raise ValueError("name at least one account (or * for a desk-wide risk/auditor key)")
    if ALL_ACCOUNTS in names:
        if role is Role.trader:
            raise ValueError("a trader key names its accounts; * is for risk, auditor, admin")
        return frozenset({ALL_ACCOUNTS})
    for name in names:
        if len(name) > 128 or any(ch.isspace() or ch == "," for ch in name):
            raise ValueError(f"not an account name: {name[:40]!r}")
    return names
