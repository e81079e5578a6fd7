#!/usr/bin/env bash
# Set up optviz on Debian/Ubuntu: system libraries for Qt (offscreen and a real
# window under Xvfb), a virtual environment in .venv, and optviz installed into it.
#
#   scripts/setup.sh          the app:   then .venv/bin/optviz
#   scripts/setup.sh --test   + tests:   then .venv/bin/python -m pytest
#
# Idempotent and fast when nothing changed: apt runs only for missing packages,
# pip only when pyproject.toml (or the mode, or the interpreter) changed since the
# last successful run (stamp file in .venv).
#
# Environment: PYTHON (default python3, must be >= 3.11), OPTVIZ_SKIP_APT=1 to
# skip the system-package step (non-Debian machines, no root).
set -Eeuo pipefail

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }
trap 'printf "setup: FAILED (exit %s) at line %s: %s\n" "$?" "$LINENO" "$BASH_COMMAND" >&2' ERR

MODE=app
for arg in "$@"; do
    case "$arg" in
        --test) MODE=test ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $arg (usage: scripts/setup.sh [--test])" ;;
    esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"
TORCH_VERSION=2.13.0

command -v "$PYTHON" >/dev/null || die "$PYTHON not found (install python3 >= 3.11, or set PYTHON=...)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$PYTHON is $("$PYTHON" -V 2>&1); optviz needs Python >= 3.11"

# --- 1. Debian system packages ------------------------------------------------
# Qt (PySide6 wheels) needs these at run time; Numba's OpenMP layer needs libgomp1;
# xvfb + xauth give a real X server without a display (xvfb-run); fonts-noto-cjk draws the
# Chinese interface (View > Language) and figures instead of empty boxes.
APT_PACKAGES=(
    xvfb xauth
    libgl1 libegl1 libglx0 libglvnd0 libgl1-mesa-dri libglx-mesa0 libegl-mesa0
    fontconfig fonts-dejavu-core fonts-noto-cjk libfontconfig1 libfreetype6
    libgomp1 libglib2.0-0 libdbus-1-3
    libx11-6 libx11-xcb1 libxkbcommon0 libxkbcommon-x11-0
    libxcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
    libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0
    libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1
)
# Debian's python3 needs python3-venv for `python3 -m venv`.
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    APT_PACKAGES+=("python$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv")
fi

if [ "${OPTVIZ_SKIP_APT:-0}" = 1 ]; then
    say "system packages: skipped (OPTVIZ_SKIP_APT=1)"
elif ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    say "system packages: not a Debian system, skipped (Qt needs the equivalents of: ${APT_PACKAGES[*]})"
else
    missing=()
    installed="$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${APT_PACKAGES[@]}" 2>/dev/null || true)"
    for p in "${APT_PACKAGES[@]}"; do
        grep -q "^$p ii" <<<"$installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "system packages: all ${#APT_PACKAGES[@]} present"
    else
        SUDO=()
        if [ "$(id -u)" -ne 0 ]; then
            command -v sudo >/dev/null || die "not root and no sudo; install as root: apt-get install ${missing[*]}"
            SUDO=(sudo)
        fi
        say "system packages: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        say "system packages: done"
    fi
fi

# --- 2. virtual environment and optviz ---------------------------------------
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
    [ -e "$VENV" ] && { say "venv: $VENV is broken, recreating"; rm -rf "$VENV"; }
    say "venv: creating .venv with $("$PYTHON" -V 2>&1)"
    "$PYTHON" -m venv "$VENV"
else
    say "venv: .venv exists ($("$VENV/bin/python" -V 2>&1))"
fi
VPY="$VENV/bin/python"

# pip, quiet, without the warnings about configured local indexes that lack a package.
pip_q() {
    "$VPY" -m pip --disable-pip-version-check install -q --progress-bar off "$@" 2>&1 \
        | { grep -v "^WARNING: Location 'file:.*' is ignored: it is neither a file nor a directory" || true; }
}

hash_of() { "$VPY" -c 'import hashlib, sys; h = hashlib.sha256(); [h.update(open(f, "rb").read()) for f in sys.argv[2:]]; h.update(sys.argv[1].encode() + sys.version.encode()); print(h.hexdigest()[:16])' "$@"; }
stamp_app="$VENV/.setup-stamp-$(hash_of app pyproject.toml)"
stamp_test="$VENV/.setup-stamp-$(hash_of test pyproject.toml)"
if [ "$MODE" = test ]; then stamp="$stamp_test"; extra="[test]"; else stamp="$stamp_app"; extra=""; fi

if [ "$MODE" = app ] && [ -e "$stamp_test" ]; then stamp="$stamp_test"; fi
if [ -e "$stamp" ]; then
    say "pip: up to date (stamp $(basename "$stamp"))"
else
    say "pip: installing optviz${extra} (editable) into .venv, this takes a few minutes the first time"
    pip_q -e ".${extra}"
    rm -f "$VENV"/.setup-stamp-*
    touch "$stamp"
    say "pip: done"
fi

# --- 3. optional: live PyTorch reference for the tests (--test only) ----------
# Only from a local wheel: pip must never fetch torch (GBs, CUDA) from an index.
if [ "$MODE" = test ]; then
    have_torch="$("$VPY" -c 'import importlib.metadata as m
try: print(m.version("torch"))
except m.PackageNotFoundError: print("")')"
    if [ "${have_torch%%+*}" = "$TORCH_VERSION" ]; then
        say "torch: $have_torch present (optional live reference)"
    else
        # find-links directories from pip's configuration and environment, plus /opt/wheels.
        dirs=()
        while IFS= read -r line; do
            val="${line#*=}"; val="${val#\'}"; val="${val%\'}"; val="${val#\"}"; val="${val%\"}"
            for d in $val; do dirs+=("${d#file://}"); done
        done < <("$VPY" -m pip config list 2>/dev/null | grep -E '\.find-links=' || true)
        for d in ${PIP_FIND_LINKS:-} /opt/wheels; do dirs+=("${d#file://}"); done
        pytag="$("$VPY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
        arch="$(uname -m)"
        wheel=""
        for d in "${dirs[@]}"; do
            [ -d "$d" ] || continue
            for w in "$d"/torch-"$TORCH_VERSION"*-"$pytag"-"$pytag"-*linux*_"$arch".whl; do
                [ -f "$w" ] && { wheel="$w"; break 2; }
            done
        done
        if [ -z "$wheel" ]; then
            say "torch: no local torch-$TORCH_VERSION wheel for $pytag/$arch in find-links or /opt/wheels; skipped (torch tests will skip)"
        else
            say "torch: installing $(basename "$wheel") from $(dirname "$wheel")"
            # Step 1 installs torch itself from the local directory only; step 2 then
            # finds torch satisfied and fetches only its small pure-Python dependencies.
            pip_q --no-index --find-links "$(dirname "$wheel")" --no-deps "torch==$TORCH_VERSION"
            pip_q "torch==$TORCH_VERSION"
            say "torch: done"
        fi
    fi
fi

say "ready ($MODE): run $( [ "$MODE" = test ] && echo '.venv/bin/python -m pytest' || echo '.venv/bin/optviz')"
