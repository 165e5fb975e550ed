# Helpers of run-echo-ab.sh (sourced). Expects $port and $quiet_max. (run-echo.sh starts all its servers at once and needs none.)

# Waits until the server listens on $port (10 s at most).
wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server did not listen on $port" >&2
  return 1
}

# Waits (up to $quiet_max s) until the machine has been mostly idle for two consecutive seconds, so that a point is not
# measured in the middle of another job's burst. quiet_max=0 turns it off.
cpu_idle_pct() {
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $(( total > 0 ? 100 * (b[4] - a[4]) / total : 100 ))
}
wait_quiet() {
  local waited=0 calm=0
  while [ "$waited" -lt "$quiet_max" ]; do
    if [ "$(cpu_idle_pct)" -ge 85 ]; then calm=$((calm + 1)); else calm=0; fi
    [ "$calm" -ge 2 ] && return 0
    waited=$((waited + 1))
  done
  echo "(machine still busy after ${quiet_max} s; measuring anyway)" >&2
}

# The server's CPU time so far (user + system), in clock ticks (10 ms).
server_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }

# The value of KEY=value in the line on stdin.
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
