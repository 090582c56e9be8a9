//! `vrg dbn train`: greedy layer-wise training from flags and an experiment file.

use crate::experiment::config::ExperimentConfig;
use crate::experiment::greedy::{
    join_sizes, train_plan_from, Checkpoint, PlanRecord, ResumePoint, TrainingPlot,
};
use crate::experiment::plan::{logz_options, plan_from, Overrides};
use crate::flags::DbnTrainArgs;
use crate::inputs::{check_extension, check_training_paths, load_data};
use crate::resume;
use crate::resume::{DataRecord, JsonLog};
use anyhow::{bail, Result};
use std::path::PathBuf;
use vrg::dbn::GreedyStart;

/// Parses a list of unit counts such as `1600,400,100,25`.
fn parse_sizes(text: &str) -> Result<Vec<usize>> {
    let sizes: Vec<usize> = text
        .split(',')
        .map(|item| {
            item.trim()
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| {
                    anyhow::anyhow!("invalid --layers {text:?}: {item:?} is not a unit count ≥ 1")
                })
        })
        .collect::<Result<_>>()?;
    if sizes.len() < 2 {
        bail!("invalid --layers {text:?}: expected the data's units and at least one hidden layer, e.g. 1600,400");
    }
    Ok(sizes)
}

pub fn run(args: DbnTrainArgs) -> Result<PathBuf> {
    check_extension("--out", &args.out, "safetensors")?;
    if let Some(plot) = &args.plot {
        check_extension("--plot", plot, "png")?;
    }
    let config = ExperimentConfig::read_if_given(args.config.as_deref())?;
    let sizes = args.layers.as_deref().map(parse_sizes).transpose()?;
    let logz = logz_options(&args.logz.as_analysis(), &config, 1)?;
    let binarize = args.data.binarize()?;
    check_training_paths(
        &args.data.data,
        ("--config", args.config.as_deref()),
        &args.out,
        args.log.as_deref(),
        &[("--plot", args.plot.as_deref())],
    )?;
    // The data flags known before the data are read; checked against a
    // checkpoint at once, and again with the rest after planning.
    let flags = DataRecord::default()
        .path("--data", Some(&args.data.data))
        .value("--binarize", resume::binarize_text(binarize))
        .value("--scale", resume::or_none(args.data.scale.as_deref()))
        .value("--limit", resume::or_none(args.data.limit))
        .value("--monitor-rows", args.monitor_rows);
    let checkpoint = if args.resume {
        let checkpoint = Checkpoint::read(&args.out)?;
        flags.check_flags(&checkpoint.data, &args.out)?;
        Some(checkpoint)
    } else {
        None
    };
    let all = load_data(&args.data.data, &args.data, args.data.limit, binarize)?;
    let overrides = Overrides {
        sizes,
        visible_units: args.visible_units,
        validation_fraction: args.validation_fraction,
        layer_flags: Some(&args.layer),
    };
    let plan = plan_from(all, overrides, &config, logz, args.monitor_rows)?;
    let record = flags
        .value("--validation-fraction", plan.validation_fraction)
        .with_data(&plan.train, plan.validation.as_ref());
    let started = std::time::Instant::now();
    let trained = match checkpoint {
        None => {
            let mut log = JsonLog::create(args.log.as_deref())?;
            let plot = args.plot.as_deref().map(TrainingPlot::new);
            train_plan_from(&plan, &args.out, &mut log, &record, None, plot)?
        }
        Some(checkpoint) => {
            // Every check before anything is written.
            record.check_flags(&checkpoint.data, &args.out)?;
            PlanRecord::of(&plan).check(&checkpoint.plan, &args.out)?;
            record.check_data(&checkpoint.data, &args.out)?;
            let log_state = match args.log.as_deref() {
                Some(path) => {
                    let fix = resume::plan_log_fix(path, &checkpoint.log, &args.out)?;
                    resume::apply_log_fix(path, fix, &checkpoint.log)?
                }
                None => checkpoint.log.clone(),
            };
            let n_layers = plan.specs.len();
            let finished = checkpoint.layers.len();
            if finished == n_layers {
                eprintln!(
                    "{} holds all {n_layers} trained layers already: nothing to train",
                    args.out.display()
                );
                return Ok(args.out);
            }
            let at = checkpoint
                .in_progress
                .as_ref()
                .map_or(0, |(_, s)| s.epochs_done);
            eprintln!(
                "resuming {}: {finished} of {n_layers} layers trained, layer {} after epoch {at} of {}",
                args.out.display(),
                finished + 1,
                plan.specs[finished].params.epochs()
            );
            let mut log = JsonLog::resume(args.log.as_deref(), log_state);
            let resumed = ResumePoint {
                start: GreedyStart {
                    finished: checkpoint.layers,
                    in_progress: checkpoint.in_progress,
                },
                free_energies: checkpoint.free_energies,
            };
            let plot = match (args.plot.as_deref(), args.log.as_deref()) {
                (Some(plot), Some(log)) => Some(TrainingPlot::resumed(plot, log)?),
                (plot, _) => plot.map(TrainingPlot::new),
            };
            train_plan_from(&plan, &args.out, &mut log, &record, Some(resumed), plot)?
        }
    };
    eprintln!(
        "wrote {}: DBN {} ({} layers) in {:.1} s",
        args.out.display(),
        join_sizes(&trained.dbn.sizes()),
        trained.dbn.layers().len(),
        started.elapsed().as_secs_f64()
    );
    Ok(args.out)
}
