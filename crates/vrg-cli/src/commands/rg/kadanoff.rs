//! `vrg rg kadanoff`: the fixed point, critical coupling and ν of the
//! potential-moving (lower-bound) or Migdal–Kadanoff recursion, and the
//! free-energy bound beside Onsager's (see [`vrg::rg::kadanoff`]).

use crate::flags::{KadanoffMethod, RgKadanoffArgs};
use crate::output::print_json;
use anyhow::{bail, Result};
use serde_json::json;
use vrg::ising::exact::{onsager_log_z_per_spin, CRITICAL_COUPLING};
use vrg::rg::kadanoff::{free_energy_per_spin, recursion, Method};

pub fn run(args: RgKadanoffArgs) -> Result<()> {
    let ks = args.free_energy.clone().unwrap_or_default();
    for &k in &ks {
        if !(k.is_finite() && k >= 0.0) {
            bail!("invalid --free-energy {k}: expected finite couplings K ≥ 0");
        }
    }
    let (method, name) = match args.method {
        KadanoffMethod::Variational => (Method::Variational, "variational"),
        KadanoffMethod::Checkerboard => (Method::Checkerboard, "checkerboard"),
        KadanoffMethod::MigdalKadanoff => (Method::MigdalKadanoff, "migdal-kadanoff"),
    };
    let r = recursion(method)?;
    let mut rows = Vec::with_capacity(ks.len());
    for &k in &ks {
        let value = free_energy_per_spin(method, k)?;
        // K = 0 is T = ∞, where ln Z/N = ln 2.
        let exact = if k == 0.0 {
            -std::f64::consts::LN_2
        } else {
            -onsager_log_z_per_spin(1.0 / k, 1.0)?
        };
        rows.push((k, value, exact));
    }
    if args.json {
        return print_json(&json!({
            "method": name,
            "fixed_point": r.fixed_point,
            "critical_coupling": r.critical_coupling,
            "exact_critical_coupling": CRITICAL_COUPLING,
            "thermal_eigenvalue": r.thermal_eigenvalue,
            "rescaling": r.rescaling,
            "nu": r.nu,
            "variational_parameter": r.parameter,
            "exact_nu": 1.0,
            "free_energy": rows
                .iter()
                .map(|&(k, value, exact)| json!({"K": k, "value": value, "exact": exact}))
                .collect::<Vec<_>>(),
        }));
    }
    let names = match method {
        Method::Variational | Method::Checkerboard => "(K1, K2, K4)",
        Method::MigdalKadanoff => "K",
    };
    let fp: Vec<String> = r.fixed_point.iter().map(|k| format!("{k:.10}")).collect();
    println!("method: {name} (b = {:.6} per step)", r.rescaling);
    println!("fixed point {names}* = ({})", fp.join(", "));
    if let Some(p) = r.parameter {
        println!("variational parameter p* = {p:.10} (the bound is best there at the fixed point)");
    }
    let rel = (r.critical_coupling / CRITICAL_COUPLING - 1.0) * 100.0;
    println!(
        "critical coupling K_c = {:.10}   exact {CRITICAL_COUPLING:.7} ({rel:+.2}%)",
        r.critical_coupling
    );
    println!(
        "thermal eigenvalue λ = {:.10}   ν = ln b / ln λ = {:.8}   exact 1",
        r.thermal_eigenvalue, r.nu
    );
    if !rows.is_empty() {
        println!("free energy per spin f = −ln Z/N (a lower bound on the exact f):");
        println!(
            "  {:>10}  {:>14}  {:>14}  {:>10}",
            "K", "bound", "Onsager", "rel. diff"
        );
        for (k, value, exact) in rows {
            println!(
                "  {k:>10.6}  {value:>14.10}  {exact:>14.10}  {:>+9.3}%",
                (value / exact - 1.0) * 100.0
            );
        }
    }
    Ok(())
}
