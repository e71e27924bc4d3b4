#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, for trying `gridrun` job arrays and
# testing the Slurm poller without a real cluster.
#
#   scripts/slurm-local.sh start    install (Debian packages) and start; no-op if running
#   scripts/slurm-local.sh stop     cancel every job, stop the daemons (by pid file)
#   scripts/slurm-local.sh status   daemons and `sinfo`; exit 0 only if all are up
#
# Needs root and Debian (bookworm: Slurm 22.05). There is no systemd here and
# installing the packages starts no service, so munged, slurmctld and slurmd
# are started by hand, each with a pid file, and stopped only through it.
# No cgroups either: linuxproc process tracking, no task plugin.
#
# Environment:
#   SLURM_LOCAL_DIR      state, spool, logs, pid files (default /var/lib/slurm-local)
#   SLURM_LOCAL_TIMEOUT  seconds to wait for the node to become idle (default 60)
set -euo pipefail

DIR=${SLURM_LOCAL_DIR:-/var/lib/slurm-local}
TIMEOUT=${SLURM_LOCAL_TIMEOUT:-60}
CONF=/etc/slurm/slurm.conf
MUNGE_PID=/run/munge/munged.pid
CTLD_PID=$DIR/slurmctld.pid
SLURMD_PID=$DIR/slurmd.pid
PARTITION=local

log() { printf 'slurm-local: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# pid_alive PIDFILE COMM: the pid in PIDFILE runs and is named COMM. Checking the
# name guards against a stale pid file whose pid was reused by another process.
pid_alive() {
    local pid
    [[ -s $1 ]] || return 1
    pid=$(<"$1")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/comm && $(</proc/"$pid"/comm) == "$2" ]]
}

all_running() {
    pid_alive "$MUNGE_PID" munged && pid_alive "$CTLD_PID" slurmctld &&
        pid_alive "$SLURMD_PID" slurmd
}

install_packages() {
    local cmds=(munged slurmctld slurmd sbatch)
    local c missing=0
    for c in "${cmds[@]}"; do command -v "$c" >/dev/null || missing=1; done
    ((missing)) || return 0
    [[ $(id -u) == 0 ]] || die "installing Slurm needs root"
    local pkgs=(munge slurmctld slurmd slurm-client)
    log "installing ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "${pkgs[@]}" >"$DIR/apt.log" 2>&1; then
        log "package not found? running apt-get update first"
        apt-get update -q >>"$DIR/apt.log" 2>&1 || die "apt-get update failed, see $DIR/apt.log"
        apt-get install -y -q --no-install-recommends "${pkgs[@]}" >>"$DIR/apt.log" 2>&1 ||
            die "apt-get install failed, see $DIR/apt.log"
    fi
}

start_munge() {
    pid_alive "$MUNGE_PID" munged && return 0
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
    if [[ ! -s /etc/munge/munge.key ]]; then
        log "creating /etc/munge/munge.key"
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
    rm -f "$MUNGE_PID"
    runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGE_PID" ||
        die "munged did not start, see /var/log/munge/munged.log"
}

# node_line: "NodeName=... CPUs=... Sockets=... CoresPerSocket=... ThreadsPerCore=...
# RealMemory=..." from `slurmd -C`. Without the measured RealMemory Slurm assumes
# 1 MB and rejects every job that asks for --mem.
node_line() {
    local name=$1 kv cpus=1 boards=1 spb=1 cores=1 threads=1 mem=1
    for kv in $(slurmd -C | head -n 1); do
        case $kv in
            CPUs=*) cpus=${kv#*=} ;;
            Boards=*) boards=${kv#*=} ;;
            SocketsPerBoard=*) spb=${kv#*=} ;;
            CoresPerSocket=*) cores=${kv#*=} ;;
            ThreadsPerCore=*) threads=${kv#*=} ;;
            RealMemory=*) mem=${kv#*=} ;;
        esac
    done
    printf 'NodeName=%s NodeAddr=127.0.0.1 CPUs=%s Sockets=%s CoresPerSocket=%s ThreadsPerCore=%s RealMemory=%s State=UNKNOWN\n' \
        "$name" "$cpus" "$((boards * spb))" "$cores" "$threads" "$mem"
}

