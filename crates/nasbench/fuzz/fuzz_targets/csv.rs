//! Our CSV reader, and format detection, on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = nasbench::formats::csv::read_csv(data);
    let _ = nasbench::formats::detect(data);
});
