//! Exact resume (issue #11, class 6): `vrg rbm train` and `vrg dbn train`
//! killed with SIGKILL at pseudo-random moments and resumed with
//! `--resume` end with the model and log of a run that never stopped; a
//! resume on other data or with other flags is refused before anything is
//! written.
//!
//! Model files are compared tensor by tensor (the header's tensor table and
//! every data byte) and key by key in the metadata: the `.safetensors`
//! writer orders metadata keys as a hash map iterates, so whole-file bytes
//! differ between any two runs. One key legitimately differs, `train_log`:
//! its hash covers the log's bytes, which include each epoch's wall-clock
//! `seconds`; its line count and last line (but `seconds`) are compared.
//! Logs are compared line by line with the value of `seconds` blanked.

mod common;
use common::{files, snapshot, stderr, vrg, vrg_ok, words, write_npy};

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vrg::dbn::file::load_dbn_checkpoint;

/// xorshift64*: the test's own deterministic pseudo-random numbers.
struct Rand(u64);

impl Rand {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.uniform() * n as f64) as usize
    }
}

/// `rows` × 64 binary rows: four 4×4 blocks per 8×8 image, each mostly on
/// or mostly off, so the model has something to learn.
fn write_data(path: &Path, rows: usize, seed: u64) {
    let mut rand = Rand(seed);
    let mut values = Vec::with_capacity(rows * 64);
    for _ in 0..rows {
        let blocks: Vec<bool> = (0..4).map(|_| rand.uniform() < 0.5).collect();
        for i in 0..64 {
            let block = (i / 32) * 2 + (i % 8) / 4;
            let p = if blocks[block] { 0.85 } else { 0.15 };
            values.push(u8::from(rand.uniform() < p));
        }
    }
    write_npy(path, &[rows as u64, 64], &values);
}

/// Starts `vrg args` in `dir`, its stderr appended to `stderr_file`.
fn spawn(dir: &Path, args: &[String], stderr_file: &Path) -> Child {
    let err = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(stderr_file)
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_vrg"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .expect("start vrg")
}

fn count_lines(path: &Path) -> usize {
    std::fs::read(path).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
}

/// One planned kill: once the log has `after_lines` lines (or at once, if
/// it has them already), wait `delay`, then SIGKILL.
struct Aim {
    after_lines: usize,
    delay: Duration,
}

/// Runs `command` (fresh) / `command --resume` in `dir` until it finishes,
/// killing it as `aims` say; each kill is followed by a resume, or by a
/// fresh start when no checkpoint `out` exists yet. Calls `killed` after
/// each kill (to look at the checkpoint) and returns the number of kills.
fn run_with_kills(
    dir: &Path,
    command: &str,
    out: &str,
    log: &str,
    aims: &[Aim],
    stderr_file: &Path,
    killed: &mut dyn FnMut(),
) -> usize {
    let mut kills = 0;
    let args = |resume: bool| {
        let mut a: Vec<String> = words(command).into_iter().map(String::from).collect();
        if resume {
            a.push("--resume".into());
        }
        a
    };
    let mut finished = false;
    for aim in aims {
        let mut child = spawn(dir, &args(dir.join(out).exists()), stderr_file);
        let deadline = Instant::now() + Duration::from_secs(60);
        let exited = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if count_lines(&dir.join(log)) >= aim.after_lines {
                std::thread::sleep(aim.delay);
                break child.try_wait().unwrap();
            }
            assert!(Instant::now() < deadline, "{command}: no progress");
            std::thread::sleep(Duration::from_micros(300));
        };
        if let Some(status) = exited {
            let text = std::fs::read_to_string(stderr_file).unwrap_or_default();
            assert!(status.success(), "{command}: {text}");
            finished = true;
            break;
        }
        // Child::kill sends SIGKILL on Unix; wait() reaps it, so that its
        // temporaries count as stale for the next run.
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
        killed();
    }
    if !finished {
        let resume = dir.join(out).exists();
        let o = vrg(
            dir,
            &args(resume).iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert!(o.status.success(), "{command}: {}", stderr(&o));
    }
    kills
}

