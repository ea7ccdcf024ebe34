#!/usr/bin/env bash
# Trainyard end to end over REST, as a new user runs it: upload Fashion-MNIST, validate the
# model, submit a training job, watch it, page its metrics, list checkpoints, download the
# weights (safetensors, with the ETag) and ask for predictions.
#
# It starts nothing: point it at a running service.
#
#   TRAINYARD_URL=http://127.0.0.1:3000 TRAINYARD_KEY=<key> examples/api-walkthrough.sh
#
# Options (environment):
#   FMNIST_DIR   the gzipped IDX files (default /usr/share/datasets/fashion-mnist,
#                from `apt-get install dataset-fashion-mnist`)
#   EPOCHS       training epochs (default 5)
#   OUT          where the weights file is written (default ./fashion-mnist-mlp.safetensors)
#   POLL_SECONDS how often the job is polled (default 10)
#
# Needs curl, and jq if installed (node otherwise, or with NO_JQ=1) for reading JSON.
set -euo pipefail

URL="${TRAINYARD_URL:-http://127.0.0.1:3000}"
KEY="${TRAINYARD_KEY:?set TRAINYARD_KEY to an API key (npx trainyard keys create --tenant me)}"
DATA="${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}"
EPOCHS="${EPOCHS:-5}"
OUT="${OUT:-./fashion-mnist-mlp.safetensors}"
POLL="${POLL_SECONDS:-10}"
AUTH=(-H "Authorization: Bearer $KEY")
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# json EXPR: read JSON on stdin and print a jq expression of it (jq, or a node fallback that
# understands the simple paths this script uses: .a.b, .a[0].b, .a | length).
have_jq() { [ -z "${NO_JQ:-}" ] && command -v jq >/dev/null 2>&1; }
if have_jq; then
  json() { jq -rc "$1"; }
else
  json() {
    node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        let expr = process.argv[1].trim(), len = false;
        if (expr.endsWith("| length")) { len = true; expr = expr.slice(0, -8).trim(); }
        let v = JSON.parse(s);
        for (const m of expr.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[(-?\d+)\]/g)) {
          if (v == null) break;
          v = m[1] !== undefined ? v[m[1]] : v.at(Number(m[2]));
        }
        if (len) v = v == null ? 0 : v.length;
        console.log(v === undefined || v === null ? "null" : typeof v === "object" ? JSON.stringify(v) : String(v));
      });' "$1"
  }
fi

now() { date +%s.%N; }
T_STEP=0
step() { T_STEP=$(now); printf '\n== %s\n' "$*"; }
took() { awk -v a="$T_STEP" -v b="$(now)" 'BEGIN { printf "-- took %.2f s\n", b - a }'; }

# api METHOD PATH [curl args...]: prints the body; fails (with the error body) on >= 400.
api() {
  local method=$1 path=$2; shift 2
  local code
  code=$(curl -sS -o "$TMP/body" -w '%{http_code}' -X "$method" "${AUTH[@]}" "$@" "$URL$path")
  if [ "$code" -ge 400 ]; then
    echo "HTTP $code from $method $path:" >&2; cat "$TMP/body" >&2; echo >&2
    return 1
  fi
  cat "$TMP/body"
}

step "0. the service is up, and who am I"
curl -sS "$URL/readyz"; echo
api GET /v1/tenant; echo
took

step "1. upload the training set (multipart, gzipped IDX files: x = images, y = labels)"
api POST /v1/datasets \
  -F format=idx -F name=fashion-mnist-train \
  -F "x=@$DATA/train-images-idx3-ubyte.gz" \
  -F "y=@$DATA/train-labels-idx1-ubyte.gz" > "$TMP/dataset.json"
if have_jq; then
  jq -c '{id, sampleShape, count, numClasses, classCounts, bytes, sha256}' < "$TMP/dataset.json"
else
  cat "$TMP/dataset.json"; echo
