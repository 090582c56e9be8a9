//! Training hyper-parameters: one table, checked once.
//!
//! Every hyper-parameter is declared once, in the [`hyper_parameters!`]
//! table below, with its Rust name, its key in experiment files (TOML), its
//! command-line flag and its default. From that table come
//! - [`TrainConfig`], the *unchecked* set: every field optional, as a
//!   config file or a command line may leave it out; serde reads and writes
//!   it (TOML `[train]`), clap parses it as flags (`#[command(flatten)]`,
//!   with the `clap` feature), and [`TrainConfig::over`] stacks sources
//!   (flag over config file over default);
//! - [`TrainParams`], the *validated* set, made only by
//!   [`TrainConfig::check`] (or read back from a checkpoint, which checks
//!   the ranges again): [`crate::train::Trainer`] accepts nothing else, so
//!   no range is re-checked per epoch;
//! - [`LayerConfig`], the same set with a layer's hidden units (a DBN's
//!   `[[layer]]` table), and [`TrainConfigLists`], the flags of a DBN where
//!   each takes one value for every layer or a comma-separated list with
//!   one value per layer;
//! - the field-by-field comparison [`TrainConfig::conflicts`] that `--resume`
//!   uses to refuse a flag that disagrees with the checkpoint.
//!
//! This is linfa's pattern (an unchecked parameter set whose `check`
//! returns the validated one). Adding a hyper-parameter means one row in
//! the table, its range in [`TrainParams::check_ranges`], its use in the
//! trainer, and its test.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How the negative phase is sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Contrastive divergence: k Gibbs steps started at the data
    /// (Hinton 2002).
    Cd,
    /// Persistent contrastive divergence: k Gibbs steps continuing
    /// persistent chains across updates (Tieleman 2008).
    Pcd,
    /// EMF training with the second-order TAP free energy: the negative
    /// statistics are the gradient of ln Z_TAP at persistent magnetisations
    /// advanced by --tap-iterations damped sweeps per update
    /// (Gabrié, Tramel & Krzakala 2015).
    Tap2,
    /// EMF training with the third-order TAP free energy.
    Tap3,
}

impl Method {
    /// The lowercase name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Method::Cd => "cd",
            Method::Pcd => "pcd",
            Method::Tap2 => "tap2",
            Method::Tap3 => "tap3",
        }
    }

    /// The order of the TAP free energy of an EMF method (`None` for CD
    /// and PCD).
    pub fn tap_order(self) -> Option<crate::estimate::TapOrder> {
        match self {
            Method::Cd | Method::Pcd => None,
            Method::Tap2 => Some(crate::estimate::TapOrder::Second),
            Method::Tap3 => Some(crate::estimate::TapOrder::Third),
        }
    }

    /// Whether the method keeps persistent state across updates (PCD's
    /// chains, EMF's magnetisations).
    pub fn is_persistent(self) -> bool {
        self != Method::Cd
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cd" => Ok(Method::Cd),
            "pcd" => Ok(Method::Pcd),
            "tap2" => Ok(Method::Tap2),
            "tap3" => Ok(Method::Tap3),
            other => Err(Error::invalid("method", other, "cd, pcd, tap2 or tap3")),
        }
    }
}

/// The arithmetic of EMF training's TAP sweeps (`--tap-precision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum TapPrecision {
    /// W, W², W³ and the magnetisations in f32.
    F32,
    /// W, W², W³ and the magnetisations rounded to bfloat16 (8 significant
    /// bits) in the sweeps' products, the sums in f32
    /// ([`crate::linalg::powers_bf16`]): twice the multiply-adds per
    /// instruction on processors with AVX512-BF16, f32 elsewhere. The TAP
    /// updates, the gradient and the parameters stay f32.
    Bf16,
}

impl TapPrecision {
    /// The lowercase name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TapPrecision::F32 => "f32",
            TapPrecision::Bf16 => "bf16",
        }
    }
}

impl fmt::Display for TapPrecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for TapPrecision {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "f32" => Ok(TapPrecision::F32),
            "bf16" => Ok(TapPrecision::Bf16),
            other => Err(Error::invalid("tap-precision", other, "f32 or bf16")),
        }
    }
}

