"""`tapeline auth create-key|list-keys|revoke-key`: the gateway's API keys.

A new key is printed once, as the last line of the output, and never again: only its
argon2 hash is kept (``DATA_DIR/auth.sqlite``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from agents.auth import AuthStoreError, KeyStore, Role
from agents.cli.common import DataDir, err, out
from schemas import TapelineError

app = typer.Typer(help="API keys for the gateway.", no_args_is_help=True)


@app.command("create-key")
def create_key(
    data_dir: DataDir,
    principal: Annotated[str, typer.Option("--principal", help="Who the key is for.")],
    role: Annotated[Role, typer.Option("--role", help="trader, risk, auditor or admin.")],
    accounts: Annotated[
        str, typer.Option("--accounts", help="Comma-separated accounts, or * (not for traders).")
    ] = "",
) -> None:
    """Create an API key; it is printed as the last line, once."""
    try:
        store = KeyStore.in_dir(data_dir)
        issued = store.create(principal, role, accounts.split(","))
        store.close()
    except AuthStoreError as error:
        raise TapelineError(str(error)) from None
    who = issued.principal
    scope = ",".join(sorted(who.accounts))
    out.print(
        f"key {who.key_id}: {who.name}, role {who.role.value}, accounts {scope}", markup=False
    )
    err.print("store this key now: it is not shown again", markup=False)
    typer.echo(issued.key)


@app.command("list-keys")
def list_keys(data_dir: DataDir) -> None:
    """Key ids, principals, roles and scopes (never a secret)."""
    store = KeyStore.in_dir(data_dir)
    for info in store.list_keys():
        state = "revoked" if info.revoked else "active"
        scope = ",".join(sorted(info.accounts))
        out.print(f"{info.key_id} {info.principal} {info.role.value} {scope} {state}", markup=False)
    store.close()


@app.command("revoke-key")
def revoke_key(
    data_dir: DataDir,
    key_id: Annotated[str, typer.Argument(help="The key id (list-keys shows them).")],
) -> None:
    """Revoke a key: it stops working at once here, within a minute in a running gateway;
    tokens already issued from it live until they expire."""
    store = KeyStore.in_dir(data_dir)
    found = store.revoke(key_id)
    store.close()
    if not found:
        raise TapelineError(f"no active key {key_id!r}")
    out.print(f"revoked {key_id}", markup=False)