fi
DATASET=$(json .id < "$TMP/dataset.json")
echo "dataset id: $DATASET"
took

# The classic Keras model. Keras: Rescaling(1/255), Flatten(input_shape=(28, 28)),
# Dense(128, relu), Dense(10, softmax).
MODEL='{
  "inputShape": [28, 28],
  "layers": [
    { "type": "rescaling", "scale": 0.00392156862745098 },
    { "type": "flatten" },
    { "type": "dense", "units": 128, "activation": "relu" },
    { "type": "dense", "units": 10, "activation": "softmax" }
  ]
}'

step "2. validate the model spec (dry run: shapes, parameters, FLOPs, memory, limits)"
api POST '/v1/models/validate?batchSize=32&optimizer=adam' -H 'content-type: application/json' -d "$MODEL" > "$TMP/validate.json"
if have_jq; then
  jq -c '{valid, withinLimits, totalParams: .summary.totalParams, outputShape: .summary.outputShape,
          layers: [.summary.layers[] | {name, type, outputShape, params}]}' < "$TMP/validate.json"
else
  cat "$TMP/validate.json"; echo
fi
took

step "3. submit the training job"
cat > "$TMP/job.json" <<EOF
{
  "name": "fashion-mnist-mlp",
  "datasetId": "$DATASET",
  "model": $MODEL,
  "training": {
    "optimizer": { "type": "adam", "learningRate": 0.001 },
    "loss": "sparseCategoricalCrossentropy",
    "metrics": ["accuracy"],
    "batchSize": 32,
    "epochs": $EPOCHS,
    "validationSplit": 0.1
  }
}
EOF
api POST /v1/jobs -H 'content-type: application/json' -H "Idempotency-Key: walkthrough-$DATASET" \
  --data-binary "@$TMP/job.json" > "$TMP/created.json"
JOB=$(json .id < "$TMP/created.json")
echo "job id: $JOB  status: $(json .status < "$TMP/created.json")  estimate: $(json .estimate < "$TMP/created.json")"
echo "training (defaults filled in): $(json .training < "$TMP/created.json")"
took

step "4. follow the live event stream for 8 seconds (Server-Sent Events)"
# --max-time ends curl after 8 s (exit code 28): that is expected here.
curl -sS -N --max-time 8 "${AUTH[@]}" "$URL/v1/jobs/$JOB/events" > "$TMP/events.txt" || true
grep -E '^event:' "$TMP/events.txt" | sort | uniq -c
echo "first events:"; head -n 12 "$TMP/events.txt" | cut -c1-240
echo "last progress: $(grep -A2 '^event: progress' "$TMP/events.txt" | grep '^data:' | tail -n1 | cut -c1-240)"
took

step "5. poll GET /v1/jobs/$JOB until it finishes (every $POLL s)"
while true; do
  api GET "/v1/jobs/$JOB" > "$TMP/job-state.json"
  STATUS=$(json .status < "$TMP/job-state.json")
  printf '%s status=%s phase=%s progress=%s latest=%s\n' "$(date -u +%H:%M:%S)" "$STATUS" \
    "$(json .phase < "$TMP/job-state.json")" "$(json .progress < "$TMP/job-state.json")" \
    "$(json .latestMetrics < "$TMP/job-state.json")"
  case "$STATUS" in succeeded|failed|cancelled) break ;; esac
  sleep "$POLL"
done
echo "transitions: $(json .transitions < "$TMP/job-state.json")"
[ "$STATUS" = succeeded ] || { echo "job $STATUS: $(json .failure < "$TMP/job-state.json")" >&2; exit 1; }
took

step "6. page the metrics (per-epoch series, then the per-step loss downsampled to 10 points)"
api GET "/v1/jobs/$JOB/metrics?series=epoch_loss,epoch_accuracy,val_loss,val_accuracy" > "$TMP/m.json"
if have_jq; then
  jq -r '.points[] | "\(.series)\tepoch \(.epoch)\tstep \(.step)\t\(.value)"' < "$TMP/m.json"