/// How EMF training weighs its persistent magnetisations' TAP states in
/// the negative phase (`--tap-weights`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum TapWeights {
    /// Every magnetisation's statistics count alike: the mean of the
    /// gradients of ln Z_TAP = −Γ(m_α) over the states α (Gabrié et al.
    /// 2015, Boltzmann.jl).
    Uniform,
    /// Each state counts by its Boltzmann weight e^{−Γ(m_α)} / Σ_β e^{−Γ(m_β)}:
    /// the gradient of ln Σ_α e^{−Γ(m_α)}, the TAP estimate of ln Z as a
    /// sum over the states found, so that the states that hold most of the
    /// model's mass are pushed down hardest.
    Boltzmann,
}

impl TapWeights {
    /// The lowercase name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TapWeights::Uniform => "uniform",
            TapWeights::Boltzmann => "boltzmann",
        }
    }
}

impl fmt::Display for TapWeights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for TapWeights {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "uniform" => Ok(TapWeights::Uniform),
            "boltzmann" => Ok(TapWeights::Boltzmann),
            other => Err(Error::invalid("tap-weights", other, "uniform or boltzmann")),
        }
    }
}

/// One value for every layer, or one value per layer: the value of a DBN
/// flag such as `--lr 0.1` or `--lr 0.1,0.05,0.01` ([`TrainConfigLists`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PerLayer<T>(pub Vec<T>);

impl<T: std::str::FromStr> std::str::FromStr for PerLayer<T>
where
    T::Err: fmt::Display,
{
    type Err = String;
    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let items: Vec<&str> = text.split(',').map(str::trim).collect();
        let several = items.len() > 1;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item.parse::<T>().map_err(|e| match several {
                    true => format!("value {} {item:?}: {e}", i + 1),
                    false => e.to_string(),
                })
            })
            .collect::<std::result::Result<Vec<T>, String>>()
            .map(PerLayer)
    }
}

impl<T: Clone + fmt::Display> PerLayer<T> {
    /// Layer `l`'s value of flag `--{flag}` among `n_layers` layers. Errors
    /// unless the list has one value or `n_layers` values.
    pub fn layer(&self, flag: &'static str, l: usize, n_layers: usize) -> Result<T> {
        match self.0.len() {
            1 => Ok(self.0[0].clone()),
            n if n == n_layers => Ok(self.0[l].clone()),
            n => {
                let list: Vec<String> = self.0.iter().map(|v| v.to_string()).collect();
                Err(Error::invalid(
                    flag,
                    list.join(","),
                    format!("one value or one per layer ({n} values for {n_layers} layers)"),
                ))
            }
        }
    }
}

/// A hyper-parameter's value as the user wrote it (`none` for an unset
/// optional value).
trait FlagValue {
    fn flag_value(&self) -> String;
}

macro_rules! flag_value_by_display {
    ($($ty:ty),*) => {
        $(impl FlagValue for $ty {
            fn flag_value(&self) -> String {
                self.to_string()
            }
        })*
    };
}
flag_value_by_display!(usize, u64, f64, Method, TapPrecision, TapWeights);

impl<T: FlagValue> FlagValue for Option<T> {
    fn flag_value(&self) -> String {
        self.as_ref().map_or_else(|| "none".into(), T::flag_value)
    }
}

/// One hyper-parameter whose value on a `--resume` command line (or in a
/// resumed plan) differs from the checkpoint's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The flag, without dashes (`lr`, `batch`, …).
    pub flag: &'static str,
    /// The value given now.
    pub given: String,
    /// The checkpoint's value.
    pub saved: String,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--{} {} (checkpoint: {})",
            self.flag, self.given, self.saved
        )
    }
}

