//! A training plan: the data split, each layer's validated parameters
//! (flags over `[[layer]]` over `[train]` over defaults) and the ln Z
//! settings.

use crate::experiment::config::ExperimentConfig;
use crate::flags::{LayerFlags, LogZChoice, LogZFlags};
use crate::inputs::fit_units;
use anyhow::{bail, Result};
use vrg::data;
use vrg::data::Dataset;
use vrg::dbn::LayerSpec;
use vrg::estimate::{LogZMethod, LogZOptions};
use vrg::rbm::{HiddenUnits, VisibleUnits};
use vrg::train::LayerConfig;

/// Each layer's settings: the command line (`flags`) over the layer's
/// `[[layer]]` table over `[train]`; seeds default to 1, 2, 3, … by layer.
fn layer_settings(
    flags: &LayerFlags,
    config: &ExperimentConfig,
    n_layers: usize,
) -> Result<Vec<LayerConfig>> {
    (0..n_layers)
        .map(|l| {
            let from_file = config
                .layers
                .get(l)
                .cloned()
                .unwrap_or_default()
                .over(&config.train);
            let mut merged = from_file.with_train(&flags.train.layer(l, n_layers)?);
            if let Some(units) = &flags.hidden_units {
                merged.hidden_units = Some(units.layer("hidden-units", l, n_layers)?);
            }
            merged.seed = merged.seed.or(Some(1 + l as u64));
            Ok(merged)
        })
        .collect()
}

/// ln Z settings: flags over the config's `[analysis]` table; `None` for
/// `--logz none`.
pub fn logz_options(
    flags: &LogZFlags,
    config: &ExperimentConfig,
    seed: u64,
) -> Result<Option<LogZOptions>> {
    let choice = match (flags.logz, config.analysis.logz.as_deref()) {
        (Some(choice), _) => choice,
        (None, Some(text)) => text
            .parse::<LogZChoice>()
            .map_err(|e| anyhow::anyhow!("invalid [analysis] logz {e}"))?,
        (None, None) => LogZChoice(Some(LogZMethod::Auto)),
    };
    let Some(method) = choice.0 else {
        return Ok(None);
    };
    let chains = flags.chains.or(config.analysis.chains).unwrap_or(100);
    if chains < 2 {
        bail!("invalid --chains {chains}: expected at least 2 AIS chains");
    }
    let betas = flags.betas.or(config.analysis.betas);
    if let Some(k) = betas {
        vrg::estimate::BetaSchedule::scaled(k)
            .map_err(|e| anyhow::anyhow!("invalid --betas {k}: {e}"))?;
    }
    Ok(Some(LogZOptions {
        method,
        chains,
        betas,
        seed,
        bracket: false,
    }))
}

/// Everything `vrg dbn train` (and `vrg demo`) need to train.
pub struct TrainPlan {
    pub train: Dataset,
    pub validation: Option<Dataset>,
    /// The fraction of the data held out (in `validation`).
    pub validation_fraction: f64,
    pub visible_units: VisibleUnits,
    pub specs: Vec<LayerSpec>,
    pub logz: Option<LogZOptions>,
    pub monitor_rows: usize,
}

/// Command-line choices that override an experiment file.
#[derive(Default)]
pub struct Overrides<'a> {
    /// Units per level, the data's first.
    pub sizes: Option<Vec<usize>>,
    pub visible_units: Option<VisibleUnits>,
    pub validation_fraction: Option<f64>,
    pub layer_flags: Option<&'a LayerFlags>,
}

