"""Prints the side-by-side table of a results.jsonl written by run.sh: graphs per second of each
work at each batch size, ours per backend and build beside PyTorch's, their ratio, and our kernel
launches and readbacks per step.

Usage: python3 table.py results.jsonl
"""
import collections
import json
import sys

WORKS = {
    'vae_train': ('vae_train_graphs_per_s', 'vae_train'),
    'pred_train': ('predictor_train_graphs_per_s', 'predictor_train'),
    'pred_infer': ('predictor_inference_graphs_per_s', 'predictor_inference'),
}


def main():
    rows = collections.defaultdict(dict)  # (work, batch, place) -> {column: (rate, launches, readbacks)}
    runs = []
    for line in open(sys.argv[1]):
        d = json.loads(line)
        if d.get('work') == 'vae_train_run':
            runs.append(d)
            continue
        if d.get('side') == 'pytorch':
            place = 'cpu' if d['device'].startswith('cpu') else 'gpu'
            rows[(d['work'], d['batch'], place)]['pytorch'] = (d['per_s'], None, None)
            continue
        label = d.get('label', d.get('backend', '?'))
        place = 'cpu' if d.get('backend') == 'cpu' else 'gpu'
        column = label.rsplit('-train', 1)[0].rsplit('-infer', 1)[0]
        for work, (rate_key, section) in WORKS.items():
            if rate_key in d:
                batch = 4096 if work == 'pred_infer' else d.get('batch_size')
                launches = d.get('dispatches_per_step', {}).get(section)
                readbacks = d.get('readbacks_per_step', {}).get(section)
                rows[(work, batch, place)][column] = (d[rate_key], launches, readbacks)
    print(f"{'work':<11} {'batch':>6} {'where':<4} {'pytorch':>10}  ours: rate (ratio to pytorch) [launches, readbacks per step]")
    for (work, batch, place), columns in sorted(rows.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1] or 0)):
        reference = columns.get('pytorch', (None,))[0]
        ours = []
        for column, (rate, launches, readbacks) in columns.items():
            if column == 'pytorch':
                continue
            ratio = f" ({rate / reference:.3f}x)" if reference else ''
            counts = f" [{launches:,.0f}, {readbacks:.2f}]" if launches is not None and readbacks is not None else ''
            ours.append(f"{column} {rate:,.0f}{ratio}{counts}")
        shown = '-' if reference is None else f'{reference:,.0f}'
        print(f"{work:<11} {batch!s:>6} {place:<4} {shown:>10}  {'  '.join(ours) or '(no answer)'}")
    for run in runs:
        how = 'ran to its graph budget' if run['finished'] else 'stopped by its time cap'
        print(f"VS-GAE training run on {run['label']}: {run['graphs']:,} graphs ({how}); "
              f"{run['per_s']:,.0f} graphs/s over {run['measured_graphs']:,} graphs between checkpoints "
              f"({run['seconds']:.1f} s)")


if __name__ == '__main__':
    main()
