//! Read throughput of every format on the shared files (skipped where `../shared` is absent).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nasbench::formats;

fn readers(c: &mut Criterion) {
    let Ok(Some(shared)) = test_support::shared_dir() else {
        eprintln!("skipping: the shared data folder is missing");
        return;
    };
    let files = [
        ("tfrecord", "data/energy_5V9E.tfrecord"),
        ("csv", "data/nb101_val_20k.csv"),
        ("pth-legacy", "fixtures/data_legacy/training_data_70.pth"),
        ("pth-zip", "fixtures/data_zip/training_data_70.pth"),
        ("zip", "fixtures/enc_data_sample.zip"),
    ];
    let mut group = c.benchmark_group("read");
    group.sample_size(20);
    for (name, file) in files {
        let Ok(bytes) = std::fs::read(shared.join(file)) else {
            eprintln!("skipping {name}: {} is missing", shared.join(file).display());
            continue;
        };
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| b.iter(|| formats::read_bytes(&bytes).map(|(_, d)| d.len())));
    }
    group.finish();
}

criterion_group!(benches, readers);
criterion_main!(benches);
