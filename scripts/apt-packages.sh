# Shared by scripts/install-*-toolchain: installs Debian packages when it can (apt-get present,
# and root or sudo without a password). Sourced, not run.
#
#   install_apt_packages NAME MODE PACKAGE...
#     MODE ""         install what is missing; return 0 when all is installed, 1 (saying what to
#                     run) when it cannot install
#     MODE --check    return 0 when all is installed, 1 otherwise; installs nothing
#     MODE --command  print the apt-get line that installs the packages
install_apt_packages() {
  local name="$1" mode="$2" pkg
  shift 2
  local command_line="apt-get install $*"
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done

  case "$mode" in
    --command) echo "$command_line"; return 0 ;;
    --check) [ ${#missing[@]} -eq 0 ]; return ;;
    "") ;;
    *) echo "usage: $name [--check|--command]" >&2; return 2 ;;
  esac

  [ ${#missing[@]} -gt 0 ] || return 0
  local sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo_cmd=(sudo)
    else
      echo "$name: not root and no password-less sudo; as root run: $command_line" >&2
      return 1
    fi
  fi
  if ! command -v apt-get >/dev/null; then
    echo "$name: no apt-get here; install the equivalent of: $command_line" >&2
    return 1
  fi
  echo "$name: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! { "${sudo_cmd[@]}" apt-get update -qq && "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
    echo "$name: apt-get failed; run: $command_line" >&2
    return 1
  fi
}