else
  cat "$TMP/m.json"; echo
fi
# Paging: 1000 points at a time, following `next` until it is null.
PAGES=0; POINTS=0; AFTER=""
while :; do
  api GET "/v1/jobs/$JOB/metrics?series=loss&limit=1000${AFTER:+&after=$AFTER}" > "$TMP/p.json"
  PAGES=$((PAGES + 1)); POINTS=$((POINTS + $(json '.points | length' < "$TMP/p.json")))
  AFTER=$(json .next < "$TMP/p.json"); [ "$AFTER" = null ] && break
done
echo "per-step loss: $POINTS points in $PAGES pages"
api GET "/v1/jobs/$JOB/metrics?series=loss&maxPoints=10" > "$TMP/d.json"
if have_jq; then jq -c '[.points[] | [.step, (.value * 1000 | round / 1000)]]' < "$TMP/d.json"; else cat "$TMP/d.json"; echo; fi
took

step "7. list the checkpoints"
api GET "/v1/jobs/$JOB/checkpoints" > "$TMP/ck.json"
if have_jq; then
  jq -c '.checkpoints[] | {kind, epoch, step, size, latest, best, metrics}' < "$TMP/ck.json"
  jq -c '{latest, best, bestMetric}' < "$TMP/ck.json"
else
  cat "$TMP/ck.json"; echo
fi
took

step "8. download the weights (safetensors), then again with If-None-Match"
curl -sS -D "$TMP/headers" -o "$OUT" "${AUTH[@]}" "$URL/v1/jobs/$JOB/weights?format=safetensors"
grep -iE '^(HTTP|etag|content-type|content-length|content-disposition|x-trainyard-checkpoint)' "$TMP/headers"
ETAG=$(grep -i '^etag:' "$TMP/headers" | cut -d' ' -f2- | tr -d '\r')
HLEN=$(od -An -tu8 -N8 "$OUT" | tr -d ' ')
echo "saved $OUT ($(wc -c < "$OUT") bytes); header: $(dd if="$OUT" bs=1 skip=8 count="$HLEN" 2>/dev/null)"
echo -n "again with If-None-Match: "
curl -sS -o /dev/null -w 'HTTP %{http_code}\n' "${AUTH[@]}" -H "If-None-Match: $ETAG" "$URL/v1/jobs/$JOB/weights"
took

step "9. predict: the first 5 test images (raw pixels 0..255; the model rescales them)"
node -e '
  const zlib = require("node:zlib"), fs = require("node:fs");
  const dir = process.argv[1];
  const x = zlib.gunzipSync(fs.readFileSync(dir + "/t10k-images-idx3-ubyte.gz"));
  const y = zlib.gunzipSync(fs.readFileSync(dir + "/t10k-labels-idx1-ubyte.gz"));
  const n = 5, inputs = [];
  for (let i = 0; i < n; i++) {
    const img = [];
    for (let r = 0; r < 28; r++) img.push(Array.from(x.subarray(16 + i * 784 + r * 28, 16 + i * 784 + (r + 1) * 28)));
    inputs.push(img);
  }
  fs.writeFileSync(process.argv[2], JSON.stringify({ inputs }));
  console.log("true labels:", Array.from(y.subarray(8, 8 + n)).join(" "));
' "$DATA" "$TMP/predict.json"
api POST "/v1/jobs/$JOB/predict" -H 'content-type: application/json' --data-binary "@$TMP/predict.json" > "$TMP/pred.json"
echo "predicted:   $(json .classes < "$TMP/pred.json")"
if have_jq; then
  jq -c '{checkpoint, outputs0: (.outputs[0] | map(. * 10000 | round / 10000))}' < "$TMP/pred.json"
fi
took

printf '\ndone: job %s, weights in %s\n' "$JOB" "$OUT"
