//! Ising sampler throughput: `cargo bench -p vrg --bench ising`.
//!
//! Prints, for the multi-spin-coded checkerboard Metropolis sampler at
//! L = 64, 256 and 1024 on one thread and on all cores, nanoseconds per spin
//! update beside a plain byte-per-spin Metropolis (typewriter order, table
//! lookup, one 64-bit draw per non-trivial flip) measured in the same run,
//! and their ratio; Wolff at T_c in nanoseconds of thread CPU time per
//! flipped spin, in repetitions interleaved with the cluster loop from
//! before issue #18 and with the byte-per-spin reference (medians of 9
//! repetitions of 0.25 s each); and the time of a 24-spin exact
//! enumeration. Each Metropolis figure is the median of 5 repetitions of
//! ≥ 0.5 s; the machine's idle fraction (from /proc/stat) during the whole
//! run is printed so contaminated runs can be spotted.
//! Pass `--quick` for a short smoke run (CI builds but never runs this),
//! `--wolff` to time only Wolff (against the previous cluster loop),
//! `--metropolis` only Metropolis, `--size L` one lattice size (64, 256 or
//! 1024; for profiling).

use std::time::Instant;
use vrg::hamiltonian::SpinHamiltonian;
use vrg::ising::exact::critical_temperature;
use vrg::ising::sequential::SiteOrder;
use vrg::ising::{IsingModel, MultiSpinMetropolis, SequentialMetropolis, Wolff};
use vrg::rng;

/// Wolff's cluster loop as it was before issue #18 (same rule), for a
/// same-run comparison.
struct PreviousWolff {
    l: usize,
    spins: Vec<i8>,
    threshold: u64,
    rng: vrg::rng::Rng,
    stack: Vec<u32>,
}

impl PreviousWolff {
    fn new(l: usize, t: f64) -> Self {
        let p_add = -(-2.0 / t).exp_m1();
        PreviousWolff {
            l,
            spins: vec![1; l * l],
            threshold: (p_add * 18446744073709551616.0) as u64,
            rng: rng::root(5),
            stack: Vec::with_capacity(l * l),
        }
    }

    fn cluster_update(&mut self) -> usize {
        use rand::RngCore;
        let (l, n) = (self.l, self.l * self.l);
        let seed = (((self.rng.next_u64() >> 32) * n as u64) >> 32) as usize;
        let orientation = self.spins[seed];
        self.spins[seed] = -orientation;
        self.stack.clear();
        self.stack.push(seed as u32);
        let mut size = 1;
        while let Some(site) = self.stack.pop() {
            let site = site as usize;
            let (row, col) = (site / l, site % l);
            let neighbours = [
                if row == 0 { site + n - l } else { site - l },
                if row + 1 == l { site + l - n } else { site + l },
                if col == 0 { site + l - 1 } else { site - 1 },
                if col + 1 == l { site + 1 - l } else { site + 1 },
            ];
            for nb in neighbours {
                if self.spins[nb] == orientation && self.rng.next_u64() < self.threshold {
                    self.spins[nb] = -orientation;
                    self.stack.push(nb as u32);
                    size += 1;
                }
            }
        }
        size
    }
}

/// The L×L start of the Metropolis samplers: independent ±1 spins.
fn random_start(l: usize) -> Vec<i8> {
    use rand::RngCore;
    let mut r = rng::root(1);
    (0..l * l)
        .map(|_| if r.next_u64() >> 63 == 1 { 1 } else { -1 })
        .collect()
}

/// (busy, total) jiffies of all CPUs from /proc/stat.
fn cpu_jiffies() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let idle = v.get(3)? + v.get(4).unwrap_or(&0);
    let total: u64 = v.iter().sum();
    Some((total - idle, total))
}

