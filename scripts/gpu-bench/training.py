"""run.sh's short VS-GAE training: which label to train with, and the result line it adds.

Usage:
  python3 training.py fastest RESULTS BATCH
      prints "LABEL GRAPHS_PER_S" of the fastest VS-GAE training at BATCH among our lines of
      RESULTS (GPU builds and the CPU), or nothing where none trained.
  python3 training.py watch RUN_DIR PID
      while process PID lives, prints "SECONDS GRAPHS" each time the run in RUN_DIR writes a
      checkpoint (its progress.json changes).
  python3 training.py result RUN_DIR LABEL SUMMARY_JSON CHECKPOINTS
      prints one results.jsonl line for the training run in RUN_DIR: the graphs it saw, from
      train-vae's summary (SUMMARY_JSON) where it finished, else from its last checkpoint; and its
      graphs per second between its first and last checkpoints (CHECKPOINTS, written by watch), so
      the start (the space's enumeration, the weights' loading) is not counted.
"""
import json
import os
import sys
import time


def fastest(results, batch):
    best = None
    for line in open(results):
        d = json.loads(line)
        if d.get('side') != 'ours' or d.get('batch_size') != batch:
            continue
        rate = d.get('vae_train_graphs_per_s')
        if rate and (best is None or rate > best[1]):
            best = (d['label'], rate)
    if best:
        print(f'{best[0]} {best[1]:.1f}')


def graphs_of(run):
    """Training graphs the run in `run` had seen at its last checkpoint, or None."""
    try:
        with open(os.path.join(run, 'progress.json')) as f:
            progress = json.load(f)
    except (OSError, ValueError):
        return None
    if progress.get('epochs_done'):
        sys.exit('training.py: the run passed an epoch; its graphs are not counted here')
    return progress['within_epoch']['position']


def watch(run, pid):
    path, seen = os.path.join(run, 'progress.json'), None
    while True:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        try:
            stamp = os.stat(path).st_mtime
        except OSError:
            stamp = None
        if stamp is not None and stamp != seen:
            time.sleep(0.5)  # let the checkpoint finish writing
            graphs = graphs_of(run)
            if graphs is not None:
                print(f'{stamp:.3f} {graphs}', flush=True)
                seen = stamp
        time.sleep(0.5)


def summary(path):
    """train-vae's closing JSON (the last top-level object of its standard output), or None."""
    try:
        text = open(path).read()
    except OSError:
        return None
    start = text.rfind('\n{')
    try:
        return json.loads(text[start + 1 if start >= 0 else 0:])
    except ValueError:
        return None


def result(run, label, summary_path, checkpoints_path):
    done = summary(summary_path)
    finished = bool(done and done.get('graphs_seen'))
    graphs = done['graphs_seen'] if finished else graphs_of(run)
    points = [tuple(map(float, line.split())) for line in open(checkpoints_path) if line.strip()]
    if graphs is None or len(points) < 2:
        sys.exit(f'training.py: {len(points)} checkpoints in {checkpoints_path}; a rate needs two')
    (t0, g0), (t1, g1) = points[0], points[-1]
    print(json.dumps({'side': 'ours', 'label': label, 'work': 'vae_train_run', 'graphs': int(graphs),
                      'finished': finished, 'measured_graphs': int(g1 - g0), 'seconds': t1 - t0,
                      'per_s': (g1 - g0) / max(t1 - t0, 1e-9)}))


if __name__ == '__main__':
    if sys.argv[1:2] == ['fastest'] and len(sys.argv) == 4:
        fastest(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1:2] == ['watch'] and len(sys.argv) == 4:
        watch(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1:2] == ['result'] and len(sys.argv) == 6:
        result(*sys.argv[2:6])
    else:
        sys.exit(__doc__)
