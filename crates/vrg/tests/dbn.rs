//! Tests of `vrg::dbn`: the stack's passes agree with the single-RBM code,
//! compose layer by layer, and mismatched stacks are clear errors.

mod common;
use common::random_model;
use vrg::dbn::Dbn;
use vrg::rbm::{HiddenUnits, VisibleUnits};

fn batch(rows: usize, n: usize) -> Vec<f32> {
    (0..rows * n)
        .map(|i| ((i * 7919) % 13 < 5) as u8 as f32)
        .collect()
}

#[test]
fn one_layer_passes_equal_the_rbms_conditionals() {
    let rbm = random_model(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        12,
        5,
        0.7,
        1,
    );
    let dbn = Dbn::new(vec![rbm.clone()]).unwrap();
    let v = batch(9, 12);
    let mut h = vec![0.0; 9 * 5];
    rbm.mean_hiddens(&v, 9, &mut h).unwrap();
    assert_eq!(dbn.up(&v, 9, 1).unwrap(), h);
    let mut back = vec![0.0; 9 * 12];
    rbm.mean_visibles(&h, 9, &mut back).unwrap();
    assert_eq!(dbn.down(&h, 9, 1).unwrap(), back);
    assert_eq!(dbn.up(&v, 9, 0).unwrap(), v);
    assert_eq!(dbn.sizes(), vec![12, 5]);
}

#[test]
fn passes_compose_layer_by_layer() {
    let (a, b) = (
        random_model(VisibleUnits::Spin, HiddenUnits::Spin, 16, 8, 0.5, 2),
        random_model(VisibleUnits::Spin, HiddenUnits::Spin, 8, 3, 0.5, 3),
    );
    let dbn = Dbn::new(vec![a.clone(), b.clone()]).unwrap();
    let v: Vec<f32> = batch(4, 16).iter().map(|&x| 2.0 * x - 1.0).collect();
    let mut h1 = vec![0.0; 4 * 8];
    a.mean_hiddens(&v, 4, &mut h1).unwrap();
    let mut h2 = vec![0.0; 4 * 3];
    b.mean_hiddens(&h1, 4, &mut h2).unwrap();
    assert_eq!(dbn.up(&v, 4, 2).unwrap(), h2);
    let mut d1 = vec![0.0; 4 * 8];
    b.mean_visibles(&h2, 4, &mut d1).unwrap();
    let mut d0 = vec![0.0; 4 * 16];
    a.mean_visibles(&d1, 4, &mut d0).unwrap();
    assert_eq!(dbn.down(&h2, 4, 2).unwrap(), d0);
    assert_eq!(dbn.sizes(), vec![16, 8, 3]);
}

#[test]
fn mismatched_stacks_and_levels_are_clear_errors() {
    let a = random_model(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        10,
        6,
        0.5,
        4,
    );
    let wrong_size = random_model(
        VisibleUnits::Bernoulli,
        HiddenUnits::Bernoulli,
        5,
        2,
        0.5,
        5,
    );
    let e = Dbn::new(vec![a.clone(), wrong_size])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("layer 1 visible units") && e.contains("expected 6"),
        "{e}"
    );
    let wrong_kind = random_model(VisibleUnits::Spin, HiddenUnits::Bernoulli, 6, 2, 0.5, 6);
    let e = Dbn::new(vec![a.clone(), wrong_kind])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bernoulli hidden units under spin visible units"),
        "{e}"
    );
    assert!(Dbn::new(vec![])
        .unwrap_err()
        .to_string()
        .contains("at least one RBM"));
    let dbn = Dbn::new(vec![a]).unwrap();
    let e = dbn.up(&batch(1, 10), 1, 2).unwrap_err().to_string();
    assert!(
        e.contains("level") && e.contains("0 (the data) to 1"),
        "{e}"
    );
    let e = dbn.up(&batch(1, 9), 1, 1).unwrap_err().to_string();
    assert!(e.contains("shape mismatch"), "{e}");
}
