#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = vrg_fuzz::input("input.idx", data);
    vrg_fuzz::check(vrg::io::idx::read(&path));
    vrg_fuzz::check(vrg::io::idx::read_with_limit(&path, Some(2)));
    vrg_fuzz::check(vrg::data::load(&path, &Default::default()));
});
