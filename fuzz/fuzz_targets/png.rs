#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = vrg_fuzz::input("input.png", data);
    vrg_fuzz::check(vrg::io::image::read_grey_u8(&path));
    vrg_fuzz::check(vrg::data::load(&path, &Default::default()));
});
