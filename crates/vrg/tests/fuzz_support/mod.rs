//! The fuzz harness shared by `tests/fuzz_readers.rs` and the command-line
//! crate's experiment-file tests (which include this file by path): a
//! counting global allocator, deterministic mutations of valid files, and
//! the loop that runs a reader over them (issue #11).
//!
//! Every case must give `Ok` or a one-line error naming the file: never a
//! panic (caught with `catch_unwind` and reported with the case's seed) and
//! never a peak of live allocations above `64 × input + SLACK` bytes on the
//! reading thread.
#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

// ------------------------------------------------------ counting allocator

/// Counts live bytes per thread, and their peak.
pub struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    /// The case running on this thread, for the message before an abort.
    static CASE: Cell<(&'static str, u64)> = const { Cell::new(("", 0)) };
}

/// A single allocation above this while a case runs is reported (with the
/// case) and refused, which aborts the test binary.
pub const HARD_CAP: usize = 1 << 30;

fn grew(n: usize) {
    let _ = LIVE.try_with(|live| {
        let v = live.get().saturating_add(n);
        live.set(v);
        let _ = PEAK.try_with(|peak| {
            if v > peak.get() {
                peak.set(v)
            }
        });
    });
}

fn shrank(n: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(n)));
}

/// Writes which case asked for `size` bytes to stderr without allocating.
fn report_oversize(size: usize) {
    let (reader, case) = CASE.try_with(Cell::get).unwrap_or(("", 0));
    if reader.is_empty() {
        return;
    }
    let mut buf = [0u8; 200];
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let _ = writeln!(
        cursor,
        "fuzz: reader {reader} case {case} asked for {size} bytes at once"
    );
    let n = cursor.position() as usize;
    let _ = std::io::stderr().write_all(&buf[..n]);
}

