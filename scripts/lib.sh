# Shared helpers for scripts/*. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ensure_packages PKG... : installs missing Debian packages when root, else names them.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing system packages: ${missing[*]} (install them with: sudo apt-get install ${missing[*]})"
  fi
}

# on_exit COMMAND : runs COMMAND when the script exits, after the ones registered before it.
EXIT_HOOKS=()
on_exit() {
  EXIT_HOOKS+=("$1")
  trap 'for hook in "${EXIT_HOOKS[@]}"; do $hook || true; done' EXIT
}

ensure_swift() {
  command -v swift >/dev/null 2>&1 || die "swift is not on PATH (Swift 6 toolchain needed; see README)"
}
