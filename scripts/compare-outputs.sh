#!/usr/bin/env bash
# Behaviour check for a refactor: runs two spanwatch binaries side by side on every capture of
# ../shared/pcaps (`decode`, every event type) and on the sample plants (`run` with the policy
# layer, and `learn` writing a baseline), and compares the outputs byte for byte.
#
#   scripts/compare-outputs.sh OLD_BINARY NEW_BINARY
#
# Prints one line per difference (the input and the first differing line) and a summary; exits 1
# when anything differs. Outputs are kept under $OUT (default /tmp/spanwatch-compare) for a look.
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: $0 OLD_BINARY NEW_BINARY}
new=${2:?usage: $0 OLD_BINARY NEW_BINARY}
corpus=${CORPUS:-../shared/pcaps}
out=${OUT:-/tmp/spanwatch-compare}
rm -rf "$out"
mkdir -p "$out/old" "$out/new"

same=0
differ=0
reordered=0
# JSON lines with their members sorted (to tell a change of member order from a change of content).
sorted_members() {
    python3 -c '
import json, sys
for line in sys.stdin:
    try:
        print(json.dumps(json.loads(line), sort_keys=True))
    except ValueError:
        print(line, end="")
' 2>/dev/null
}
compare() {  # NAME: compares $out/old/NAME with $out/new/NAME
    # The output's own path appears in stats records: compare it as one name.
    if cmp -s <(sed "s#$out/old/#OUT/#g" "$out/old/$1") <(sed "s#$out/new/#OUT/#g" "$out/new/$1"); then
        same=$((same + 1))
    elif cmp -s <(sed "s#$out/old/#OUT/#g" "$out/old/$1" | sorted_members) <(sed "s#$out/new/#OUT/#g" "$out/new/$1" | sorted_members); then
        reordered=$((reordered + 1))
        echo "SAME CONTENT, OTHER MEMBER ORDER: $1"
    else
        differ=$((differ + 1))
        echo "DIFFERS: $1"
        diff <(sed "s#$out/old/#OUT/#g" "$out/old/$1") <(sed "s#$out/new/#OUT/#g" "$out/new/$1") | head -4 | cut -c1-300 | sed 's/^/    /' || true
    fi
}

# Every capture of the corpus, every event type; stderr (summary, read errors) compared too.
while IFS= read -r capture; do
    name=$(echo "${capture#"$corpus"/}" | tr '/' '_')
    for side in old new; do
        binary=$old
        [ "$side" = new ] && binary=$new
        "$binary" decode -r "$capture" >"$out/$side/$name.jsonl" 2>"$out/$side/$name.stderr" || echo "exit $?" >>"$out/$side/$name.stderr"
    done
    compare "$name.jsonl"
    compare "$name.stderr"
done < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)

# The sample config without its limits section (keys a newer build may have added; both builds
# then use their defaults), for the scenarios that have no config of their own.
python3 - "$out/spanwatch.yaml" <<'PY'
import re, sys
text = open("config/spanwatch.yaml").read()
open(sys.argv[1], "w").write(re.sub(r"(?ms)^limits:.*?(?=^\S|\Z)", "", text))
PY

# The policy layer: the real-implementation plant (learn 60 s, then monitor), the synthetic
# sample, and the scenario captures each monitored against the scenarios' learned baseline.
for side in old new; do
    binary=$old
    [ "$side" = new ] && binary=$new
    dir=$out/$side/plant
    mkdir -p "$dir"
    (cd "$dir" && "$binary" run -r "$OLDPWD/samples/plant/plant.pcap" -c "$OLDPWD/samples/plant/spanwatch.yaml" --eve eve.json >stdout 2>stderr || true)
    "$binary" learn -r samples/plant/plant.pcap -o "$out/$side/plant-learned.yaml" >/dev/null 2>&1 || true
    "$binary" decode -r samples/sample-plant.pcap >"$out/$side/sample.jsonl" 2>/dev/null || true
    scenarios=Tests/SpanwatchEndToEndTests/Scenarios
    for folder in "$scenarios"/*/; do
        base=$(basename "$folder")
        config=$out/spanwatch.yaml
        [ -f "$folder/config.yaml" ] && config=$folder/config.yaml
        learning=$scenarios/plant-learn.pcap
        [ -f "$folder/learn.pcap" ] && learning=$folder/learn.pcap
        "$binary" learn -r "$learning" -c "$config" -o "$out/$side/scenario-$base.yaml" >/dev/null 2>&1 || true
        "$binary" run -r "$folder/monitor.pcap" -c "$config" -b "$out/$side/scenario-$base.yaml" --eve "$out/$side/scenario-$base.jsonl" \
            >/dev/null 2>&1 || true
    done
done
for file in plant/eve.json plant/stdout plant/stderr plant/sample-plant-baseline.yaml plant-learned.yaml sample.jsonl; do
    [ -e "$out/old/$file" ] || [ -e "$out/new/$file" ] || continue
    compare "$file"
done
for file in "$out"/old/scenario-*; do
    [ -e "$file" ] && compare "$(basename "$file")"
done

echo "compared $((same + reordered + differ)) outputs: $same identical, $reordered with the same JSON members in another order, $differ different"
[ "$differ" -eq 0 ]