/// Builds a [`TrainPlan`] from data already loaded, command-line
/// overrides and the experiment file.
pub fn plan_from(
    mut all: Dataset,
    overrides: Overrides<'_>,
    config: &ExperimentConfig,
    logz: Option<LogZOptions>,
    monitor_rows: usize,
) -> Result<TrainPlan> {
    let Overrides {
        sizes,
        visible_units,
        validation_fraction,
        layer_flags: flags,
    } = overrides;
    let hidden: Vec<usize> = match &sizes {
        Some(sizes) => {
            if sizes[0] != all.n_features {
                bail!(
                    "invalid --layers: the first size {} is the data's units, but the data have {} features per row",
                    sizes[0],
                    all.n_features
                );
            }
            if !config.layers.is_empty() && config.layers.len() != sizes.len() - 1 {
                bail!(
                    "--layers gives {} layers but the config has {} [[layer]] tables",
                    sizes.len() - 1,
                    config.layers.len()
                );
            }
            sizes[1..].to_vec()
        }
        None => {
            if config.layers.is_empty() {
                bail!("no layers: give --layers N0,N1,… or a --config with [[layer]] tables");
            }
            config
                .layers
                .iter()
                .map(|l| l.hidden.expect("checked when parsed"))
                .collect()
        }
    };
    let empty = LayerFlags::default();
    let settings = layer_settings(flags.unwrap_or(&empty), config, hidden.len())?;
    let visible_units = visible_units
        .or(config.data.visible_units)
        .unwrap_or(VisibleUnits::Bernoulli);
    fit_units(&mut all, visible_units)?;
    let fraction = validation_fraction
        .or(config.data.validation_fraction)
        .unwrap_or(0.1);
    if !(0.0..1.0).contains(&fraction) {
        bail!("invalid --validation-fraction {fraction}: expected a fraction in [0, 1)");
    }
    let first_seed = settings[0].seed.expect("seeds are set");
    let (train, held_out) = data::split_validation(&all, fraction, first_seed)?;
    let validation = (held_out.n_rows > 0).then_some(held_out);
    let mut specs = Vec::with_capacity(hidden.len());
    for (l, (n_hidden, s)) in hidden.iter().zip(&settings).enumerate() {
        let in_layer = |e: anyhow::Error| {
            anyhow::anyhow!(
                "layer {}: {}",
                l + 1,
                crate::output::describe(&e, &crate::output::command_line())
            )
        };
        let params = s
            .train()
            .check(train.n_rows)
            .map_err(|e| in_layer(e.into()))?;
        specs.push(LayerSpec {
            n_hidden: *n_hidden,
            hidden_units: s.hidden_units.unwrap_or(HiddenUnits::Bernoulli),
            params,
        });
    }
    if monitor_rows == 0 {
        bail!("invalid --monitor-rows 0: expected at least 1 row");
    }
    if let Some(logz) = &logz {
        let sizes: Vec<usize> = std::iter::once(train.n_features)
            .chain(specs.iter().map(|spec| spec.n_hidden))
            .collect();
        vrg::estimate::choice::check_feasible(logz.method, &sizes, visible_units)?;
    }
    Ok(TrainPlan {
        train,
        validation,
        validation_fraction: fraction,
        visible_units,
        specs,
        logz,
        monitor_rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::{Cli, Command, DbnCommand, RbmCommand};
    use clap::Parser;
    use vrg::train::{Method, TrainConfig, TrainParams};

    /// The per-layer flags of `vrg dbn train FLAGS`.
    fn dbn_flags(flags: &str) -> LayerFlags {
        let line = format!("vrg dbn train --data d.npy --out o.safetensors {flags}");
        match Cli::try_parse_from(line.split_whitespace())
            .unwrap()
            .command
        {
            Command::Dbn(DbnCommand::Train(args)) => args.layer,
            _ => unreachable!("a dbn train command line"),
        }
    }

    /// Each layer's validated parameters for `config` and `flags`.
    fn layers(config: &str, flags: &str, n_layers: usize) -> Vec<TrainParams> {
        let config = ExperimentConfig::parse(config, "test.toml").unwrap();
        layer_settings(&dbn_flags(flags), &config, n_layers)
            .unwrap()
            .iter()
            .map(|layer| layer.train().check(1000).unwrap())
            .collect()
    }

    /// The examples' `[train]` table, as the code before the one parameter
    /// type read it.
    fn example_train(epochs: usize) -> TrainConfig {
        TrainConfig::new()
            .method(Method::Cd)
            .k(1)
            .epochs(epochs)
            .batch_size(100)
            .learning_rate(0.05)
            .learning_rate_final(0.0005)
            .momentum(0.9)
            .l2(0.0)
            .l1(5e-3)
    }

    /// Config files, flags and their merge give the parameters the code
    /// before the one parameter type gave: flag over `[[layer]]` over
    /// `[train]` over the defaults, seeds 1, 2, 3, … by layer unless set.
    #[test]
    fn config_flags_and_merge_give_the_old_parameters() {
        let demo = include_str!("../../../../examples/demo.toml");
        let paper = include_str!("../../../../examples/mehta-schwab.toml");
        let inline = "[train]\nepochs = 3\nlr = 0.1\nseed = 5\n\
                      [[layer]]\nhidden = 4\nk = 2\n[[layer]]\nhidden = 2\nlr = 0.2\n";
        let check = |config: TrainConfig| config.check(1000).unwrap();
        let table: Vec<(&str, &str, &str, Vec<TrainParams>)> = vec![
            (
                "demo.toml",
                demo,
                "",
                vec![
                    check(example_train(40).seed(1)),
                    check(example_train(40).seed(2)),
                ],
            ),
            (
                "mehta-schwab.toml",
                paper,
                "",
                (1..=3)
                    .map(|s| {
                        let lr = if s == 1 { 0.01 } else { 0.05 };
                        check(example_train(50).learning_rate(lr).seed(s))
                    })
                    .collect(),
            ),
            (
                "demo.toml with flags",
                demo,
                "--lr 0.02 --epochs 5,6 --seed 9 --chains 7 --init-std 0.1 --method pcd",
                vec![
                    check(
                        example_train(5)
                            .learning_rate(0.02)
                            .seed(9)
                            .persistent_chains(7)
                            .init_std(0.1)
                            .method(Method::Pcd),
                    ),
                    check(
                        example_train(6)
                            .learning_rate(0.02)
                            .seed(9)
                            .persistent_chains(7)
                            .init_std(0.1)
                            .method(Method::Pcd),
                    ),
                ],
            ),
            (
                "flags alone",
                "",
                "--method pcd,cd --k 2 --sparsity 0.1 --sparsity-cost 0.5",
                vec![
                    check(
                        TrainConfig::new()
                            .method(Method::Pcd)
                            .k(2)
                            .sparsity_target(0.1)
                            .sparsity_cost(0.5)
                            .seed(1),
                    ),
                    check(
                        TrainConfig::new()
                            .method(Method::Cd)
                            .k(2)
                            .sparsity_target(0.1)
                            .sparsity_cost(0.5)
                            .seed(2),
                    ),
                ],
            ),
            (
                "[[layer]] over [train], flags over both",
                inline,
                "--lr-final 0.01,0.02",
                vec![
                    check(
                        TrainConfig::new()
                            .epochs(3)
                            .learning_rate(0.1)
                            .seed(5)
                            .k(2)
                            .learning_rate_final(0.01),
                    ),
                    check(
                        TrainConfig::new()
                            .epochs(3)
                            .learning_rate(0.2)
                            .seed(5)
                            .learning_rate_final(0.02),
                    ),
                ],
            ),
        ];
        for (name, config, flags, expected) in table {
            assert_eq!(layers(config, flags, expected.len()), expected, "{name}");
        }
    }

    /// `vrg rbm train` flags check to the same parameters as the same
    /// values set in code.
    #[test]
    fn rbm_train_flags_are_the_parameter_type() {
        let line = "vrg rbm train --data d.npy --hidden 8 --out o.safetensors \
                    --method cd --k 3 --batch 50 --lr 0.1 --lr-final 0.01 \
                    --momentum-switch-epoch 2 --dropout 0.2 --seed 4";
        let Command::Rbm(RbmCommand::Train(args)) = Cli::try_parse_from(line.split_whitespace())
            .unwrap()
            .command
        else {
            unreachable!("an rbm train command line")
        };
        let expected = TrainConfig::new()
            .method(Method::Cd)
            .k(3)
            .batch_size(50)
            .learning_rate(0.1)
            .learning_rate_final(0.01)
            .momentum_switch_epoch(2)
            .dropout(0.2)
            .seed(4);
        assert_eq!(args.train, expected);
    }
}
