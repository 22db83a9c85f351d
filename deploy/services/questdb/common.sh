# Shared settings of deploy/services/questdb/{up,down}; sourced, not run.
# Every value can be overridden from the environment (CI on busy ports, another version).
QDB_VERSION="${TAPELINE_QUESTDB_VERSION:-9.3.4}"
# 9.3.4 is the newest release on Maven Central (checked 2026-10) and is built for Java 17
# (class file major 61), so the machine's JDK 17 runs it. DECIMAL over ILP needs >= 9.2.
QDB_HOST=127.0.0.1
QDB_HTTP_PORT="${TAPELINE_QUESTDB_HTTP_PORT:-9000}"
QDB_MIN_PORT="${TAPELINE_QUESTDB_MIN_PORT:-9003}"
QDB_PG_PORT="${TAPELINE_QUESTDB_PG_PORT:-8812}"
QDB_HEAP="${TAPELINE_QUESTDB_HEAP:-1g}"
QDB_LOG_LEVELS="${TAPELINE_QUESTDB_LOG_LEVELS:-ERROR,CRITICAL,ADVISORY}"
QDB_START_TIMEOUT="${TAPELINE_QUESTDB_START_TIMEOUT:-120}"
QDB_STOP_TIMEOUT="${TAPELINE_QUESTDB_STOP_TIMEOUT:-60}"

: "${TAPELINE_RUN_DIR:?run me through deploy/up or deploy/down}"
: "${TAPELINE_CACHE_DIR:?run me through deploy/up or deploy/down}"
mkdir -p "$TAPELINE_RUN_DIR/questdb"
# Canonical, so the pid check below matches however the run dir was spelled.
QDB_RUN="$(cd "$TAPELINE_RUN_DIR/questdb" && pwd -P)"
QDB_ROOT="$QDB_RUN/root"
QDB_PID_FILE="$QDB_RUN/questdb.pid"
QDB_LOG="$QDB_RUN/questdb.log"
QDB_M2="$TAPELINE_CACHE_DIR/m2"
QDB_JAR="$QDB_M2/org/questdb/questdb/$QDB_VERSION/questdb-$QDB_VERSION.jar"
QDB_URL="http://$QDB_HOST:$QDB_HTTP_PORT"

qdb_running_pid() {
  # The pid of the server this run dir started, when it is still alive.
  [ -f "$QDB_PID_FILE" ] || return 1
  local pid
  pid="$(cat "$QDB_PID_FILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A recycled pid is not ours: our server runs java with our root dir on its command line.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$QDB_ROOT" || return 1
  echo "$pid"
}

qdb_answers() {
  curl -fsS --max-time 2 "$QDB_URL/exec?query=select%201" >/dev/null 2>&1
}
