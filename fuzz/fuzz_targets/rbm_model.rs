#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = vrg_fuzz::input("input.safetensors", data);
    vrg_fuzz::check(vrg::rbm::file::load_rbm(&path));
});
