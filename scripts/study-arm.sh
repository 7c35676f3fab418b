# shellcheck shell=bash
# One arm of a VS-GAE study on the search space, for the study scripts to source: `arm NAME BATCH
# ARGS...` trains `$vsgae train-vae --space` into `$runs/NAME` for `$budget` graphs with ARGS,
# measured and checkpointed every ~19,200 graphs; a finished arm (results.json) is skipped and an
# interrupted one resumes from its checkpoint.

arm() {
    local name=$1 batch=$2
    shift 2
    local dir="$runs/$name"
    local every=$((19200 / batch))
    if [ -f "$dir/results.json" ]; then
        echo "$name: done"
        return
    fi
    local common=(--max-graphs "$budget" --evaluate-every "$every" --checkpoint-steps "$every" --out "$dir")
    if [ -f "$dir/progress.json" ]; then
        echo "$name: resuming"
        nice "$vsgae" train-vae --resume "$dir" "${common[@]}"
    else
        echo "$name: starting"
        nice "$vsgae" train-vae --space --batch-size "$batch" "${common[@]}" "$@"
    fi
}
