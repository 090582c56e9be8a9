//! `vrg`: the command-line face of the `vrg` library.
//!
//! `main` is small: parse flags (clap), size the thread pool, run the
//! command, and turn any error into one line on stderr and exit code 2.
//!
//! Layout (ripgrep's way): [`flags`] defines every flag, one module per
//! command group; [`commands`] runs them, one module per command group;
//! the steps they share live beside them: [`inputs`] (data, models, output
//! paths), [`experiment`] (experiment files, training plans, greedy
//! training, analysis), [`resume`] (exact resume records and the log),
//! [`log_z`], [`output`], [`figures`] (grey-scale tile grids), [`plots`]
//! (labelled figures built from a command's results), [`report`] (HTML
//! pages of a run) and [`progress`]. A new training
//! hyper-parameter needs none of them: it is a row of
//! `vrg::train::params`.

mod commands;
mod experiment;
mod figures;
mod flags;
mod flows;
mod inputs;
mod log_z;
mod output;
mod plots;
mod progress;
mod report;
mod resume;

use clap::Parser;
use std::process::ExitCode;

/// `--threads` above this many per core only adds overhead (and thousands
/// of threads exhaust the machine): refused.
const MAX_THREADS_PER_CORE: usize = 8;

fn main() -> ExitCode {
    let cli = match flags::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => match output::invalid_value(&error) {
            Some(line) => {
                eprintln!("vrg: error: {line}");
                return ExitCode::from(2);
            }
            None => error.exit(),
        },
    };
    let threads = cli.threads.unwrap_or(0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let most = MAX_THREADS_PER_CORE * cores;
    if threads > most {
        eprintln!(
            "vrg: error: invalid --threads {threads}: expected at most {most} ({MAX_THREADS_PER_CORE} per core; this machine has {cores}), or 0 for one per core"
        );
        return ExitCode::from(2);
    }
    if let Err(e) = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
    {
        eprintln!("vrg: error: cannot start {threads} threads: {e}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        flags::Command::Ising(command) => commands::ising::run(command),
        flags::Command::Rbm(command) => commands::rbm::run(command),
        flags::Command::Dbn(command) => commands::dbn::run(command),
        flags::Command::Rg(command) => commands::rg::run(command),
        flags::Command::Demo(args) => commands::demo::run(*args),
        flags::Command::Report(args) => commands::report::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            eprintln!(
                "vrg: error: {}",
                output::describe(&error, &output::command_line())
            );
            ExitCode::from(2)
        }
    }
}

/// A closed pipe (e.g. `vrg … | head`) is not a failure.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
