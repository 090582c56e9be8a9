//! `vrg demo`: Ising samples → a DBN → its RG analysis, in one directory.

use crate::commands::report::write_report;
use crate::experiment::analysis::{
    analysis_run, analyze_into, create_output_dir, output_files, print_headlines, write_figure,
};
use crate::experiment::config::ExperimentConfig;
use crate::experiment::dbn_figures;
use crate::experiment::greedy::{join_sizes, train_plan};
use crate::experiment::plan::{logz_options, plan_from, Overrides};
use crate::flags::{AnalysisFlags, DemoArgs};
use crate::progress;
use crate::report::run_dir::REPORT_FILE;
use crate::report::run_record;
use crate::resume::JsonLog;
use anyhow::{bail, Context, Result};
use serde_json::json;
use vrg::data::Dataset;
use vrg::ising::{exact, run_chain, Algorithm, IsingModel, SamplingPlan};

/// The small built-in experiment (`vrg demo`, about 15 s on 2 cores).
pub const DEMO_CONFIG: &str = include_str!("../../../../examples/demo.toml");
/// Mehta & Schwab's paper-scale experiment (`vrg demo --full`, under 2
/// minutes on 2 cores).
pub const MEHTA_SCHWAB_CONFIG: &str = include_str!("../../../../examples/mehta-schwab.toml");

