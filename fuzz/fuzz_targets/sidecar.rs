#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = vrg_fuzz::input("input.json", data);
    vrg_fuzz::check(vrg::io::sidecar::read(&path));
});
