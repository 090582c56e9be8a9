#![no_main]
//! The experiment files of `vrg dbn train --config` and `vrg demo --config`,
//! parsed by the command-line crate's experiment/config.rs (compiled in here).
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../crates/vrg-cli/src/experiment/config.rs"]
mod config;

fuzz_target!(|data: &[u8]| {
    let path = vrg_fuzz::input("input.toml", data);
    if let Err(e) = config::ExperimentConfig::read(&path) {
        let text = format!("{e:#}");
        assert!(!text.contains('\n'), "error of several lines: {text:?}");
    }
});