pub fn run(args: DemoArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let started_at = std::time::SystemTime::now();
    let (config, origin) = match (&args.config, args.full) {
        (Some(path), _) => (ExperimentConfig::read(path)?, path.display().to_string()),
        (None, true) => (
            ExperimentConfig::parse(MEHTA_SCHWAB_CONFIG, "examples/mehta-schwab.toml")?,
            "examples/mehta-schwab.toml (built in)".to_string(),
        ),
        (None, false) => (
            ExperimentConfig::parse(DEMO_CONFIG, "examples/demo.toml")?,
            "examples/demo.toml (built in)".to_string(),
        ),
    };
    let Some(ising) = config.ising.clone() else {
        bail!("{origin}: no [ising] table: vrg demo generates its data from it");
    };
    if config.layers.is_empty() {
        bail!("{origin}: no [[layer]] tables");
    }
    let no_flags = AnalysisFlags {
        seed: ising.seed,
        ..AnalysisFlags::default()
    };
    let mut analysis = analysis_run(&no_flags, &config)?;
    let model = IsingModel::new(ising.size, ising.coupling, 0.0, ising.temperature)
        .with_context(|| format!("{origin}: [ising]"))?;
    let plan = SamplingPlan {
        samples: ising.samples,
        sweeps: ising.sweeps,
        burn_in: ising.burn_in,
        algorithm: Algorithm::Auto,
    };
    plan.check().with_context(|| format!("{origin}: [ising]"))?;
    if analysis.options.window > ising.size {
        bail!(
            "{origin}: [analysis] window = {} is larger than the lattice side [ising] size = {}",
            analysis.options.window,
            ising.size
        );
    }
    let mut files = output_files(config.layers.len(), analysis.generate);
    files.extend(
        [
            "ising.npy",
            "dbn.safetensors",
            "train.jsonl",
            "training.png",
            REPORT_FILE,
        ]
        .map(String::from),
    );
    vrg::io::PathPlan::new()
        .input_if("--config", args.config.as_deref())
        .output_dir("--out", &args.out, files)
        .check()?;
    // Everything is written into a temporary directory beside --out and
    // moved into place at the end: a failed run leaves nothing behind.
    let out = create_output_dir(&args.out)?;
    let dir = out.path().to_path_buf();
    eprintln!(
        "vrg demo: {origin}: {} Ising configurations of {L}×{L} at T = {:.4} (J/T = {:.4}), DBN {}",
        ising.samples,
        ising.temperature,
        ising.coupling / ising.temperature,
        join_sizes(
            &std::iter::once(ising.size * ising.size)
                .chain(config.layers.iter().map(|l| l.hidden.expect("checked")))
                .collect::<Vec<_>>()
        ),
        L = ising.size,
    );

    // 1. Data.
    let n = model.n_spins();
    vrg::memory::check_product(
        || format!("{origin}: [ising] samples = {} of {n} spins", ising.samples),
        &[ising.samples, n, 1 + std::mem::size_of::<f32>()],
        1,
    )?;
    let mut spins = vec![0i8; ising.samples * n];
    let bar = progress::bar(plan.total_sweeps(), "Ising sweeps");
    let chain = run_chain(
        &model,
        &plan,
        vrg::rng::root(ising.seed),
        Some(&mut spins),
        &|done| bar.inc(done),
    )?;
    bar.finish_and_clear();
    let ising_path = dir.join("ising.npy");
    vrg::io::npy::write_i8(
        &ising_path,
        &[ising.samples, ising.size, ising.size],
        &spins,
    )?;
    let kaufman = exact::kaufman(ising.size, ising.size, ising.temperature, ising.coupling)?;
    // The best average log-likelihood per spin any model of these
    // configurations can reach is −s.
    let entropy_per_spin = kaufman.entropy_per_spin();
    let o = &chain.observables;
    eprintln!(
        "Ising ({}): e = {:.4} ± {:.4} (exact {:.4}), |m| = {:.4} ± {:.4}; exact entropy per spin {:.4}",
        format!("{:?}", chain.algorithm).to_lowercase(),
        o.energy_per_spin.mean,
        o.energy_per_spin.error,
        kaufman.energy_per_spin,
        o.abs_magnetization.mean,
        o.abs_magnetization.error,
        entropy_per_spin
    );
    let values: Vec<f32> = spins.iter().map(|&s| f32::from(s)).collect();
    let mut all = Dataset::new(ising.samples, n, values)?;
    all.source = Some(args.out.join("ising.npy"));

    // 2. Training.
    let analysis_rows = config.analysis.rows.unwrap_or(10_000).min(ising.samples);
    let logz = logz_options(&no_flags.logz, &config, ising.seed)?;
    let train = plan_from(all, Overrides::default(), &config, logz, 1000)?;
    let analysed = {
        let rows: Vec<usize> = (0..analysis_rows.min(train.train.n_rows)).collect();
        train.train.select_rows(&rows)
    };
    let model_path = dir.join("dbn.safetensors");
    let mut log = JsonLog::create(Some(&dir.join("train.jsonl")))?;
    let trained = train_plan(&train, &model_path, &mut log)?;

    // 3. Analysis, with the free energies measured during training.
    if analysis.options.logz.is_some() {
        analysis.known_free_energies = Some(trained.free_energies.clone());
        analysis.free_energies_note = crate::experiment::analysis::TRAINING_DATA_NOTE;
    }
    let layer0 = trained.free_energies.first();
    let extra = json!({
        "experiment": origin,
        "sizes": trained.dbn.sizes(),
        "ising": {
            "size": ising.size,
            "temperature": ising.temperature,
            "coupling": ising.coupling,
            "coupling_over_temperature": ising.coupling / ising.temperature,
            "samples": ising.samples,
            "algorithm": format!("{:?}", chain.algorithm).to_lowercase(),
            "energy_per_spin": o.energy_per_spin,
            "abs_magnetization": o.abs_magnetization,
            "exact_energy_per_spin": kaufman.energy_per_spin,
            "exact_log_z_per_spin": kaufman.log_z_per_spin,
            "exact_entropy_per_spin": entropy_per_spin,
            "data": "ising.npy",
        },
        "training": {
            "model": "dbn.safetensors",
            "log": "train.jsonl",
            "params": trained.params,
            "layer0_log_likelihood_per_spin_validation":
                layer0.and_then(|f| f.log_likelihood_validation).map(|l| l / n as f64),
            "best_possible_log_likelihood_per_spin": -entropy_per_spin,
        },
        "seconds": started.elapsed().as_secs_f64(),
    });
    let mut summary = analyze_into(
        &trained.dbn,
        &analysed,
        &analysis,
        &dir,
        extra,
        Some(-entropy_per_spin),
    )?;
    // The training curves of every layer, from the log written above.
    let log_path = dir.join("train.jsonl");
    let log_text = std::fs::read_to_string(&log_path)
        .with_context(|| format!("cannot read {}", log_path.display()))?;
    if let Some(figure) = dbn_figures::training(&dbn_figures::epochs_by_layer(&log_text)) {
        let (mut figures, mut captions) = (serde_json::Map::new(), serde_json::Map::new());
        write_figure(&figure, &dir, &mut figures, &mut captions)?;
        for (into, more) in [("figures", figures), ("captions", captions)] {
            if let Some(target) = summary[into].as_object_mut() {
                target.extend(more);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    summary["seconds"] = json!(seconds);
    let mut run = run_record(started_at, seconds);
    run["seeds"] = json!({
        "ising": ising.seed,
        "training":
            trained.params.iter().map(|p| p.seed()).collect::<Vec<_>>(),
        "analysis": analysis.options.seed,
        "ln Z (AIS)": analysis.options.logz.as_ref().map(|l| l.seed),
    });
    summary["run"] = run;
    crate::output::write_json(&dir.join("summary.json"), &summary)?.commit()?;
    drop(log);
    write_report(&dir, &dir.join(REPORT_FILE))?;
    out.commit()?;
    let dir = args.out.clone();
    if let Some(f) = layer0.and_then(|f| f.log_likelihood_validation) {
        eprintln!(
            "layer 1 models the held-out Ising configurations at {:.4} nats per spin; the exact entropy bound is {:.4}",
            f / n as f64,
            -entropy_per_spin
        );
    }
    print_headlines(&summary, &dir);
    eprintln!(
        "vrg demo done in {:.0} s: open {} (numbers in summary.json, figures beside it)",
        started.elapsed().as_secs_f64(),
        dir.join(REPORT_FILE).display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_experiments_parse_with_their_stated_setups() {
        let paper = ExperimentConfig::parse(MEHTA_SCHWAB_CONFIG, "mehta-schwab").unwrap();
        let ising = paper.ising.as_ref().unwrap();
        assert_eq!((ising.size, ising.samples), (40, 20_000));
        assert!((ising.coupling / ising.temperature - 0.408).abs() < 1e-12);
        let hidden: Vec<usize> = paper.layers.iter().map(|l| l.hidden.unwrap()).collect();
        assert_eq!(hidden, vec![400, 100, 25]);
        assert!(paper.train.l1.unwrap() > 0.0, "L1 regularisation");
        for l in &paper.layers {
            l.over(&paper.train).train().check(18_000).unwrap();
        }
        let demo = ExperimentConfig::parse(DEMO_CONFIG, "demo").unwrap();
        assert!(demo.ising.as_ref().unwrap().size * demo.ising.as_ref().unwrap().size <= 400);
        assert_eq!(demo.layers.len(), 2);
    }
}
