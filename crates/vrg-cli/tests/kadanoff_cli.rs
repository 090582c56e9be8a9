//! `vrg rg kadanoff` end to end: the JSON carries the library's numbers,
//! the text names K_c beside the exact value, bad couplings exit 2.

mod common;
use common::{vrg_err, vrg_stdout, words};

use serde_json::Value;
use vrg::ising::exact::{onsager_log_z_per_spin, CRITICAL_COUPLING};
use vrg::rg::kadanoff::{free_energy_per_spin, recursion, Method};

fn json(dir: &std::path::Path, args: &[&str]) -> Value {
    serde_json::from_str(&vrg_stdout(dir, args)).expect("JSON on stdout")
}

#[test]
fn json_values_are_the_librarys() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, method) in [
        ("variational", Method::Variational),
        ("checkerboard", Method::Checkerboard),
        ("migdal-kadanoff", Method::MigdalKadanoff),
    ] {
        let v = json(
            dir.path(),
            &words(&format!(
                "rg kadanoff --method {flag} --free-energy 0.2,0.5 --json"
            )),
        );
        let r = recursion(method).unwrap();
        assert_eq!(v["variational_parameter"].as_f64(), r.parameter);
        assert_eq!(v["critical_coupling"].as_f64(), Some(r.critical_coupling));
        assert_eq!(v["nu"].as_f64(), Some(r.nu));
        assert_eq!(v["thermal_eigenvalue"].as_f64(), Some(r.thermal_eigenvalue));
        assert_eq!(
            v["exact_critical_coupling"].as_f64(),
            Some(CRITICAL_COUPLING)
        );
        let fp: Vec<f64> = v["fixed_point"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(fp, r.fixed_point);
        let rows = v["free_energy"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        for (row, k) in rows.iter().zip([0.2, 0.5]) {
            assert_eq!(row["K"].as_f64(), Some(k));
            let value = row["value"].as_f64().unwrap();
            let exact = row["exact"].as_f64().unwrap();
            assert_eq!(value, free_energy_per_spin(method, k).unwrap());
            assert_eq!(exact, -onsager_log_z_per_spin(1.0 / k, 1.0).unwrap());
            assert!(value <= exact, "{flag} K = {k}");
        }
    }
}

#[test]
fn text_names_the_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = vrg_stdout(dir.path(), &words("rg kadanoff --method migdal-kadanoff"));
    assert!(out.contains("0.3046889317"), "{out}");
    assert!(out.contains("1.33826579"), "{out}");
    assert!(out.contains("0.4406868"), "{out}");
    let out = vrg_stdout(dir.path(), &words("rg kadanoff"));
    assert!(out.contains("p* = 0.76098"), "{out}");
    assert!(out.contains("0.48364"), "{out}");
    let out = vrg_stdout(
        dir.path(),
        &words("rg kadanoff --method checkerboard --free-energy 0,0.3"),
    );
    assert!(out.contains("-0.6931471806"), "{out}"); // K = 0: −ln 2 on both sides
    assert!(out.contains("Onsager"), "{out}");
}

#[test]
fn bad_couplings_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["-0.1", "NaN", "inf"] {
        vrg_err(
            dir.path(),
            &["rg", "kadanoff", &format!("--free-energy=0.2,{bad}")],
            &["--free-energy", bad],
        );
    }
    vrg_err(
        dir.path(),
        &words("rg kadanoff --free-energy x"),
        &["--free-energy"],
    );
    vrg_err(
        dir.path(),
        &words("rg kadanoff --method nope"),
        &["--method"],
    );
}
