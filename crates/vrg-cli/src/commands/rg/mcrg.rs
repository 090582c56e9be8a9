//! `vrg rg mcrg`: Swendsen's Monte Carlo RG on stored configurations (see
//! [`vrg::rg::mcrg::mcrg`]).

use super::block::{first_bad_level, library_rule};
use crate::flags::RgMcrgArgs;
use crate::output::print_json;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use vrg::rg::block_spin::block_sides;
use vrg::rg::mcrg::{default_levels, mcrg, McrgOptions, McrgResult, SectorResult};

/// The exact 2D Ising exponents y_T = 1/ν and y_H = 15/8.
const Y_T_EXACT: f64 = 1.0;
const Y_H_EXACT: f64 = 1.875;

pub fn run(args: RgMcrgArgs) -> Result<()> {
    if args.block < 2 {
        bail!(
            "invalid --block {}: expected a block side b ≥ 2",
            args.block
        );
    }
    if args.levels == Some(0) {
        bail!("invalid --levels 0: expected at least 1 blocking level");
    }
    if args.jackknife < 2 {
        bail!(
            "invalid --jackknife {}: expected at least 2 jackknife blocks",
            args.jackknife
        );
    }
    let mut plan = vrg::io::PathPlan::new();
    plan.input("--data", &args.data)
        .input_if("--matched", args.matched.as_deref());
    if let Some(dir) = &args.out {
        plan.output_dir("--out", dir, ["mcrg.json"]);
    }
    plan.check()?;
    let data = vrg::ising::configurations::read(&args.data, None)?;
    let levels = args
        .levels
        .unwrap_or_else(|| default_levels(data.size, args.block));
    block_sides(data.size, args.block, levels).map_err(|_| {
        let (level, side) = first_bad_level(data.size, args.block);
        anyhow::anyhow!(
            "invalid --block {b}: b = {b} does not divide the side {side} of level {level} (L = {l}, b = {b}, {levels} levels)",
            b = args.block,
            l = data.size,
        )
    })?;
    if data.rows < 2 * args.jackknife {
        bail!(
            "invalid --jackknife {}: expected at most half the {} configurations of --data {}",
            args.jackknife,
            data.rows,
            args.data.display()
        );
    }
    let small = match &args.matched {
        None => None,
        Some(path) => {
            let small = vrg::ising::configurations::read(path, None)?;
            if small.size * args.block != data.size {
                bail!(
                    "invalid --matched {}: its lattice side is {}, expected L/b = {}/{} = {} (--data side / --block)",
                    path.display(),
                    small.size,
                    data.size,
                    args.block,
                    data.size as f64 / args.block as f64
                );
            }
            if small.rows < 2 * args.jackknife {
                bail!(
                    "invalid --jackknife {}: expected at most half the {} configurations of --matched {}",
                    args.jackknife,
                    small.rows,
                    path.display()
                );
            }
            Some(small)
        }
    };
    let options = McrgOptions {
        block: args.block,
        rule: library_rule(args.rule),
        levels,
        jackknife: args.jackknife,
        seed: args.seed,
    };
    let spinner = crate::progress::spinner("Monte Carlo RG (operators at every level, jackknife)");
    let result = mcrg(
        &data.spins,
        data.rows,
        data.size,
        small.as_ref().map(|s| (s.spins.as_slice(), s.rows)),
        &options,
    )?;
    spinner.finish_and_clear();
    let document = result_json(&args, &result);
    print_table(&result);
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create --out {}", dir.display()))?;
        crate::output::write_json(&dir.join("mcrg.json"), &document)?.commit()?;
        eprintln!("wrote mcrg.json into {}/", dir.display());
    }
    if args.json {
        print_json(&document)?;
    }
    Ok(())
}

fn sector_json(s: &SectorResult) -> Value {
    json!({
        "operators": s.operators,
        "eigenvalues": s.eigenvalues.iter().map(|e| json!([e.0, e.1])).collect::<Vec<_>>(),
        "leading": s.leading.value,
        "leading_err": s.leading.error,
        "y": s.y.value,
        "y_err": s.y.error,
        "a": s.a, "a_err": s.a_err,
        "b": s.b, "b_err": s.b_err,
        "t": s.t, "t_err": s.t_err,
    })
}

fn result_json(args: &RgMcrgArgs, r: &McrgResult) -> Value {
    let levels: Vec<Value> = r
        .levels
        .iter()
        .map(|l| {
            json!({
                "level": l.level,
                "side": l.side,
                "y_t": l.even.y.value,
                "y_t_err": l.even.y.error,
                "y_h": l.odd.y.value,
                "y_h_err": l.odd.y.error,
                "lambda_t": l.even.leading.value,
                "lambda_t_err": l.even.leading.error,
                "lambda_h": l.odd.leading.value,
                "lambda_h_err": l.odd.leading.error,
                "operators": l.even.operators.len() + l.odd.operators.len(),
                "even": sector_json(&l.even),
                "odd": sector_json(&l.odd),
            })
        })
        .collect();
    json!({
        "data_file": args.data.display().to_string(),
        "matched_file": args.matched.as_ref().map(|p| p.display().to_string()),
        "matched": r.matched.map(|(side, rows)| json!({"size": side, "configurations": rows})),
        "size": r.size,
        "configurations": r.configurations,
        "block": r.options.block,
        "rule": r.options.rule,
        "jackknife": r.options.jackknife,
        "seed": r.options.seed,
        "exact": {"y_t": Y_T_EXACT, "y_h": Y_H_EXACT},
        "convention": "B = A T with A = <S^(n) S^(n)>_c, B = <S^(n) S^(n-1)>_c, T = dK^(n)/dK^(n-1) (matched: A = <S^(n-1) S^(0)>_c on L/b, B = <S^(n) S^(0)>_c on L); y = ln(leading eigenvalue)/ln b",
        "levels": levels,
    })
}

fn print_table(r: &McrgResult) {
    println!(
        "MCRG, {}×{} {:?} blocks, L = {}, {} configurations{}, jackknife {} (exact y_T = {Y_T_EXACT}, y_H = {Y_H_EXACT})",
        r.options.block,
        r.options.block,
        r.options.rule,
        r.size,
        r.configurations,
        r.matched.map_or(String::new(), |(side, rows)| format!(
            ", matched against L = {side} ({rows} configurations)"
        )),
        r.options.jackknife
    );
    println!(
        "{:>5} {:>5} {:>8} {:>18} {:>18} {:>16} {:>16}",
        "level", "side", "ops e/o", "y_T", "y_H", "λ_T", "λ_H"
    );
    let pm = |v: f64, e: f64| format!("{v:.4} ± {e:.4}");
    for l in &r.levels {
        println!(
            "{:>5} {:>5} {:>8} {:>18} {:>18} {:>16} {:>16}",
            l.level,
            l.side,
            format!("{}/{}", l.even.operators.len(), l.odd.operators.len()),
            pm(l.even.y.value, l.even.y.error),
            pm(l.odd.y.value, l.odd.y.error),
            pm(l.even.leading.value, l.even.leading.error),
            pm(l.odd.leading.value, l.odd.leading.error),
        );
    }
}
