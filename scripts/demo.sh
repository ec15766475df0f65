#!/usr/bin/env bash
# Set-up command 1: install dependencies, build, and run Cairn's main job end to end on
# this machine — GPUs through NCCL if there are any, host ranks over UCX if not:
#   probe this node -> its topology -> every collective (cairn bench) -> the tuner's
#   profile for all_reduce, verified again (cairn tune) and its model at Alps' scale ->
#   a layout plan for Apertus 70B on 4096 GH200 (cairn plan) ->
#   all pairs of ranks (cairn pairs) -> the tiny model trained on real text -> a fault
#   drill under ft/ (a flipped bit repaired, a killed rank restarted) -> the node's
#   acceptance verdict (cairn acceptance) -> one HTML report
#   of all of it (cairn report).
# JSON results land in results/<date>/, the report in results/<date>/report.html.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh "$@"
cairn=$PWD/${CAIRN_BUILD_DIR:-build}/bin/cairn
out=results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

gpus=0
command -v nvidia-smi >/dev/null 2>&1 && gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
if [ "$gpus" -gt 0 ]; then backend=nccl ranks=$gpus; else backend=ucx ranks=4; fi
echo "== $(hostname): $gpus GPU(s); collectives on $backend with $ranks rank(s); results in $out"

echo "== cairn probe"
# A failed health check (exit 1) is a finding to read, not a reason to stop the tour.
"$cairn" probe || [ $? -eq 1 ]
"$cairn" probe --json >"$out/probe.json" || [ $? -eq 1 ]

echo "== cairn topo --matrix"
"$cairn" topo --matrix
"$cairn" topo --json >"$out/topo.json"

echo "== cairn bench: every collective, 8 B - 4 MiB"
"$cairn" launch -n "$ranks" -- "$cairn" bench --backend "$backend" --op all -b 8 -e 4M -f 8 -n 5 -c 1
# --no-prefix: rank 0's JSON as it printed it, without launch's "[rank 0] " on every line.
"$cairn" launch -n "$ranks" --no-prefix -- "$cairn" bench --backend "$backend" --op all -b 8 -e 4M -f 8 -n 5 -c 1 --json \
  >"$out/bench.json"

# The tuner: the fastest choice per size, proven over the noise, as a profile NCCL's plugin
# (or UCX) applies; then the same profile measured again against the defaults. One GPU
# has nothing to tune (a collective on one rank is a copy), so that case only predicts.
tune_ranks=$ranks
if [ "$backend" = ucx ]; then tune_ranks=2; fi
if [ "$tune_ranks" -ge 2 ]; then
  echo "== cairn tune: all_reduce 64 KiB - 4 MiB on $tune_ranks rank(s), profile in $out/tune"
  "$cairn" launch -n "$tune_ranks" -- "$cairn" tune --backend "$backend" --op all_reduce -b 64K -e 4M -f 4 --out "$out/tune"
  "$cairn" launch -n "$tune_ranks" -- "$cairn" tune --backend "$backend" --verify "$out/tune/profile.json" || [ $? -eq 1 ]
else
  echo "== cairn tune: skipped on one GPU (a collective on one rank is a copy: nothing to tune)"
fi
echo "== cairn tune --predict: NCCL's cost model on gh200-alps at 512 nodes"
"$cairn" tune --predict --cluster gh200-alps --nodes 512 --op all_reduce,all_gather,reduce_scatter -b 1K -e 1G -f 32

# The rate is an input (50 % of 989 TFLOP/s, an assumed MFU, not measured here): docs/plan.md.
echo "== cairn plan: apertus-70b on 4096 GH200, the run's TP 4 x PP 8 (v 5) and the 3 fastest layouts searched"
"$cairn" plan --model apertus-70b --gpus 4096 --node gh200-alps --tp 4 --pp 8 --virtual-stages 5 --micro-batch 1 \
  --batch 4096 --seq-len 4096 --optimizer ademamix --grad-reduce fp32 --ddp-bucket-size 10000000000 \
  --gpu-tflops 494.5 --top 1 --workload "$out/plan-workload.json"
