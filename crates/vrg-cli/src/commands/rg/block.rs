//! `vrg rg block`: block-spin transforms of stored configurations (see
//! [`vrg::rg::block_spin::block_spins`]).

use crate::flags::{BlockRule, RgBlockArgs};
use anyhow::{bail, Result};
use vrg::rg::block_spin::{self, block_sides, block_spins};

/// The library's rule for the flag's.
pub fn library_rule(rule: BlockRule) -> block_spin::BlockRule {
    match rule {
        BlockRule::Majority => block_spin::BlockRule::Majority,
        BlockRule::Decimation => block_spin::BlockRule::Decimation,
    }
}

pub fn run(args: RgBlockArgs) -> Result<()> {
    if args.block < 2 {
        bail!(
            "invalid --block {}: expected a block side b ≥ 2",
            args.block
        );
    }
    if args.levels == 0 {
        bail!("invalid --levels 0: expected at least 1 blocking level");
    }
    if args.out.extension().and_then(|e| e.to_str()) != Some("npy") {
        bail!("invalid --out {}: expected a .npy path", args.out.display());
    }
    let mut plan = vrg::io::PathPlan::new();
    plan.input("--data", &args.data).output("--out", &args.out);
    plan.check()?;
    let data = vrg::ising::configurations::read(&args.data, None)?;
    let sides = block_sides(data.size, args.block, args.levels).map_err(|_| {
        let (level, side) = first_bad_level(data.size, args.block);
        anyhow::anyhow!(
            "invalid --block {b}: b = {b} does not divide the side {side} of level {level} (L = {l}, b = {b}, --levels {n}); nothing written",
            b = args.block,
            l = data.size,
            n = args.levels,
        )
    })?;
    let out = block_spins(
        &data.spins,
        data.rows,
        data.size,
        args.block,
        library_rule(args.rule),
        args.levels,
        args.seed,
    )?;
    let coarse = sides[args.levels];
    vrg::io::npy::write_i8(&args.out, &[data.rows, coarse, coarse], &out)?;
    eprintln!(
        "wrote {} ({} configurations, {}×{} → {coarse}×{coarse}, {} level{} of {}×{} {:?})",
        args.out.display(),
        data.rows,
        data.size,
        data.size,
        args.levels,
        if args.levels == 1 { "" } else { "s" },
        args.block,
        args.block,
        args.rule,
    );
    Ok(())
}

/// The first level (1-based) whose blocking b does not divide, and the
/// side it would block.
pub fn first_bad_level(side: usize, block: usize) -> (usize, usize) {
    let (mut level, mut s) = (1, side);
    while s >= block && s.is_multiple_of(block) {
        s /= block;
        level += 1;
    }
    (level, s)
}
