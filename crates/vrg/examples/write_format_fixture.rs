//! Writes tests/data/rbm_format_v1.safetensors, the format-compatibility
//! fixture (run once when the format version changes; the committed file
//! must keep loading): `cargo run -p vrg --example write_format_fixture`.

use vrg::rbm::file::save_rbm;
use vrg::rbm::{HiddenUnits, Rbm, VisibleUnits};
use vrg::train::{Method, TrainConfig, TrainState};

fn main() -> vrg::Result<()> {
    let (nv, nh) = (5, 3);
    let w = (0..nv * nh)
        .map(|k| ((k / nh) as f32 - 2.0 * (k % nh) as f32) / 8.0)
        .collect();
    let b = (0..nv).map(|i| i as f32 / 4.0 - 1.0).collect();
    let c = (0..nh).map(|j| -(j as f32) / 2.0).collect();
    let rbm = Rbm::from_parameters(VisibleUnits::Spin, HiddenUnits::Bernoulli, w, b, c)?;
    // The fixture has no training data: any row count admits the batch.
    let params = TrainConfig::new()
        .method(Method::Pcd)
        .k(2)
        .persistent_chains(4)
        .check(usize::MAX)?;
    let state = TrainState {
        epochs_done: 7,
        velocity_weights: vec![0.01; nv * nh],
        velocity_visible_bias: vec![0.0; nv],
        velocity_hidden_bias: vec![0.0; nh],
        visible_chains: Vec::new(),
        gibbs_chains: Vec::new(),
        chains: (0..4 * nh)
            .map(|k| if k % 3 == 0 { 1.0 } else { 0.0 })
            .collect(),
        hidden_activity: vec![0.0; nh],
    };
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rbm_format_v1.safetensors"
    );
    save_rbm(path, &rbm, Some(&params), Some(&state))?;
    println!("wrote {path}");
    Ok(())
}