/// `aims` for a run that writes `lines` log lines in about `run`: the first
/// kill early (most likely before the first checkpoint), the others after
/// pseudo-random lines, each after a pseudo-random part of `step` (about
/// one epoch), so that kills land in every phase of an epoch.
fn plan_aims(
    rand: &mut Rand,
    n: usize,
    lines: usize,
    step: Duration,
    avoid: std::ops::Range<usize>,
) -> Vec<Aim> {
    let mut targets: Vec<usize> = Vec::new();
    while targets.len() + 1 < n {
        let t = rand.below(lines - 2);
        if !avoid.contains(&t) {
            targets.push(t);
        }
    }
    targets.sort_unstable();
    std::iter::once(Aim {
        after_lines: 0,
        delay: Duration::from_micros(rand.below(3000) as u64),
    })
    .chain(targets.into_iter().map(|after_lines| Aim {
        after_lines,
        delay: step.mul_f64(1.5 * rand.uniform()),
    }))
    .collect()
}

/// The header (as JSON) and data bytes of a `.safetensors` file.
fn split_safetensors(path: &Path) -> (serde_json::Value, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    (header, bytes[8 + n..].to_vec())
}

/// A log line with the value of `"seconds"` blanked.
fn without_seconds(line: &str) -> String {
    match line.find("\"seconds\":") {
        None => line.to_string(),
        Some(i) => {
            let start = i + "\"seconds\":".len();
            let end = line[start..]
                .find([',', '}'])
                .map_or(line.len(), |e| start + e);
            format!("{}_{}", &line[..start], &line[end..])
        }
    }
}

/// Fails unless the models `a` and `b` have the same tensors, byte for
/// byte, and the same metadata but for the log hash (see the module doc).
fn assert_same_model(a: &Path, b: &Path) {
    let (mut ha, da) = split_safetensors(a);
    let (mut hb, db) = split_safetensors(b);
    assert!(
        da == db,
        "{} and {}: tensor data differ",
        a.display(),
        b.display()
    );
    let ma = ha.as_object_mut().unwrap().remove("__metadata__").unwrap();
    let mb = hb.as_object_mut().unwrap().remove("__metadata__").unwrap();
    assert_eq!(ha, hb, "tensor tables differ");
    let (mut ma, mut mb) = (
        ma.as_object().unwrap().clone(),
        mb.as_object().unwrap().clone(),
    );
    let log_a: serde_json::Value =
        serde_json::from_str(ma.remove("train_log").unwrap().as_str().unwrap()).unwrap();
    let log_b: serde_json::Value =
        serde_json::from_str(mb.remove("train_log").unwrap().as_str().unwrap()).unwrap();
    assert_eq!(ma, mb, "metadata differ");
    assert_eq!(log_a["lines"], log_b["lines"]);
    assert_eq!(
        without_seconds(log_a["last"].as_str().unwrap()),
        without_seconds(log_b["last"].as_str().unwrap())
    );
}

