//! The pickle machine and the legacy torch reader on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = nasbench::formats::pickle::load(data, 0);
    let _ = nasbench::formats::pyg::records_from_pth(data);
});
