#!/bin/bash
# cairn bench under Open MPI's mpirun: mpirun starts the ranks, Cairn reads its rank from
# OMPI_COMM_WORLD_RANK/SIZE/LOCAL_RANK/LOCAL_SIZE (collectives/bootstrap.h) and meets the
# others at the rendezvous store of rank 0, which needs MASTER_ADDR and a shared secret.
#
#   deploy/mpirun/cairn-bench-mpirun.sh hosts.txt 4            # 4 ranks per host
#   deploy/mpirun/cairn-bench-mpirun.sh hosts.txt 4 --backend ucx -b 1K -e 256M -f 2
#
# hosts.txt: one host name per line (the first one runs rank 0). Extra arguments go to
# `cairn bench` (COMMAND=tune runs `cairn tune` the same way; COMMAND=acceptance accepts or
# rejects the hosts: `COMMAND=acceptance ... hosts.txt 8 --backend nccl --expect node.json`).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 HOSTFILE RANKS_PER_HOST [cairn bench options...]" >&2
  exit 2
fi
HOSTFILE=$1
PER_HOST=$2
shift 2
CAIRN=${CAIRN:-cairn}

HOSTS=$(grep -v '^\s*\(#\|$\)' "$HOSTFILE" | awk '{print $1}')
NHOSTS=$(echo "$HOSTS" | wc -l)
# mpirun places ranks by slot in host-file order, so rank 0 runs on the first host.
export MASTER_ADDR=$(echo "$HOSTS" | head -n 1)
export MASTER_PORT=${MASTER_PORT:-29500}
CAIRN_SECRET=${CAIRN_SECRET:-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}
export CAIRN_SECRET

if [ $# -eq 0 ] && [ "${COMMAND:-bench}" != acceptance ]; then set -- --backend nccl --op all_reduce -b 8 -e 1G -f 2; fi

HOSTFILE_SLOTS=$(mktemp)
trap 'rm -f "$HOSTFILE_SLOTS"' EXIT
echo "$HOSTS" | sed "s/\$/ slots=$PER_HOST/" > "$HOSTFILE_SLOTS"

# -x exports the variables to the remote ranks; --map-by ppr:N:node with --bind-to core
# gives each rank its own cores.
mpirun -np $((NHOSTS * PER_HOST)) \
  --hostfile "$HOSTFILE_SLOTS" \
  --map-by "ppr:$PER_HOST:node" --bind-to core \
  -x MASTER_ADDR -x MASTER_PORT -x CAIRN_SECRET -x PATH -x LD_LIBRARY_PATH \
  "$CAIRN" "${COMMAND:-bench}" "$@"
