# shellcheck shell=bash
# One EXIT trap for a script that starts servers (scripts/test): each server registers how to
# stop it (`ossit_at_exit FUNCTION`) before it starts, and `ossit_cleanup` runs every such
# function at exit, whatever fails among them, then exits with the status the script had.
#
#   source scripts/lib/cleanup.sh
#   trap ossit_cleanup EXIT
#   stop_db() { ossit_stop_pidfile "$DIR/db.pid"; ossit_remove_dir "$DIR"; }
#   ossit_at_exit stop_db
#
# Why: under `set -e` a failing command inside a trap ends the trap (so later servers are left
# running) and replaces the script's status with its own. Seen: the suite passed, then
# `rm -rf` of Redis's folder failed because Redis, sent SIGTERM a moment before, was still
# writing its log; the trap stopped there, PostgreSQL kept running, and the run exited 1.
# Tested by tests/test_cleanup_trap.py.

OSSIT_CLEANUPS=()

# Register a function to run at exit (in the order registered).
ossit_at_exit() {
    OSSIT_CLEANUPS+=("$1")
}

# The EXIT trap: every registered function, each failure reported and passed over, then the
# script's own status.
ossit_cleanup() {
    local status=$? step
    set +e
    for step in ${OSSIT_CLEANUPS[@]+"${OSSIT_CLEANUPS[@]}"}; do
        "$step" || printf 'cleanup: %s failed (status %s); carrying on\n' "$step" "$?" >&2
    done
    exit "$status"
}

# Whether process $1 still runs (an exited process nobody has reaped yet does not).
ossit_alive() {
    kill -0 "$1" 2>/dev/null || return 1
    [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]
}

# Stop the process whose pid file is $1: SIGTERM, wait until it has exited (up to $2 seconds,
# default 10), then SIGKILL. A missing or empty pid file means nothing to stop.
ossit_stop_pidfile() {
    local pid tries
    [[ -s "$1" ]] || return 0
    pid=$(<"$1")
    [[ "$pid" =~ ^[0-9]+$ ]] || { printf 'cleanup: %s holds no pid\n' "$1" >&2; return 1; }
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((tries = ${2:-10} * 10; tries > 0; tries--)); do
        ossit_alive "$pid" || return 0
        sleep 0.1
    done
    printf 'cleanup: pid %s ignored SIGTERM for %s s: SIGKILL\n' "$pid" "${2:-10}" >&2
    kill -KILL "$pid" 2>/dev/null
    for ((tries = 50; tries > 0; tries--)); do
        ossit_alive "$pid" || return 0
        sleep 0.1
    done
    return 1
}

# Remove directory $1, retrying a moment if something was still writing into it.
ossit_remove_dir() {
    local tries
    for ((tries = 5; tries > 0; tries--)); do
        rm -rf "$1" 2>/dev/null && return 0
        sleep 0.2
    done
    rm -rf "$1"
}
