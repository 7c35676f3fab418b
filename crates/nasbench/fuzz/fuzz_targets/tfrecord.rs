//! The tfrecord reader on arbitrary bytes: an error or a dataset, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = nasbench::formats::tfrecord::read_tfrecord(data);
});
