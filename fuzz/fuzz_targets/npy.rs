#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = vrg_fuzz::input("input.npy", data);
    vrg_fuzz::check(vrg::io::npy::read(&path));
    vrg_fuzz::check(vrg::data::load(&path, &Default::default()));
});