fn oversize(size: usize) -> bool {
    if size > HARD_CAP && CASE.try_with(|c| !c.get().0.is_empty()).unwrap_or(false) {
        report_oversize(size);
        true
    } else {
        false
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, or returns null (a failed allocation, which GlobalAlloc allows).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if oversize(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: our caller upholds GlobalAlloc's contract, which is System's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if oversize(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: our caller upholds GlobalAlloc's contract, which is System's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: our caller upholds GlobalAlloc's contract, which is System's.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if oversize(new_size) {
            return std::ptr::null_mut();
        }
        // SAFETY: our caller upholds GlobalAlloc's contract, which is System's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the peak of bytes this thread held
/// at once while it ran, beyond what it held before.
pub fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let result = f();
    let peak = PEAK.with(Cell::get).saturating_sub(base);
    (result, peak)
}

// --------------------------------------------------------------- mutations

pub type Rng64 = Xoshiro256PlusPlus;

/// A reader-specific rewrite of a valid file's header fields.
pub type Rewrite = fn(&mut Vec<u8>, &mut Rng64) -> String;

/// Numbers that break size arithmetic.
pub const HUGE: [u64; 10] = [
    u64::MAX,
    i64::MAX as u64,
    1 << 63,
    (1 << 62) + 1,
    1 << 32,
    (1 << 32) - 1,
    1 << 31,
    40_000,
    0,
    1,
];

/// A huge or random number.
pub fn huge_number(rng: &mut Rng64) -> u64 {
    if rng.random_bool(0.7) {
        HUGE[rng.random_range(0..HUGE.len())]
    } else {
        rng.random::<u64>() >> rng.random_range(0..64)
    }
}

/// The text of a number to put where a number was: huge, negative,
/// fractional, or with more digits than any integer type holds.
fn number_text(rng: &mut Rng64) -> String {
    match rng.random_range(0..10) {
        0 => "-1".into(),
        1 => "340282366920938463463374607431768211457".into(),
        2 => "1e308".into(),
        3 => "99999999999999999999999999".into(),
        _ => huge_number(rng).to_string(),
    }
}

/// Replaces one run of ASCII digits in `bytes` by another number; returns
/// a description, or `None` if there are no digits.
pub fn rewrite_number(bytes: &mut Vec<u8>, rng: &mut Rng64) -> Option<String> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    if runs.is_empty() {
        return None;
    }
    let (start, end) = runs[rng.random_range(0..runs.len())];
    let text = number_text(rng);
    bytes.splice(start..end, text.bytes());
    Some(format!("number at {start} := {text}"))
}

/// One random change; `rewrite` is the reader's header rewrite.
fn mutate_once(bytes: &mut Vec<u8>, rng: &mut Rng64, rewrite: Rewrite) -> String {
    let len = bytes.len();
    match rng.random_range(0..10) {
        0 if len > 0 => {
            let flips = rng.random_range(1..=8);
            for _ in 0..flips {
                let i = rng.random_range(0..len);
                bytes[i] ^= 1 << rng.random_range(0..8);
            }
            format!("{flips} bit flips")
        }
        1 if len > 0 => {
            let i = rng.random_range(0..len);
            let v = [0u8, 0xff, 0x7f, 0x80, 0x01, b'9'][rng.random_range(0..6)];
            bytes[i] = v;
            format!("byte {i} := {v:#04x}")
        }
        2 => {
            let i = rng.random_range(0..=len);
            let n = rng.random_range(1..=16);
            let new: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            bytes.splice(i..i, new);
            format!("insert {n} at {i}")
        }
        3 if len > 0 => {
            let i = rng.random_range(0..len);
            let n = rng.random_range(1..=(len - i).min(32));
            bytes.drain(i..i + n);
            format!("delete {n} at {i}")
        }
        4 if len > 0 => {
            let keep = rng.random_range(0..len);
            bytes.truncate(keep);
            format!("truncate to {keep}")
        }
        5 if len > 0 => {
            let i = rng.random_range(0..len);
            let n = rng.random_range(1..=(len - i).min(64));
            let chunk = bytes[i..i + n].to_vec();
            let at = rng.random_range(0..=len);
            bytes.splice(at..at, chunk);
            format!("copy {n} from {i} to {at}")
        }
        6 => rewrite_number(bytes, rng).unwrap_or_else(|| "no number".into()),
        _ => rewrite(bytes, rng),
    }
}

/// A mutated copy of one of `seeds` (or, one case in 20, random bytes),
/// with a description of what was done.
pub fn mutate(seeds: &[Vec<u8>], rng: &mut Rng64, rewrite: Rewrite) -> (Vec<u8>, String) {
    if rng.random_range(0..20) == 0 {
        let n = rng.random_range(0..600);
        return (
            (0..n).map(|_| rng.random()).collect(),
            format!("{n} random bytes"),
        );
    }
    let s = rng.random_range(0..seeds.len());
    let mut bytes = seeds[s].clone();
    let mut what = vec![format!("seed {s}")];
    for _ in 0..rng.random_range(1..=3) {
        what.push(mutate_once(&mut bytes, rng, rewrite));
    }
    (bytes, what.join(", "))
}

// ------------------------------------------------------------------ runner

/// Fixed allowance on top of 64 bytes per input byte: buffers of the
/// readers and decompressors, and what a small compressed file may
/// legitimately inflate to.
pub const SLACK: usize = 12 << 20;

/// The bound on a case's peak allocation.
pub fn bound(input_len: usize) -> usize {
    64 * input_len + SLACK
}

/// What a run of cases found.
#[derive(Debug, Default)]
pub struct Report {
    pub cases: u64,
    pub ok: u64,
    pub failures: Vec<String>,
    pub max_peak: usize,
    pub elapsed: Duration,
}

/// Cases per reader: 10 000, or `VRG_FUZZ_CASES`.
pub fn case_count() -> u64 {
    std::env::var("VRG_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn hex(bytes: &[u8]) -> String {
    let shown: String = bytes.iter().take(96).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 96 {
        format!("{shown}… ({} bytes)", bytes.len())
    } else {
        shown
    }
}

/// Runs `cases` mutated versions of `seeds` through `read`, each written to
/// `path` first. Case `i` uses the random stream seeded by `seed + i`, so a
/// failure is reproduced by its reported seed alone.
pub fn run(
    name: &'static str,
    path: &Path,
    seeds: &[Vec<u8>],
    rewrite: Rewrite,
    cases: u64,
    seed: u64,
    read: impl Fn(&Path) -> Result<(), String>,
) -> Report {
    // Every seed must be valid, or the mutations test little.
    for (i, s) in seeds.iter().enumerate() {
        std::fs::write(path, s).unwrap();
        if let Err(e) = read(path) {
            panic!("{name}: seed file {i} does not read: {e}");
        }
    }
    let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
    let started = Instant::now();
    let mut report = Report::default();
    for i in 0..cases {
        let case_seed = seed.wrapping_add(i);
        let mut rng = Rng64::seed_from_u64(case_seed);
        let (bytes, what) = mutate(seeds, &mut rng, rewrite);
        std::fs::write(path, &bytes).unwrap();
        CASE.with(|c| c.set((name, case_seed)));
        let (outcome, peak) = peak_of(|| catch_unwind(AssertUnwindSafe(|| read(path))));
        CASE.with(|c| c.set(("", 0)));
        report.cases += 1;
        report.max_peak = report.max_peak.max(peak);
        let mut fail = |problem: String| {
            report.failures.push(format!(
                "{name} seed {case_seed} ({what}): {problem}; input {}",
                hex(&bytes)
            ))
        };
        match outcome {
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                fail(format!("panicked: {message}"));
            }
            Ok(Ok(())) => report.ok += 1,
            Ok(Err(e)) => {
                if e.contains('\n') {
                    fail(format!("error of several lines: {e:?}"));
                } else if !e.contains(&file_name) {
                    fail(format!("error does not name the file: {e}"));
                }
            }
        }
        if peak > bound(bytes.len()) {
            fail(format!(
                "peak allocation {peak} bytes, above the bound {} for {} input bytes",
                bound(bytes.len()),
                bytes.len()
            ));
        }
    }
    report.elapsed = started.elapsed();
    eprintln!(
        "fuzz {name}: {} cases ({} Ok) in {:.2?}, max peak allocation {} bytes, {} failures",
        report.cases,
        report.ok,
        report.elapsed,
        report.max_peak,
        report.failures.len()
    );
    report
}

/// Fails the test with the first failures of `report`.
pub fn assert_clean(report: &Report) {
    if !report.failures.is_empty() {
        let shown: Vec<&String> = report.failures.iter().take(12).collect();
        panic!(
            "{} of {} cases failed; first ones:\n{}",
            report.failures.len(),
            report.cases,
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
