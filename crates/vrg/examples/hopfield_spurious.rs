//! Spurious memories of a small Hopfield network.
//!
//! Stores three random patterns in N = 20 spins with the Hebbian rule
//! (Hopfield 1982), lists every fixed point of the zero-temperature dynamics
//! with its class, energy and overlaps, shows the symmetric mixture
//! sign(ξ¹ + ξ² + ξ³) among them as a spurious memory (Amit, Gutfreund &
//! Sompolinsky 1985), and recalls from a few corrupted patterns.
//!
//! Run with `cargo run --release --example hopfield_spurious [seed]`.
//!
//! # References
//! - J. J. Hopfield, PNAS 79, 2554 (1982).
//! - D. J. Amit, H. Gutfreund and H. Sompolinsky, PRL 55, 1530 (1985).

use rand::RngCore;
use vrg::hamiltonian::{overlap, FixedPointClass, Hopfield};
use vrg::rng::{self, Rng};

const N_SPINS: usize = 20;
const N_PATTERNS: usize = 3;
const DEFAULT_SEED: u64 = 5;

fn random_pattern(rng: &mut Rng) -> Vec<i8> {
    (0..N_SPINS)
        .map(|_| if rng.next_u64() >> 63 == 1 { 1 } else { -1 })
        .collect()
}

fn show(state: &[i8]) -> String {
    state
        .iter()
        .map(|&s| if s > 0 { '+' } else { '-' })
        .collect()
}

fn class_name(class: FixedPointClass) -> String {
    match class {
        FixedPointClass::Stored(mu) => format!("stored ξ{}", mu + 1),
        FixedPointClass::Reversed(mu) => format!("reversed −ξ{}", mu + 1),
        FixedPointClass::Spurious => "spurious".to_string(),
    }
}

fn main() -> vrg::Result<()> {
    let seed = match std::env::args().nth(1) {
        Some(arg) => arg.parse::<u64>().map_err(|e| {
            vrg::Error::invalid("seed", arg, format!("a non-negative integer ({e})"))
        })?,
        None => DEFAULT_SEED,
    };
    let mut rng = rng::root(seed);
    let patterns: Vec<Vec<i8>> = (0..N_PATTERNS).map(|_| random_pattern(&mut rng)).collect();
    let net = Hopfield::from_patterns(&patterns)?;

    println!("Hopfield network, N = {N_SPINS}, p = {N_PATTERNS} random patterns (seed {seed})");
    for (mu, xi) in patterns.iter().enumerate() {
        println!("  ξ{}  {}", mu + 1, show(xi));
    }
    println!(
        "  pattern overlaps: m12 = {:+.2}, m13 = {:+.2}, m23 = {:+.2}",
        overlap(&patterns[0], &patterns[1]),
        overlap(&patterns[0], &patterns[2]),
        overlap(&patterns[1], &patterns[2])
    );

    let mixture = net.symmetric_mixture(&[0, 1, 2])?;
    // All eight signed mixtures sign(±ξ1 ± ξ2 ± ξ3), equivalent to the
    // symmetric one under ξ^μ → −ξ^μ.
    let signed_mixtures: Vec<(String, Vec<i8>)> = (0..8u32)
        .map(|signs| {
            let sign = |mu: usize| if (signs >> mu) & 1 == 1 { -1i32 } else { 1 };
            let label = format!(
                "sign({}ξ1{}ξ2{}ξ3)",
                if sign(0) < 0 { "−" } else { "" },
                if sign(1) < 0 { "−" } else { "+" },
                if sign(2) < 0 { "−" } else { "+" }
            );
            let state = (0..N_SPINS)
                .map(|i| {
                    let sum: i32 = (0..N_PATTERNS)
                        .map(|mu| sign(mu) * i32::from(patterns[mu][i]))
                        .sum();
                    if sum > 0 {
                        1
                    } else {
                        -1
                    }
                })
                .collect();
            (label, state)
        })
        .collect();
    let mixture_label = |state: &[i8]| {
        signed_mixtures
            .iter()
            .find(|(_, m)| m.as_slice() == state)
            .map_or(String::new(), |(label, _)| label.clone())
    };
    let points = net.fixed_points()?;
    println!(
        "\nAll {} fixed points (no single flip lowers H), by energy:",
        points.len()
    );
    println!(
        "  {:<20}  {:>8}  {:>6} {:>6} {:>6}  {:<14}  note",
        "state", "H", "m1", "m2", "m3", "class"
    );
    for point in &points {
        println!(
            "  {}  {:>8.4}  {:>+6.2} {:>+6.2} {:>+6.2}  {:<14}  {}",
            show(&point.state),
            point.energy,
            point.overlaps[0],
            point.overlaps[1],
            point.overlaps[2],
            class_name(point.class),
            mixture_label(&point.state)
        );
    }
    let spurious = points
        .iter()
        .filter(|p| p.class == FixedPointClass::Spurious)
        .count();
    println!(
        "  {} stored/reversed, {spurious} spurious",
        points.len() - spurious
    );
    match points.iter().find(|p| p.state == mixture) {
        Some(p) => println!(
            "\nThe symmetric mixture sign(ξ1+ξ2+ξ3) is a {} fixed point with H = {:.4} \
             (overlaps {:.2}, {:.2}, {:.2}; ½ in the large-N limit).",
            class_name(p.class),
            p.energy,
            p.overlaps[0],
            p.overlaps[1],
            p.overlaps[2]
        ),
        None => println!(
            "\nFor this seed the symmetric mixture (H = {:.4}) is not stable: at N = {N_SPINS} \
             the pattern cross-talk can destabilise it; try another seed.",
            net.energy(&mixture)
        ),
    }

    println!("\nRecall (zero-temperature asynchronous dynamics) from corrupted patterns:");
    println!(
        "  {:<24}  {:>6}  {:>6} {:>6} {:>6}  {:<14}",
        "start", "sweeps", "m1", "m2", "m3", "ends at"
    );
    let mut starts: Vec<(String, Vec<i8>)> = Vec::new();
    for (mu, xi) in patterns.iter().enumerate() {
        for &flips in &[2usize, 4, 6] {
            let mut start = xi.clone();
            for i in 0..flips {
                start[(7 * i + 3 * mu) % N_SPINS] *= -1;
            }
            starts.push((format!("ξ{} with {flips} flips", mu + 1), start));
        }
    }
    let mut near_mixture = mixture.clone();
    near_mixture[0] *= -1;
    starts.push(("mixture with 1 flip".to_string(), near_mixture));
    for (label, start) in &starts {
        let recall = net.recall(start, &mut rng)?;
        let ends = format!(
            "{} {}",
            class_name(net.classify(&recall.state)),
            mixture_label(&recall.state)
        );
        println!(
            "  {:<24}  {:>6}  {:>+6.2} {:>+6.2} {:>+6.2}  {}{}",
            label,
            recall.sweeps,
            recall.overlaps[0],
            recall.overlaps[1],
            recall.overlaps[2],
            ends.trim_end(),
            if recall.converged {
                ""
            } else {
                " (not converged)"
            }
        );
    }
    Ok(())
}