"$cairn" plan --model apertus-70b --gpus 4096 --node gh200-alps --batch 4096 --seq-len 4096 --optimizer ademamix \
  --gpu-tflops 494.5 --top 3 | grep -A4 "layouts divide"

# Host ranks keep a CPU busy while they move data: more of them than CPUs would measure
# the scheduler, not the links (cairn pairs warns), so at most one rank per CPU here.
pair_ranks=$ranks
if [ "$backend" = ucx ] && [ "$pair_ranks" -gt "$(nproc)" ]; then pair_ranks=$(nproc); fi
[ "$pair_ranks" -ge 2 ] || pair_ranks=2
echo "== cairn pairs: $pair_ranks rank(s)"
"$cairn" launch -n "$pair_ranks" -- "$cairn" pairs --backend "$backend" --bytes 1M --iters 5 --output "$out/pairs.json" \
  || [ $? -eq 1 ]

# Data parallel: one rank per GPU, or 2 host ranks; a global batch of 16 sequences.
if [ "$gpus" -gt 0 ]; then train_ranks=$gpus; else train_ranks=2; fi
echo "== cairn train: tiny on the fortunes corpus, $train_ranks rank(s), checkpoints in $out/checkpoints"
mapfile -t texts < <(find /usr/share/games/fortunes -maxdepth 1 -type f ! -name '*.*' | sort)
"$cairn" data --fortune --input "${texts[@]}" --output "$out/fortunes.shard"
"$cairn" launch -n "$train_ranks" -- "$cairn" train --preset tiny --data "$out/fortunes.shard" --steps 300 \
  --batch $((16 / train_ranks > 0 ? 16 / train_ranks : 1)) --threads $(( $(nproc) / train_ranks > 0 ? $(nproc) / train_ranks : 1 )) --log-every 50 \
  --checkpoint-dir "$out/checkpoints" --checkpoint-every 100 --loss-log "$out/loss.tsv"
# A fault drill (docs/ft.md) on 2 host ranks: a bit flipped in transit at step 11 is found,
# named and repaired by the checked reduction (--sdc); rank 1 is killed at step 31 and
# cairn launch restarts the job, which resumes from its last verified checkpoint.
echo "== cairn train under ft/: a bit flip repaired, a killed rank restarted (incidents in $out/incidents.jsonl)"
"$cairn" launch -n 2 --max-restarts 1 --incidents "$out/incidents.jsonl" -- "$cairn" train --preset tiny \
  --data "$out/fortunes.shard" --steps 60 --batch 4 --threads 1 --log-every 20 --device cpu --backend ucx \
  --sdc --sdc-events "$out/sdc.jsonl" --loss-log "$out/drill-loss.tsv" \
  --checkpoint-dir "$out/drill" --checkpoint-every 20 --resume \
  --inject bitflip:rank=0,step=10,where=transit,bit=27 --inject kill:rank=1,step=30
# The node's verdict (docs/acceptance.md): on one machine its ranks are one node, so the
# probe and the node's rates (each GPU's GEMM and copy with NCCL) are judged; pairs and
# the job's all_reduce need two nodes or more.
echo "== cairn acceptance: $pair_ranks rank(s), verdict in $out/acceptance.json"
"$cairn" launch -n "$pair_ranks" -- "$cairn" acceptance --backend "$backend" --output "$out/acceptance.json" \
  || [ $? -eq 1 ]
# Everything above in one self-contained page (and a Markdown summary): whatever results
# this run produced (a one-GPU node has no tune profile). The drill's SDC event is marked
# on the training curves, the drill's own among them.
echo "== cairn report: $out/report.html"
results=()
for f in acceptance.json probe.json topo.json bench.json tune/profile.json pairs.json loss.tsv drill-loss.tsv sdc.jsonl incidents.jsonl; do
  [ -s "$out/$f" ] && results+=("$out/$f")
done
"$cairn" report "${results[@]}" -o "$out/report.html" --markdown "$out/summary.md"
echo "== done: $out"
