#![no_main]
//! The input is the uncompressed IDX file; it is gzipped before reading, so
//! the fuzzer explores IDX headers behind the decompressor.
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("in memory");
    let path = vrg_fuzz::input("input.idx.gz", &enc.finish().expect("in memory"));
    vrg_fuzz::check(vrg::io::idx::read(&path));
    vrg_fuzz::check(vrg::io::idx::read_with_limit(&path, Some(2)));
    vrg_fuzz::check(vrg::data::load(&path, &Default::default()));
});
