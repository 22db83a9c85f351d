# Shared settings of deploy/services/valkey/{up,down}; sourced, not run.
# Every value can be overridden from the environment (CI on a busy port, a slow box).
VK_HOST=127.0.0.1
VK_PORT="${TAPELINE_VALKEY_PORT:-6379}"
VK_START_TIMEOUT="${TAPELINE_VALKEY_START_TIMEOUT:-30}"
VK_STOP_TIMEOUT="${TAPELINE_VALKEY_STOP_TIMEOUT:-30}"

: "${TAPELINE_RUN_DIR:?run me through deploy/up or deploy/down}"
mkdir -p "$TAPELINE_RUN_DIR/valkey"
# Canonical, so the pid check below matches however the run dir was spelled.
VK_RUN="$(cd "$TAPELINE_RUN_DIR/valkey" && pwd -P)"
VK_DATA="$VK_RUN/data-$VK_PORT"
VK_CONF="$VK_RUN/valkey-$VK_PORT.conf"
VK_PID_FILE="$VK_RUN/valkey-$VK_PORT.pid"
VK_LOG="$VK_RUN/valkey-$VK_PORT.log"

vk_server_bin() {
  # Valkey when the machine has it (Debian trixie+), else Redis (bookworm): same protocol.
  command -v valkey-server || command -v redis-server || return 1
}

vk_cli_bin() {
  command -v valkey-cli || command -v redis-cli || return 1
}

vk_running_pid() {
  # The pid of the server this run dir started, when it is still alive.
  [ -f "$VK_PID_FILE" ] || return 1
  local pid
  pid="$(cat "$VK_PID_FILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A recycled pid is not ours. The server rewrites its command line to "host:port", but
  # it runs in the data dir of its config (`dir`), which is ours alone.
  [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$VK_DATA" ] || return 1
  echo "$pid"
}

vk_answers() {
  # PING answered with PONG, over plain bash TCP so it needs no client binary.
  local reply=""
  { exec 3<>"/dev/tcp/$VK_HOST/$VK_PORT"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  IFS= read -r -t 2 reply <&3 || true
  exec 3>&- 3<&-
  [ "${reply%$'\r'}" = "+PONG" ]
}