write_conf() {
    local name tmp
    name=$(hostname -s)
    tmp=$(mktemp)
    cat >"$tmp" <<EOF
# Written by gridrun scripts/slurm-local.sh: a one-node cluster on localhost.
ClusterName=gridrun-local
SlurmctldHost=$name(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
# No cgroups on these machines.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# No slurmdbd, so no sacct: the text job log keeps per-task exit codes.
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# Start the next array task at once instead of after a 2-3 s scheduler gap.
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
$(node_line "$name")
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    install -d -m 0755 /etc/slurm
    if ! cmp -s "$tmp" "$CONF"; then
        install -m 0644 "$tmp" "$CONF"
    fi
    rm -f "$tmp"
}

start_slurm() {
    install -d -m 0755 "$DIR/ctld" "$DIR/slurmd"
    if ! pid_alive "$CTLD_PID" slurmctld; then
        rm -f "$CTLD_PID"
        slurmctld || die "slurmctld did not start, see $DIR/slurmctld.log"
    fi
    if ! pid_alive "$SLURMD_PID" slurmd; then
        rm -f "$SLURMD_PID"
        slurmd || die "slurmd did not start, see $DIR/slurmd.log"
    fi
}

node_state() { sinfo -h -N -o '%T' 2>/dev/null | head -n 1; }

node_ready() {
    case $(node_state) in
        idle | mixed | allocated | completing) return 0 ;;
        *) return 1 ;;
    esac
}

# A node left down or drained (e.g. killed mid-job) is resumed once.
wait_idle() {
    local deadline=$((SECONDS + TIMEOUT)) state='' resumed=0
    while ((SECONDS < deadline)); do
        node_ready && return 0
        state=$(node_state)
        if [[ $state == down* || $state == drain* ]] && ((!resumed)); then
            log "node is $state: resuming it"
            scontrol update NodeName="$(hostname -s)" State=RESUME || true
            resumed=1
        fi
        sleep 0.2
    done
    log "last lines of $DIR/slurmctld.log:"
    tail -n 5 "$DIR/slurmctld.log" >&2 || true
    log "last lines of $DIR/slurmd.log:"
    tail -n 5 "$DIR/slurmd.log" >&2 || true
    die "node not idle after ${TIMEOUT}s (sinfo state: '${state:-none}')"
}

cmd_start() {
    if all_running && node_ready; then
        log "already running"
        return 0
    fi
    install -d -m 0755 "$DIR"
    local t0=$SECONDS
    install_packages
    start_munge
    write_conf
    start_slurm
    wait_idle
    log "up in $((SECONDS - t0))s: partition '$PARTITION', node $(hostname -s) $(node_state)"
}

# stop_pid PIDFILE COMM: TERM, wait up to 10 s, then KILL; only that pid.
stop_pid() {
    local pid i
    pid_alive "$1" "$2" || { rm -f "$1"; return 0; }
    pid=$(<"$1")
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        pid_alive "$1" "$2" || { rm -f "$1"; return 0; }
        sleep 0.1
    done
    log "$2 ($pid) ignored TERM, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$1"
}

# Stopping slurmd leaves running jobs alive, so cancel them first and wait.
cancel_jobs() {
    pid_alive "$CTLD_PID" slurmctld || return 0
    local jobs i
    jobs=$(squeue -h -o '%A' 2>/dev/null | sort -u | tr '\n' ' ')
    [[ -n ${jobs// /} ]] || return 0
    log "cancelling jobs: $jobs"
    # shellcheck disable=SC2086 # job ids are plain numbers
    scancel $jobs 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        [[ -z $(squeue -h -o '%A' 2>/dev/null) ]] && return 0
        sleep 0.1
    done
    log "jobs still listed after 10 s; stopping anyway"
}

cmd_stop() {
    cancel_jobs
    stop_pid "$SLURMD_PID" slurmd
    stop_pid "$CTLD_PID" slurmctld
    stop_pid "$MUNGE_PID" munged
    log "stopped"
}

cmd_status() {
    local ok=0 entry
    for entry in "$MUNGE_PID:munged" "$CTLD_PID:slurmctld" "$SLURMD_PID:slurmd"; do
        if pid_alive "${entry%%:*}" "${entry##*:}"; then
            printf '%-10s running (pid %s)\n' "${entry##*:}" "$(<"${entry%%:*}")"
        else
            printf '%-10s stopped\n' "${entry##*:}"
            ok=3
        fi
    done
    if pid_alive "$CTLD_PID" slurmctld; then
        sinfo || ok=3
    fi
    return "$ok"
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 start|stop|status" >&2
        exit 2
        ;;
esac
