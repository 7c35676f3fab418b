//! The search-space enumeration: all 423,624 cells with their hashes, and each vertex count.

use criterion::{Criterion, criterion_group, criterion_main};
use nasbench::space::{enumerate_space, enumerate_vertices};

fn enumeration(c: &mut Criterion) {
    let mut group = c.benchmark_group("enumerate");
    group.sample_size(10);
    group.bench_function("space (2-7 vertices)", |b| b.iter(enumerate_space));
    group.bench_function("6 vertices", |b| b.iter(|| enumerate_vertices(6)));
    group.finish();
}

criterion_group!(benches, enumeration);
criterion_main!(benches);
