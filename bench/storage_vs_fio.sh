#!/usr/bin/env bash
# `cairn probe storage` beside fio on the same directory, file sizes, block sizes, thread
# counts, direct flag and access patterns (issue 22, done-when 1; docs/storage.md): three
# rounds, Cairn then fio in each, and a table of Cairn/fio ratios (the median of the
# rounds) per pattern. Both drop the page cache before reading (Cairn's fadvise, fio's
# invalidate=1) unless --direct.
#
#   bench/storage_vs_fio.sh DIR [--direct] [--threads N] [--size BYTES]   (needs fio and jq)
#
# CAIRN (default build/bin/cairn) names the binary; ROUNDS (default 3) the rounds.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DIR [--direct] [--threads N] [--size BYTES]" >&2; exit 2; }
dir=$1; shift
direct=0 threads=4 size=2G
while [ $# -gt 0 ]; do
  case $1 in
    --direct) direct=1; shift ;;
    --threads) threads=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    *) echo "$0: unknown argument $1" >&2; exit 2 ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cairn=${CAIRN:-$root/build/bin/cairn}
rounds=${ROUNDS:-3}
for tool in fio jq "$cairn"; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found (scripts/deps.sh installs fio and jq)" >&2; exit 2; }
done

work=$(mktemp -d "$dir/storage-vs-fio-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

cairn_flags=(--threads "$threads" --size "$size" --block-bytes 1M --piece-bytes 16K --json)
[ "$direct" = 1 ] && cairn_flags+=(--direct)

# Each thread's file: Cairn's rule (whole 1 MiB blocks of size / threads), so both tools
# move the same bytes.
size_bytes=$(numfmt --from=iec "$size")
file_mib=$(( size_bytes / threads / 1048576 ))

# The same jobs for fio: psync pread/pwrite (Cairn's system calls), one file a job, no
# preallocation (Cairn's files grow as they are written), fsync at the end of the write.
fio_job() {  # name rw bs [extra...]
  local name=$1 rw=$2 bs=$3; shift 3
  fio --output-format=json --name="$name" --directory="$work" --filename_format='fio.$jobnum' \
      --ioengine=psync --rw="$rw" --bs="$bs" --size="${file_mib}M" --numjobs="$threads" \
      --direct="$direct" --invalidate=1 --fallocate=none --group_reporting "$@"
}

declare -A cairn_gb fio_gb
patterns=(write sequential_read random_read)
for r in $(seq 1 "$rounds"); do
  c=$("$cairn" probe storage "$work" "${cairn_flags[@]}")
  cairn_gb[write,$r]=$(jq .figures.write_gb_s <<<"$c")
  cairn_gb[sequential_read,$r]=$(jq .figures.sequential_read_gb_s <<<"$c")
  cairn_gb[random_read,$r]=$(jq .figures.random_read_gb_s <<<"$c")

  rm -f "$work"/fio.*
  fio_gb[write,$r]=$(fio_job write write 1M --end_fsync=1 | jq '.jobs[0].write.bw_bytes / 1e9')
  fio_gb[sequential_read,$r]=$(fio_job read read 1M | jq '.jobs[0].read.bw_bytes / 1e9')
  fio_gb[random_read,$r]=$(fio_job randread randread 16K | jq '.jobs[0].read.bw_bytes / 1e9')
  rm -f "$work"/fio.*
  echo "round $r: cairn write ${cairn_gb[write,$r]} read ${cairn_gb[sequential_read,$r]} random ${cairn_gb[random_read,$r]};" \
       "fio write ${fio_gb[write,$r]} read ${fio_gb[sequential_read,$r]} random ${fio_gb[random_read,$r]} (GB/s)" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

fs=$(df -T "$dir" | awk 'NR==2 {print $2}')
printf 'Cairn beside fio on %s (%s), %d threads, %d MiB a file, direct=%d, %d rounds (medians)\n' \
       "$dir" "$fs" "$threads" "$file_mib" "$direct" "$rounds"
printf '%-18s %12s %12s %8s   %s\n' pattern "cairn GB/s" "fio GB/s" ratio "rounds (cairn/fio)"
for p in "${patterns[@]}"; do
  cs=() fs_=() rs=()
  for r in $(seq 1 "$rounds"); do
    cs+=("${cairn_gb[$p,$r]}"); fs_+=("${fio_gb[$p,$r]}")
    rs+=("$(awk -v a="${cairn_gb[$p,$r]}" -v b="${fio_gb[$p,$r]}" 'BEGIN {printf "%.2f", a / b}')")
  done
  cm=$(median "${cs[@]}"); fm=$(median "${fs_[@]}")
  printf '%-18s %12.3f %12.3f %8.2f   %s\n' "$p" "$cm" "$fm" "$(awk -v a="$cm" -v b="$fm" 'BEGIN {print a / b}')" "${rs[*]}"
done