/// Declares the hyper-parameters. Each row:
/// `doc, name: Type = default, key "toml_key", flag "flag-name", value "VALUE_NAME";`
/// where `Type` is the validated type (`Option<T>` for a parameter that
/// may stay unset; the unchecked sets then hold `Option<T>` too, unset
/// meaning "not given", and the default is `None`).
macro_rules! hyper_parameters {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident: $ty:ty [$given:ty] = $default:expr,
            key $key:literal, flag $flag:literal, value $value:literal;
    )*) => {
        /// Training hyper-parameters as given: by a config file, by flags,
        /// or in code. Unset fields take the value of the next source
        /// ([`TrainConfig::over`]) and finally the default;
        /// [`TrainConfig::check`] turns them into a validated
        /// [`TrainParams`]. Serde keys are the experiment-file keys; with
        /// the `clap` feature it is also a group of command-line flags.
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "clap", derive(clap::Args))]
        #[serde(deny_unknown_fields)]
        pub struct TrainConfig {
            $(
                $(#[doc = $doc])*
                #[serde(rename = $key, default, skip_serializing_if = "Option::is_none")]
                #[cfg_attr(feature = "clap", arg(long = $flag, value_name = $value, allow_negative_numbers = true))]
                pub $name: Option<$given>,
            )*
        }

        /// A DBN layer's settings as given (a `[[layer]]` table of an
        /// experiment file, or `[train]` for every layer): its hidden units
        /// and its training hyper-parameters.
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct LayerConfig {
            /// Hidden units of the layer (only in `[[layer]]`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub hidden: Option<usize>,
            /// Hidden unit type (default Bernoulli).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub hidden_units: Option<crate::rbm::HiddenUnits>,
            $(
                $(#[doc = $doc])*
                #[serde(rename = $key, default, skip_serializing_if = "Option::is_none")]
                pub $name: Option<$given>,
            )*
        }

        /// The training flags of a DBN: each takes one value for every
        /// layer or a comma-separated list with one value per layer.
        #[derive(Clone, Debug, Default, PartialEq)]
        #[cfg_attr(feature = "clap", derive(clap::Args))]
        pub struct TrainConfigLists {
            $(
                $(#[doc = $doc])*
                #[cfg_attr(feature = "clap", arg(long = $flag, value_name = $value, allow_hyphen_values = true))]
                pub $name: Option<PerLayer<$given>>,
            )*
        }

        /// Validated training hyper-parameters, made by
        /// [`TrainConfig::check`]. Defaults follow Hinton's practical guide
        /// (2010): learning rate 0.01 for Bernoulli units, momentum 0.5 for
        /// the first 5 epochs then 0.9, weights initialised from
        /// N(0, 0.01²). Serialised (in checkpoints) by the Rust names.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        pub struct TrainParams {
            $(
                $(#[doc = $doc])*
                pub(crate) $name: $ty,
            )*
        }

        impl TrainParams {
            $(
                $(#[doc = $doc])*
                pub fn $name(&self) -> $ty {
                    self.$name
                }
            )*

            /// Every parameter set: the config that checks to `self`.
            pub fn to_config(&self) -> TrainConfig {
                TrainConfig { $($name: self.$name.into(),)* }
            }

            /// The parameters of `self` that differ from `saved`, by flag.
            pub fn conflicts_with(&self, saved: &TrainParams) -> Vec<Conflict> {
                let mut out = Vec::new();
                $(
                    if self.$name != saved.$name {
                        out.push(Conflict {
                            flag: $flag,
                            given: self.$name.flag_value(),
                            saved: saved.$name.flag_value(),
                        });
                    }
                )*
                out
            }
        }

        /// The defaults, as a validated set needs them before checking.
        fn defaults() -> TrainParams {
            TrainParams { $($name: $default,)* }
        }

        /// Stored parameters as read from a checkpoint, before checking. A
        /// parameter the file lacks (written before it existed) takes its
        /// default.
        #[derive(Deserialize)]
        struct StoredParams {
            $(
                #[serde(default)]
                $name: Option<$ty>,
            )*
        }

        impl TryFrom<StoredParams> for TrainParams {
            type Error = Error;
            fn try_from(stored: StoredParams) -> Result<Self> {
                let mut params = defaults();
                $(if let Some(value) = stored.$name { params.$name = value; })*
                params.check_ranges()?;
                Ok(params)
            }
        }

        impl TrainConfig {
            /// The empty set: every parameter at its default.
            pub fn new() -> Self {
                Self::default()
            }

            $(
                $(#[doc = $doc])*
                pub fn $name(mut self, value: $given) -> Self {
                    self.$name = Some(value);
                    self
                }
            )*

            /// `self` over `below`: each value set in `self` wins.
            pub fn over(&self, below: &TrainConfig) -> TrainConfig {
                TrainConfig { $($name: self.$name.or(below.$name),)* }
            }

            /// The given values that differ from `saved`'s, except those of
            /// the flags in `except`.
            pub fn conflicts(&self, saved: &TrainParams, except: &[&str]) -> Vec<Conflict> {
                let mut out = Vec::new();
                $(
                    if let Some(given) = self.$name {
                        let given: $ty = given.into();
                        if !except.contains(&$flag) && given != saved.$name {
                            out.push(Conflict {
                                flag: $flag,
                                given: given.flag_value(),
                                saved: saved.$name.flag_value(),
                            });
                        }
                    }
                )*
                out
            }

            /// Defaults for the unset values, then every range checked;
            /// `n_train_rows` is the number of training rows (the batch may
            /// not exceed it).
            pub fn check(&self, n_train_rows: usize) -> Result<TrainParams> {
                let mut params = defaults();
                $(if let Some(value) = self.$name { params.$name = value.into(); })*
                params.check_ranges()?;
                params.check_batch(n_train_rows)?;
                Ok(params)
            }
        }

        impl LayerConfig {
            /// The layer's training hyper-parameters.
            pub fn train(&self) -> TrainConfig {
                TrainConfig { $($name: self.$name,)* }
            }

            /// `self` over `below`: each value set in `self` wins.
            pub fn over(&self, below: &LayerConfig) -> LayerConfig {
                LayerConfig {
                    hidden: self.hidden.or(below.hidden),
                    hidden_units: self.hidden_units.or(below.hidden_units),
                    $($name: self.$name.or(below.$name),)*
                }
            }

            /// `train`'s set values over this layer's.
            pub fn with_train(&self, train: &TrainConfig) -> LayerConfig {
                LayerConfig {
                    hidden: self.hidden,
                    hidden_units: self.hidden_units,
                    $($name: train.$name.or(self.$name),)*
                }
            }
        }

        impl TrainConfigLists {
            /// Layer `l`'s values among `n_layers` layers. Errors unless each
            /// list given has one value or `n_layers` values.
            pub fn layer(&self, l: usize, n_layers: usize) -> Result<TrainConfig> {
                Ok(TrainConfig {
                    $($name: self.$name.as_ref().map(|v| v.layer($flag, l, n_layers)).transpose()?,)*
                })
            }
        }
    };
}

hyper_parameters! {
    /// Negative phase: cd (contrastive divergence, chains restart at the
    /// data), pcd (persistent chains), or tap2 / tap3 (EMF: the gradient of
    /// the TAP free energy at persistent magnetisations) [default: pcd].
    method: Method [Method] = Method::Pcd, key "method", flag "method", value "METHOD";
    /// Gibbs steps per update (≥ 1) [default: 1].
    k: usize [usize] = 1, key "k", flag "k", value "K";
    /// Epochs (passes over the training rows); with --resume, the total to
    /// reach [default: 10; with --resume, the checkpoint's].
    epochs: usize [usize] = 10, key "epochs", flag "epochs", value "E";
    /// Minibatch size, at most the number of training rows [default: 100].
    batch_size: usize [usize] = 100, key "batch", flag "batch", value "B";
    /// Learning rate at the first epoch (> 0) [default: 0.01].
    learning_rate: f64 [f64] = 0.01, key "lr", flag "lr", value "R";
    /// Learning rate at the last epoch, reached linearly (≥ 0; with
    /// --resume the schedule runs to the new --epochs) [default: none, the
    /// rate stays constant].
    learning_rate_final: Option<f64> [f64] = None, key "lr_final", flag "lr-final", value "R";
    /// Momentum in [0, 1) from epoch --momentum-switch-epoch on [default: 0.9].
    momentum: f64 [f64] = 0.9, key "momentum", flag "momentum", value "M";
    /// Momentum in [0, 1) for the first epochs (Hinton's guide §9)
    /// [default: 0.5].
    initial_momentum: f64 [f64] = 0.5, key "initial_momentum", flag "initial-momentum", value "M";
    /// Epochs (counting from 0) before the momentum switches from
    /// --initial-momentum to --momentum [default: 5].
    momentum_switch_epoch: usize [usize] = 5, key "momentum_switch_epoch", flag "momentum-switch-epoch", value "E";
    /// L2 weight decay on W (≥ 0; Hinton's guide §10) [default: 0.0001].
    l2: f64 [f64] = 1e-4, key "l2", flag "l2", value "A";
    /// L1 penalty on W (≥ 0) [default: 0].
    l1: f64 [f64] = 0.0, key "l1", flag "l1", value "A";
    /// Target mean activation p in (0, 1) of each hidden unit (Hinton's
    /// guide §11) [default: none, no sparsity penalty].
    sparsity_target: Option<f64> [f64] = None, key "sparsity", flag "sparsity", value "P";
    /// Cost of the sparsity penalty (≥ 0) [default: 0.1].
    sparsity_cost: f64 [f64] = 0.1, key "sparsity_cost", flag "sparsity-cost", value "C";
    /// Decay λ in [0, 1) of the running activity estimate q ← λq + (1 − λ)⟨h⟩
    /// [default: 0.95].
    sparsity_decay: f64 [f64] = 0.95, key "sparsity_decay", flag "sparsity-decay", value "L";
    /// Probability in [0, 0.99] of dropping each hidden unit per training
    /// case (Srivastava et al. 2014) [default: 0].
    dropout: f64 [f64] = 0.0, key "dropout", flag "dropout", value "P";
    /// Persistent chains for PCD, or persistent magnetisations for
    /// tap2/tap3 (≥ 1) [default: the batch size].
    persistent_chains: Option<usize> [usize] = None, key "chains", flag "chains", value "C";
    /// Damped TAP sweeps per update for tap2/tap3, at most (≥ 1); the
    /// default is Boltzmann.jl's. More sweeps give better models at a
    /// proportional cost: on MNIST 784×500 (20 epochs, momentum 0.5, 20
    /// magnetisations, --tap-damping 0 --tap-restarts 1) the test
    /// log-likelihood was −104.0 with 3 sweeps and −103.2 with 5, against
    /// PCD-1's −101.4 [default: 3].
    tap_iterations: usize [usize] = 3, key "tap_iterations", flag "tap-iterations", value "N";
    /// The sweeps of an update stop early once no magnetisation moved by
    /// more than this in a sweep (in [0, 1]; at 0 only at an exact fixed
    /// point) [default: 0].
    tap_tolerance: f64 [f64] = 0.0, key "tap_tolerance", flag "tap-tolerance", value "T";
    /// Damping d in [0, 1) of the TAP sweeps, m ← d·m + (1 − d)·f(h), for
    /// tap2/tap3; the default is Boltzmann.jl's, and the persistent
    /// magnetisations converge faster undamped (0) [default: 0.5].
    tap_damping: f64 [f64] = 0.5, key "tap_damping", flag "tap-damping", value "D";
    /// Persistent magnetisations restarted at each update for tap2/tap3,
    /// in turn: each takes a row of the batch (m_v = v, m_h = E[h | v])
    /// before the sweeps, so that the magnetisations keep finding the
    /// states near the data instead of all settling in one (at most
    /// --chains; 0 keeps them all persistent). On MNIST 784×500 with 20
    /// magnetisations, TAP2 scored −120 nats without restarts (10 undamped
    /// sweeps) and −104 with one per update (3 undamped sweeps; PCD-1:
    /// −101; over eight seeds 2.0 to 5.5 nats below PCD-1); 2 to 5 per
    /// update were worse [default: 0].
    tap_restarts: usize [usize] = 0, key "tap_restarts", flag "tap-restarts", value "R";
    /// Persistent Gibbs chains for tap2/tap3 that seed every other
    /// restart of --tap-restarts: in the rotation of the restarts, the odd
    /// ones start from a chain's visible sample v (m_v = v, m_h = E[h | v])
    /// instead of a batch row, so that the restarted magnetisations reach
    /// the model's own states as well as those near the data. The chains
    /// take one block Gibbs step, as PCD's do, before each update whose
    /// restarts use them (needs --tap-restarts; at least half of it,
    /// rounded up; 0: every restart from the batch). On MNIST 784×500 (20
    /// magnetisations, 3 undamped sweeps, 1 restart per update; eight
    /// seeds), G = 10 brought TAP3 from 3.5 to 2.7 nats below PCD-1 on
    /// average and TAP2 from 3.5 to 3.3: a gain of 0.55 ± 0.45 nats, within
    /// the 1.2–1.4 nats of spread between seeds; with --tap-weights
    /// boltzmann as well, 1.6 and 1.7 nats below [default: 0].
    tap_gibbs_chains: usize [usize] = 0, key "tap_gibbs_chains", flag "tap-gibbs-chains", value "G";
    /// How the negative phase of tap2/tap3 weighs the persistent
    /// magnetisations' TAP states: uniform (each alike, as Gabrié et al.
    /// and Boltzmann.jl), or boltzmann (each by e^{−Γ} of its state, the
    /// gradient of ln Σ_states e^{−Γ}, so that the states holding most of
    /// the model's mass are pushed down hardest). On MNIST 784×500 (the
    /// settings of --tap-gibbs-chains, eight seeds), boltzmann brought TAP3
    /// from 3.5 to 2.7 nats below PCD-1 on average; with
    /// --tap-gibbs-chains 10 as well, TAP3 averaged 1.6 and TAP2 1.7 nats
    /// below PCD-1, every seed within 2.5 [default: uniform].
    tap_weights: TapWeights [TapWeights] = TapWeights::Uniform, key "tap_weights", flag "tap-weights", value "W";
    /// Arithmetic of the TAP sweeps' products for tap2/tap3: f32, or bf16
    /// (W's powers and the magnetisations rounded to bfloat16, the sums in
    /// f32; on processors with AVX512-BF16, f32 elsewhere). The sweeps of
    /// a 784×500 update with 20 magnetisations ran 1.7–2.0 times as fast
    /// (`cargo bench -p vrg --bench tap_sweeps`); on MNIST (20 epochs, the
    /// settings of --tap-restarts) the test log-likelihoods of TAP2 and
    /// TAP3 moved by −0.4 to +0.6 nats against f32 [default: f32].
    tap_precision: TapPrecision [TapPrecision] = TapPrecision::F32, key "tap_precision", flag "tap-precision", value "P";
    /// Standard deviation in [0, 10] of the initial weights [default: 0.01].
    init_std: f64 [f64] = 0.01, key "init_std", flag "init-std", value "S";
    /// Seed of the weights, the validation split and every training stream
    /// [default: 1].
    seed: u64 [u64] = 1, key "seed", flag "seed", value "S";
}

impl<'de> Deserialize<'de> for TrainParams {
    /// Parameters stored in a checkpoint, their ranges checked again.
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let stored = StoredParams::deserialize(deserializer)?;
        TrainParams::try_from(stored).map_err(serde::de::Error::custom)
    }
}

fn check_range(name: &'static str, value: f64, low: f64, high: f64, expected: &str) -> Result<()> {
    if value.is_finite() && value >= low && value <= high {
        Ok(())
    } else {
        Err(Error::invalid(name, value, expected))
    }
}

impl TrainParams {
    /// Checks every range but the batch size's bound by the data
    /// ([`TrainParams::check_batch`]). Errors name the flag.
    fn check_ranges(&self) -> Result<()> {
        if self.k == 0 {
            return Err(Error::invalid("k", 0, "at least 1 Gibbs step"));
        }
        if self.epochs == 0 {
            return Err(Error::invalid("epochs", 0, "at least 1 epoch"));
        }
        if self.batch_size == 0 {
            return Err(Error::invalid("batch", 0, "a batch size of at least 1"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::invalid(
                "lr",
                self.learning_rate,
                "a finite learning rate > 0",
            ));
        }
        if let Some(last) = self.learning_rate_final {
            if !(last.is_finite() && last >= 0.0) {
                return Err(Error::invalid(
                    "lr-final",
                    last,
                    "a finite learning rate ≥ 0",
                ));
            }
        }
        let momentum = "a momentum in [0, 1)";
        check_range("momentum", self.momentum, 0.0, 0.999_999, momentum)?;
        check_range(
            "initial-momentum",
            self.initial_momentum,
            0.0,
            0.999_999,
            momentum,
        )?;
        check_range("l2", self.l2, 0.0, f64::MAX, "a weight decay ≥ 0")?;
        check_range("l1", self.l1, 0.0, f64::MAX, "an L1 penalty ≥ 0")?;
        if let Some(p) = self.sparsity_target {
            if !(p > 0.0 && p < 1.0) {
                return Err(Error::invalid(
                    "sparsity",
                    p,
                    "a target activation in (0, 1)",
                ));
            }
        }
        check_range(
            "sparsity-cost",
            self.sparsity_cost,
            0.0,
            f64::MAX,
            "a cost ≥ 0",
        )?;
        check_range(
            "sparsity-decay",
            self.sparsity_decay,
            0.0,
            0.999_999,
            "a decay in [0, 1)",
        )?;
        check_range(
            "dropout",
            self.dropout,
            0.0,
            0.99,
            "a dropout probability in [0, 0.99]",
        )?;
        if self.tap_iterations == 0 {
            return Err(Error::invalid(
                "tap-iterations",
                0,
                "at least 1 TAP sweep per update",
            ));
        }
        check_range(
            "tap-tolerance",
            self.tap_tolerance,
            0.0,
            1.0,
            "a largest change of a magnetisation in [0, 1]",
        )?;
        check_range(
            "tap-damping",
            self.tap_damping,
            0.0,
            0.999_999,
            "a damping in [0, 1)",
        )?;
        if self.persistent_chains == Some(0) {
            return Err(Error::invalid("chains", 0, "at least 1 persistent chain"));
        }
        if self.tap_restarts > self.n_chains() {
            return Err(Error::invalid(
                "tap-restarts",
                self.tap_restarts,
                format!(
                    "at most the {} persistent magnetisations (--chains)",
                    self.n_chains()
                ),
            ));
        }
        if self.tap_gibbs_chains > 0 && self.tap_restarts == 0 {
            return Err(Error::invalid(
                "tap-gibbs-chains",
                self.tap_gibbs_chains,
                "0 without --tap-restarts (the chains only seed restarted magnetisations)",
            ));
        }
        let restarts_from_chains = self.tap_restarts.div_ceil(2);
        if self.tap_gibbs_chains > 0 && self.tap_gibbs_chains < restarts_from_chains {
            return Err(Error::invalid(
                "tap-gibbs-chains",
                self.tap_gibbs_chains,
                format!(
                    "at least the {restarts_from_chains} restarts per update that take a chain's \
                     sample (every other one of --tap-restarts {}), each from its own chain",
                    self.tap_restarts
                ),
            ));
        }
        check_range(
            "init-std",
            self.init_std,
            0.0,
            10.0,
            "a standard deviation in [0, 10]",
        )
    }

    /// Errors unless a batch fits in `n_train_rows` training rows.
    pub fn check_batch(&self, n_train_rows: usize) -> Result<()> {
        if self.batch_size > n_train_rows {
            return Err(Error::invalid(
                "batch",
                self.batch_size,
                format!("at most the {n_train_rows} training rows"),
            ));
        }
        Ok(())
    }

    /// The learning rate at `epoch` (0-based).
    pub fn learning_rate_at(&self, epoch: usize) -> f64 {
        match self.learning_rate_final {
            Some(last) if self.epochs > 1 => {
                let f = epoch.min(self.epochs - 1) as f64 / (self.epochs - 1) as f64;
                self.learning_rate + (last - self.learning_rate) * f
            }
            _ => self.learning_rate,
        }
    }

    /// The momentum at `epoch` (0-based).
    pub fn momentum_at(&self, epoch: usize) -> f64 {
        if epoch < self.momentum_switch_epoch {
            self.initial_momentum
        } else {
            self.momentum
        }
    }

    /// Number of persistent chains (PCD) or magnetisations (tap2/tap3).
    pub fn n_chains(&self) -> usize {
        self.persistent_chains.unwrap_or(self.batch_size)
    }

    /// The same parameters trained to `epochs` epochs (a resumed run may
    /// extend its schedule; the learning-rate decay follows it).
    pub fn with_epochs(&self, epochs: usize) -> Result<TrainParams> {
        if epochs == 0 {
            return Err(Error::invalid("epochs", 0, "at least 1 epoch"));
        }
        Ok(TrainParams {
            epochs,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_values_take_the_defaults_and_set_ones_win() {
        let p = TrainConfig::new().check(1000).unwrap();
        assert_eq!(p, defaults());
        let flags = TrainConfig::new().learning_rate(0.5).k(3);
        let file = TrainConfig::new().learning_rate(0.1).epochs(7);
        let p = flags.over(&file).check(1000).unwrap();
        assert_eq!((p.learning_rate(), p.k(), p.epochs()), (0.5, 3, 7));
        assert_eq!(p.to_config().check(1000).unwrap(), p);
    }

    #[test]
    fn each_range_is_checked_and_named_by_its_flag() {
        let cases: [(TrainConfig, &str); 12] = [
            (TrainConfig::new().k(0), "invalid k = 0"),
            (TrainConfig::new().epochs(0), "invalid epochs = 0"),
            (TrainConfig::new().batch_size(0), "invalid batch = 0"),
            (
                TrainConfig::new().batch_size(11),
                "at most the 10 training rows",
            ),
            (
                TrainConfig::new().learning_rate(f64::NAN),
                "invalid lr = NaN",
            ),
            (
                TrainConfig::new().learning_rate_final(-1.0),
                "invalid lr-final = -1",
            ),
            (TrainConfig::new().momentum(1.0), "invalid momentum = 1"),
            (TrainConfig::new().l1(-0.1), "invalid l1 = -0.1"),
            (
                TrainConfig::new().sparsity_target(1.0),
                "invalid sparsity = 1",
            ),
            (TrainConfig::new().dropout(0.995), "invalid dropout = 0.995"),
            (
                TrainConfig::new().persistent_chains(0),
                "invalid chains = 0",
            ),
            (TrainConfig::new().init_std(11.0), "invalid init-std = 11"),
        ];
        for (config, needle) in cases {
            let batch = config.batch_size.unwrap_or(5);
            let e = config.batch_size(batch).check(10);
            let e = e.unwrap_err().to_string();
            assert!(e.contains(needle), "{e} lacks {needle}");
        }
    }

    #[test]
    fn stored_parameters_are_checked_when_read() {
        let p = TrainConfig::new().epochs(3).check(100).unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<TrainParams>(&json).unwrap(), p);
        let bad = json.replace("\"k\":1", "\"k\":0");
        let e = serde_json::from_str::<TrainParams>(&bad).unwrap_err();
        assert!(e.to_string().contains("invalid k = 0"), "{e}");
        // A checkpoint written before a parameter existed: its default.
        let older = json.replace(",\"init_std\":0.01", "");
        assert_ne!(older, json);
        assert_eq!(serde_json::from_str::<TrainParams>(&older).unwrap(), p);
    }

    #[test]
    fn conflicts_name_the_flag_and_both_values() {
        let saved = TrainConfig::new().learning_rate(0.1).check(100).unwrap();
        let given = TrainConfig::new()
            .learning_rate(0.2)
            .epochs(20)
            .persistent_chains(7);
        let found: Vec<String> = given
            .conflicts(&saved, &["epochs"])
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            found,
            [
                "--lr 0.2 (checkpoint: 0.1)",
                "--chains 7 (checkpoint: none)"
            ]
        );
        let other = given.check(100).unwrap();
        let flags: Vec<&str> = other
            .conflicts_with(&saved)
            .iter()
            .map(|c| c.flag)
            .collect();
        assert_eq!(flags, ["epochs", "lr", "chains"]);
    }

    #[test]
    fn per_layer_lists_take_one_value_or_one_per_layer() {
        let lists = TrainConfigLists {
            learning_rate: Some("0.1,0.2,0.3".parse().unwrap()),
            k: Some("2".parse().unwrap()),
            ..Default::default()
        };
        let layer = lists.layer(1, 3).unwrap();
        assert_eq!((layer.learning_rate, layer.k), (Some(0.2), Some(2)));
        let e = lists.layer(0, 2).unwrap_err().to_string();
        assert!(
            e.contains("invalid lr = 0.1,0.2,0.3") && e.contains("3 values for 2 layers"),
            "{e}"
        );
        let e = "0.1,x".parse::<PerLayer<f64>>().unwrap_err();
        assert!(e.starts_with("value 2 \"x\": "), "{e}");
    }

    #[test]
    fn toml_keys_are_the_experiment_file_keys() {
        let config: LayerConfig =
            serde_json::from_str(r#"{"hidden": 4, "lr": 0.1, "batch": 10, "chains": 3}"#).unwrap();
        let p = config.train().check(100).unwrap();
        assert_eq!(
            (p.learning_rate(), p.batch_size(), p.n_chains()),
            (0.1, 10, 3)
        );
        assert!(serde_json::from_str::<TrainConfig>(r#"{"learning_rate": 0.1}"#).is_err());
    }
}
