# A throw-away S3-compatible server for tests: moto (PyPI) on 127.0.0.1, with request
# signatures checked (only the three set-up calls go unauthenticated), one user allowed s3:*,
# and Tests/ops/cutting_proxy.py in front of it, which cuts every upload under the key prefix
# `cut/` part-way through (a network failure mid-upload, on demand). Source it, then call
# start_throwaway_s3: it exports GETYOUR_TEST_S3_ENDPOINT, GETYOUR_TEST_S3_CUTTING_ENDPOINT,
# GETYOUR_TEST_S3_ACCESS_KEY_ID and GETYOUR_TEST_S3_SECRET_ACCESS_KEY, and stops both when the
# shell exits.
# shellcheck shell=bash

start_throwaway_s3() {
  local venv="$ROOT/Tests/ops/.venv"
  if [ ! -x "$venv/bin/moto_server" ] || [ ! -x "$venv/bin/schemathesis" ]; then
    say "installing moto[server] and schemathesis from PyPI into Tests/ops/.venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$ROOT/Tests/ops/requirements.txt"
  fi
  S3_DIR="$(mktemp -d /tmp/getyour-s3.XXXXXX)"
  local port=18900
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  INITIAL_NO_AUTH_ACTION_COUNT=3 "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$S3_DIR/moto.log" 2>&1 &
  S3_PIDS=("$!")
  on_exit stop_throwaway_s3
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { cat "$S3_DIR/moto.log" >&2; die "moto did not start"; }
  local keys
  keys="$("$venv/bin/python" "$ROOT/Tests/ops/s3_user.py" "http://127.0.0.1:$port")" || die "could not make the S3 test user"
  local cut=$((port + 1))
  while (exec 3<>"/dev/tcp/127.0.0.1/$cut") 2>/dev/null; do cut=$((cut + 1)); done
  "$venv/bin/python" "$ROOT/Tests/ops/cutting_proxy.py" --listen "$cut" --target "$port" >"$S3_DIR/proxy.log" 2>&1 &
  S3_PIDS+=("$!")
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$cut") 2>/dev/null && break; sleep 0.1; done
  export GETYOUR_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
  export GETYOUR_TEST_S3_CUTTING_ENDPOINT="http://127.0.0.1:$cut"
  export GETYOUR_TEST_S3_ACCESS_KEY_ID="${keys%% *}"
  export GETYOUR_TEST_S3_SECRET_ACCESS_KEY="${keys#* }"
  say "S3-compatible server (moto) on 127.0.0.1:$port, cutting proxy on 127.0.0.1:$cut"
}

stop_throwaway_s3() {
  [ -n "${S3_DIR:-}" ] || return 0
  for pid in "${S3_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$S3_DIR"
  S3_DIR=""
}