/// Fails unless the logs `a` and `b` agree line by line but for `seconds`.
fn assert_same_log(a: &Path, b: &Path) {
    let read = |p: &Path| -> Vec<String> {
        let text = std::fs::read_to_string(p).unwrap();
        assert!(text.ends_with('\n'), "{}: torn last line", p.display());
        text.lines().map(without_seconds).collect()
    };
    let (la, lb) = (read(a), read(b));
    assert_eq!(la.len(), lb.len(), "log lengths differ");
    for (i, (x, y)) in la.iter().zip(&lb).enumerate() {
        assert_eq!(x, y, "log line {} differs", i + 1);
    }
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

const RBM_EPOCHS: usize = 80;

fn rbm_command(out: &str, log: &str) -> String {
    format!(
        "--threads 1 rbm train --data d.npy --hidden 16 --epochs {RBM_EPOCHS} --batch 20 --seed 3 \
         --eval-every 9 --log {log} --out {out}"
    )
}

#[test]
fn rbm_train_killed_at_random_moments_resumes_bit_identically() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_data(&d.join("d.npy"), 1500, 11);
    let started = Instant::now();
    vrg_ok(d, &words(&rbm_command("ref.safetensors", "ref.jsonl")));
    let epoch = started.elapsed() / RBM_EPOCHS as u32;

    let mut rand = Rand(0x5eed_0001);
    let aims = plan_aims(&mut rand, 14, RBM_EPOCHS, epoch, 0..0);
    let mut fresh_starts = 0;
    let kills = run_with_kills(
        d,
        &rbm_command("m.safetensors", "m.jsonl"),
        "m.safetensors",
        "m.jsonl",
        &aims,
        &scratch.path().join("stderr.txt"),
        &mut || fresh_starts += usize::from(!d.join("m.safetensors").exists()),
    );
    assert!(kills >= 10, "only {kills} kills landed");
    assert_ended_as_the_reference(d);
    eprintln!(
        "rbm: {kills} kills ({fresh_starts} before the first checkpoint) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The killed-and-resumed run in `d` (m.safetensors, m.jsonl) ended as the
/// uninterrupted one (ref.safetensors, ref.jsonl), with no temporaries left.
fn assert_ended_as_the_reference(d: &Path) {
    assert_same_model(&d.join("ref.safetensors"), &d.join("m.safetensors"));
    assert_same_log(&d.join("ref.jsonl"), &d.join("m.jsonl"));
    assert_eq!(
        files(d),
        sorted(&words(
            "d.npy m.jsonl m.safetensors ref.jsonl ref.safetensors"
        )),
        "temporaries left behind"
    );
}

fn dbn_command(out: &str, log: &str) -> String {
    format!(
        "--threads 1 dbn train --data d.npy --layers 64,16,4 --epochs 30,40 --batch 20 --lr 0.05 \
         --logz exact --log {log} --out {out}"
    )
}

#[test]
fn dbn_train_killed_within_and_between_layers_resumes_bit_identically() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_data(&d.join("d.npy"), 1500, 12);
    let started = Instant::now();
    let reference = dbn_command("ref.safetensors", "ref.jsonl");
    vrg_ok(d, &words(&reference));
    // 30 + 40 epoch lines and two layer_done lines.
    let lines = count_lines(&d.join("ref.jsonl"));
    assert_eq!(lines, 72);
    let epoch = started.elapsed() / 70;

    // Pseudo-random kills, and two aimed at the end of the first layer:
    // just after its last epoch's line (while ln Z is computed or the
    // finished layer is written) and just after its layer_done line.
    let mut rand = Rand(0x5eed_0002);
    let mut aims = plan_aims(&mut rand, 12, lines, epoch, 27..34);
    aims.push(Aim {
        after_lines: 30,
        delay: Duration::ZERO,
    });
    aims.push(Aim {
        after_lines: 31,
        delay: Duration::ZERO,
    });
    aims.sort_by_key(|a| a.after_lines);
    let (mut within, mut between, mut before_first) = (0, 0, 0);
    let out = d.join("m.safetensors");
    let kills = run_with_kills(
        d,
        &dbn_command("m.safetensors", "m.jsonl"),
        "m.safetensors",
        "m.jsonl",
        &aims,
        &scratch.path().join("stderr.txt"),
        &mut || {
            if !out.exists() {
                before_first += 1;
                return;
            }
            let checkpoint = load_dbn_checkpoint(&out).unwrap();
            let layer = checkpoint.layers.len();
            match &checkpoint.in_progress {
                Some(f) if f.epoch < [30, 40][layer] => within += 1,
                _ => between += 1,
            }
        },
    );
    assert!(kills >= 10, "only {kills} kills landed");
    assert!(
        within >= 1 && between >= 1,
        "kills: {within} within layers, {between} between"
    );
    assert_ended_as_the_reference(d);
    assert!(load_dbn_checkpoint(&out).unwrap().in_progress.is_none());
    eprintln!(
        "dbn: {kills} kills ({within} within a layer's epochs, {between} between layers, {before_first} before the first checkpoint) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Runs `line` (one string of words) in `dir` and fails unless it succeeds.
fn ok(dir: &Path, line: &str) -> String {
    stderr(&vrg_ok(dir, &line.split_whitespace().collect::<Vec<_>>()))
}

fn drop_last_line(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let keep = text.trim_end_matches('\n').rfind('\n').map_or(0, |i| i + 1);
    std::fs::write(path, &text[..keep]).unwrap();
}

/// The two states a kill leaves in the log, made on purpose: the line of
/// the checkpoint's epoch missing (killed between the checkpoint's rename
/// and the log's append) and lines after the checkpoint's epoch (an older
/// checkpoint put back). Both resume to the uninterrupted run's log.
#[test]
fn a_lost_log_line_is_restored_and_lines_after_the_checkpoint_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_data(&d.join("d.npy"), 400, 13);
    let train = "rbm train --data d.npy --hidden 8 --batch 20 --seed 4";
    ok(
        d,
        &format!("{train} --epochs 6 --log ref.jsonl --out ref.safetensors"),
    );
    ok(
        d,
        &format!("{train} --epochs 3 --log m.jsonl --out m.safetensors"),
    );
    std::fs::copy(d.join("m.safetensors"), d.join("epoch3.safetensors")).unwrap();
    drop_last_line(&d.join("m.jsonl"));
    let text = ok(
        d,
        &format!("{train} --epochs 6 --log m.jsonl --out m.safetensors --resume"),
    );
    assert!(text.contains("restored the line"), "{text}");
    assert_same_model(&d.join("ref.safetensors"), &d.join("m.safetensors"));
    assert_same_log(&d.join("ref.jsonl"), &d.join("m.jsonl"));

    std::fs::copy(d.join("epoch3.safetensors"), d.join("m.safetensors")).unwrap();
    let text = ok(
        d,
        &format!("{train} --epochs 6 --log m.jsonl --out m.safetensors --resume"),
    );
    assert!(text.contains("dropped 3 written after it"), "{text}");
    assert_same_model(&d.join("ref.safetensors"), &d.join("m.safetensors"));
    assert_same_log(&d.join("ref.jsonl"), &d.join("m.jsonl"));

    // Killed after the last checkpoint, before the last line: a resume has
    // nothing to train but restores the line.
    drop_last_line(&d.join("m.jsonl"));
    let text = ok(
        d,
        &format!("{train} --epochs 6 --log m.jsonl --out m.safetensors --resume"),
    );
    assert!(text.contains("nothing to train"), "{text}");
    assert_same_log(&d.join("ref.jsonl"), &d.join("m.jsonl"));

    // The same for a finished DBN.
    let dbn = "dbn train --data d.npy --layers 64,8,4 --epochs 2,2 --batch 20 --logz exact";
    ok(d, &format!("{dbn} --log dref.jsonl --out dref.safetensors"));
    ok(d, &format!("{dbn} --log dm.jsonl --out dm.safetensors"));
    drop_last_line(&d.join("dm.jsonl"));
    let text = ok(
        d,
        &format!("{dbn} --log dm.jsonl --out dm.safetensors --resume"),
    );
    assert!(text.contains("nothing to train"), "{text}");
    assert_same_log(&d.join("dref.jsonl"), &d.join("dm.jsonl"));
}

/// Fails unless `line` exits with code 2 and one error line containing
/// every one of `needles`, and leaves `dir` exactly as it was.
fn refused(dir: &Path, line: &str, needles: &[&str]) {
    let before = snapshot(dir);
    let o = vrg(dir, &line.split_whitespace().collect::<Vec<_>>());
    let text = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{line}: {text}");
    let error: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("vrg: error:"))
        .collect();
    assert_eq!(error.len(), 1, "{line}: {text}");
    for needle in needles {
        assert!(
            error[0].contains(needle),
            "{line}: {:?} lacks {needle:?}",
            error[0]
        );
    }
    assert!(before == snapshot(dir), "{line}: the directory changed");
}

/// `base` with the flags of `changes` ("--flag value" pairs and bare
/// switches) replacing its own or added.
fn command(base: &str, changes: &str) -> String {
    fn pairs(line: &str) -> Vec<(String, Option<String>)> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let value = words.get(i + 1).filter(|w| !w.starts_with("--"));
            out.push((words[i].to_string(), value.map(|v| v.to_string())));
            i += 1 + usize::from(value.is_some());
        }
        out
    }
    let mut all = pairs(base);
    for (flag, value) in pairs(changes) {
        match all.iter_mut().find(|(f, _)| *f == flag) {
            Some(pair) => pair.1 = value,
            None => all.push((flag, value)),
        }
    }
    all.into_iter()
        .flat_map(|(f, v)| std::iter::once(f).chain(v))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Changed data flags, other data of the same width and other training