/// This process's CPU time (user + system) in jiffies, from /proc/self/stat.
fn own_jiffies() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Nanoseconds this thread has run on a CPU (from
/// /proc/thread-self/schedstat), so time spent waiting for a core while
/// other processes run is not counted.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Median over `reps` of seconds per call of `step`, each repetition at
/// least `min_seconds` long.
fn time_per_call(mut step: impl FnMut(), reps: usize, min_seconds: f64) -> f64 {
    step();
    let mut per_call = Vec::new();
    for _ in 0..reps {
        let start = Instant::now();
        let mut calls = 0u64;
        while calls == 0 || start.elapsed().as_secs_f64() < min_seconds {
            step();
            calls += 1;
        }
        per_call.push(start.elapsed().as_secs_f64() / calls as f64);
    }
    vrg::stats::median(&per_call)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (reps, min_seconds) = if quick { (1, 0.05) } else { (5, 0.5) };
    let tc = critical_temperature(1.0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let before = cpu_jiffies();
    let own_before = own_jiffies();
    println!("Metropolis at T = T_c, h = 0: ns per spin update (median of {reps})");
    println!(
        "{:>6} {:>8} {:>14} {:>14} {:>10}",
        "L", "threads", "multi-spin", "byte-per-spin", "ratio"
    );
    let wolff_only = std::env::args().any(|a| a == "--wolff");
    let metropolis_only = std::env::args().any(|a| a == "--metropolis");
    // `--size L` restricts both samplers to one lattice size (for profiling).
    let only_size: Option<usize> = std::env::args()
        .skip_while(|a| a != "--size")
        .nth(1)
        .and_then(|v| v.parse().ok());
    let sizes: Vec<usize> = [64, 256, 1024]
        .into_iter()
        .filter(|&l| only_size.is_none_or(|o| o == l))
        .collect();
    let metropolis_sizes: &[usize] = if wolff_only { &[] } else { &sizes };
    for &l in metropolis_sizes {
        let model = IsingModel::new(l, 1.0, 0.0, tc).unwrap();
        let start = random_start(l);
        let n = (l * l) as f64;
        let mut byte =
            SequentialMetropolis::new(model, &start, rng::root(2), SiteOrder::Typewriter).unwrap();
        for _ in 0..20 {
            byte.sweep();
        }
        let byte_ns = time_per_call(|| byte.sweep(), reps, min_seconds) / n * 1e9;
        for threads in [1, cores] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let msc_ns = pool.install(|| {
                let mut msc = MultiSpinMetropolis::new(model, &start, &rng::root(3)).unwrap();
                for _ in 0..20 {
                    msc.sweep();
                }
                time_per_call(|| msc.sweep(), reps, min_seconds) / n * 1e9
            });
            println!(
                "{l:>6} {threads:>8} {msc_ns:>14.3} {byte_ns:>14.3} {:>9.1}x",
                byte_ns / msc_ns
            );
        }
    }
    println!("\nWolff at T = T_c: ns of thread CPU time per flipped spin, median of");
    println!("interleaved repetitions of: Wolff; the previous cluster loop (before issue");
    println!("#18: division for the column, a 64-bit draw per aligned neighbour); and the");
    println!("byte-per-spin Metropolis reference (ns per update), all on the same lattice");
    println!("and temperature; /byte is Wolff's figure over the reference's");
    let wolff_sizes: &[usize] = if metropolis_only { &[] } else { &sizes };
    for &l in wolff_sizes {
        let model = IsingModel::new(l, 1.0, 0.0, tc).unwrap();
        let mut wolff = Wolff::new(model, &vec![1; l * l], rng::root(4)).unwrap();
        for _ in 0..20 {
            wolff.sweep();
        }
        let mut previous = PreviousWolff::new(l, tc);
        let mut warm = 0;
        while warm < 20 * l * l {
            warm += previous.cluster_update();
        }
        // Interleaved repetitions (new, previous, new, …), so that a change
        // of load hits both alike: medians of ns per flipped spin and of
        // the per-repetition ratio.
        let (reps, target) = if quick { (1, 0.1) } else { (9, 0.25) };
        // Thread CPU time where the kernel reports it, else wall time.
        let time = |update: &mut dyn FnMut() -> usize| {
            let (mut flipped, start, cpu) = (0u64, Instant::now(), thread_cpu_ns());
            while flipped == 0 || start.elapsed().as_secs_f64() < target {
                flipped += update() as u64;
            }
            let ns = match (cpu, thread_cpu_ns()) {
                (Some(a), Some(b)) => (b - a) as f64,
                _ => start.elapsed().as_secs_f64() * 1e9,
            };
            ns / flipped as f64
        };
        let start = random_start(l);
        let mut byte =
            SequentialMetropolis::new(model, &start, rng::root(2), SiteOrder::Typewriter).unwrap();
        for _ in 0..20 {
            byte.sweep();
        }
        let mut rows: [Vec<f64>; 5] = Default::default();
        for _ in 0..reps {
            let new = time(&mut || wolff.cluster_update());
            let old = time(&mut || previous.cluster_update());
            let reference = time(&mut || {
                byte.sweep();
                l * l
            });
            for (row, x) in rows
                .iter_mut()
                .zip([new, old, reference, old / new, new / reference])
            {
                row.push(x);
            }
        }
        let [ns, previous_ns, byte_ns, ratio, per_byte] = rows.map(|r| vrg::stats::median(&r));
        println!(
            "{l:>6} {ns:>10.2} ns/flipped spin  (mean cluster {:.0}); previous {previous_ns:.2} \
             ({ratio:.2}x); byte-per-spin {byte_ns:.2} (/byte {per_byte:.2})",
            wolff.mean_cluster_size(),
        );
    }
    if wolff_only || metropolis_only || only_size.is_some() {
        report_load(before, own_before, cores);
        return;
    }
    println!("\nExact enumeration, 4×6 Ising (2^24 states), {cores} threads");
    let h = SpinHamiltonian::from_ising_square(4, 6, 0.44, 0.0).unwrap();
    let seconds = time_per_call(
        || {
            h.enumerate(1.0).unwrap();
        },
        if quick { 1 } else { 3 },
        0.0,
    );
    println!("{seconds:>10.3} s per enumeration");
    report_load(before, own_before, cores);
}

/// Prints the share of the machine other processes used since `before`.
fn report_load(before: Option<(u64, u64)>, own_before: Option<u64>, cores: usize) {
    if let (Some((b0, t0)), Some((b1, t1)), Some(o0), Some(o1)) =
        (before, cpu_jiffies(), own_before, own_jiffies())
    {
        let total = (t1 - t0).max(1) as f64;
        let others = (b1 - b0).saturating_sub(o1 - o0) as f64;
        println!(
            "\nother processes used {:.1}% of the machine's {cores} cores during the run \
             (this benchmark {:.0}%); rerun if the first figure is more than a few percent",
            100.0 * others / total,
            100.0 * (o1 - o0) as f64 / total
        );
    }
}