/// flags are refused with the flag and both values, nothing written.
#[test]
fn resume_with_other_data_or_flags_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Grey values for --binarize and --scale.
    let mut rand = Rand(7);
    let grey: Vec<f32> = (0..300 * 64).map(|_| rand.uniform() as f32).collect();
    write_npy(&d.join("g.npy"), &[300, 64], &grey);
    let other: Vec<f32> = (0..300 * 64).map(|_| rand.uniform() as f32).collect();
    write_npy(&d.join("other.npy"), &[300, 64], &other);
    write_npy(&d.join("v.npy"), &[50, 64], &other[..50 * 64]);
    let base = "rbm train --data g.npy --hidden 8 --epochs 2 --batch 20 --binarize stochastic:1 \
                --log m.jsonl --out m.safetensors";
    ok(d, base);
    let resume = |changes: &str| command(base, &format!("--epochs 4 --resume {changes}"));
    let differs = "differs from the checkpoint m.safetensors";
    for (changes, needles) in [
        (
            "--binarize stochastic:2",
            vec![
                "--resume: --binarize stochastic:2",
                differs,
                "(stochastic:1)",
            ],
        ),
        (
            "--binarize threshold:0.5",
            vec!["--binarize threshold:0.5", differs, "(stochastic:1)"],
        ),
        (
            "--data other.npy",
            vec!["--data other.npy", differs, "(g.npy)"],
        ),
        ("--limit 200", vec!["--limit 200", differs, "(none)"]),
        ("--scale 2", vec!["--scale 2", differs, "(none)"]),
        (
            "--validation-fraction 0.2",
            vec!["--validation-fraction 0.2", differs, "(0.1)"],
        ),
        (
            "--validation v.npy",
            vec!["--validation v.npy", differs, "(none)"],
        ),
        (
            "--monitor-rows 50",
            vec!["--monitor-rows 50", differs, "(1000)"],
        ),
        ("--pll-rows 10", vec!["--pll-rows 10", differs, "(100)"]),
        ("--eval-every 2", vec!["--eval-every 2", differs, "(none)"]),
        ("--lr 0.5", vec!["--lr 0.5", "only --epochs may change"]),
        ("--epochs 1", vec!["--epochs 1", "already trained 2 epochs"]),
    ] {
        refused(d, &resume(changes), &needles);
    }

    // The data file changed in place: same flags, other values or rows.
    let g = std::fs::read(d.join("g.npy")).unwrap();
    std::fs::copy(d.join("other.npy"), d.join("g.npy")).unwrap();
    refused(
        d,
        &resume(""),
        &["training data's FNV-1a hash", differs, "the data changed"],
    );
    let more = [grey.clone(), other[..640].to_vec()].concat();
    write_npy(&d.join("g.npy"), &[310, 64], &more);
    refused(
        d,
        &resume(""),
        &["training data's row count 279", differs, "(270)"],
    );
    std::fs::write(d.join("g.npy"), &g).unwrap();

    // Another run's log is not continued.
    std::fs::copy(d.join("m.jsonl"), d.join("kept.jsonl")).unwrap();
    std::fs::write(d.join("m.jsonl"), "{\"epoch\":1}\n{\"epoch\":2}\n").unwrap();
    refused(
        d,
        &resume(""),
        &["--log m.jsonl does not hold the log of the checkpoint m.safetensors"],
    );
    std::fs::rename(d.join("kept.jsonl"), d.join("m.jsonl")).unwrap();

    // The same file under another spelling is the same data.
    let text = ok(d, &resume("--data ./g.npy"));
    assert!(
        text.contains("resuming m.safetensors after epoch 2"),
        "{text}"
    );

    // DBN: data flags, the plan, the data.
    let dbn = "dbn train --data g.npy --layers 64,8,4 --epochs 2,2 --batch 20 --logz none \
               --binarize stochastic:1 --log n.jsonl --out n.safetensors";
    ok(d, dbn);
    let resume = |changes: &str| command(dbn, &format!("--resume {changes}"));
    let differs = "differs from the checkpoint n.safetensors";
    for (changes, needles) in [
        (
            "--binarize stochastic:3",
            vec![
                "--resume: --binarize stochastic:3",
                differs,
                "(stochastic:1)",
            ],
        ),
        (
            "--data other.npy",
            vec!["--data other.npy", differs, "(g.npy)"],
        ),
        ("--limit 100", vec!["--limit 100", differs, "(none)"]),
        (
            "--validation-fraction 0.3",
            vec!["--validation-fraction 0.3", differs, "(0.1)"],
        ),
        (
            "--monitor-rows 10",
            vec!["--monitor-rows 10", differs, "(1000)"],
        ),
        (
            "--layers 64,8,5",
            vec!["--layers 64,8,5", differs, "(64,8,4)"],
        ),
        (
            "--epochs 2,3",
            vec!["--epochs 3 for layer 2", differs, "(2)"],
        ),
        (
            "--lr 0.02",
            vec!["--lr 0.02 for layer 1", differs, "(0.01)"],
        ),
        ("--seed 9", vec!["--seed 9 for layer 1", differs, "(1)"]),
        (
            "--hidden-units spin",
            vec!["--hidden-units spin for layer 1", differs, "(bernoulli)"],
        ),
        ("--logz exact", vec!["--logz exact", differs, "(none)"]),
    ] {
        refused(d, &resume(changes), &needles);
    }
    std::fs::copy(d.join("other.npy"), d.join("g.npy")).unwrap();
    refused(d, &resume(""), &["training data's FNV-1a hash", differs]);
    std::fs::write(d.join("g.npy"), &g).unwrap();
    // Not a checkpoint of this version, or none at all.
    let old = vrg::dbn::file::load_dbn(d.join("n.safetensors")).unwrap();
    vrg::dbn::file::save_dbn(d.join("old.safetensors"), &old.dbn, &old.params).unwrap();
    refused(
        d,
        &resume("--out old.safetensors"),
        &["--resume: old.safetensors holds no resume records"],
    );
    refused(
        d,
        &resume("--out absent.safetensors"),
        &["--resume", "absent.safetensors"],
    );
    let text = ok(d, &resume(""));
    assert!(text.contains("nothing to train"), "{text}");
}

/// A checkpoint written before the resume records still resumes, with a
/// word on stderr that its data could not be checked.
#[test]
fn an_old_checkpoint_without_records_still_resumes() {
    use vrg::rbm::file::{load_rbm, save_rbm};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_data(&d.join("d.npy"), 300, 14);
    let train = "rbm train --data d.npy --hidden 8 --batch 20 --log m.jsonl --out m.safetensors";
    ok(d, &format!("{train} --epochs 2"));
    let file = load_rbm(d.join("m.safetensors")).unwrap();
    save_rbm(
        d.join("m.safetensors"),
        &file.rbm,
        file.params.as_ref(),
        file.state.as_ref(),
    )
    .unwrap();
    let text = ok(d, &format!("{train} --epochs 3 --resume"));
    assert!(text.contains("the data could not be checked"), "{text}");
    assert_eq!(count_lines(&d.join("m.jsonl")), 3);
    // From now on the checkpoint has its records.
    let metadata = vrg::io::safetensors::read_metadata(d.join("m.safetensors")).unwrap();
    assert!(metadata.contains_key("train_data") && metadata.contains_key("train_log"));
}
