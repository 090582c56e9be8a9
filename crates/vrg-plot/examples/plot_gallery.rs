//! Writes a few example figures of synthetic data into a directory, to
//! look at (the numbers are made up; only the drawing is shown).
//!
//! ```text
//! cargo run --release -p vrg-plot --example plot_gallery -- OUT_DIR
//! ```
//!
//! Writes `training_curves.png` (several series, a legend),
//! `ising_energy.png` (points with error bars beside an exact curve),
//! `dbn_panels.png` (one panel per layer), `receptive_fields.png` (diverging
//! map, tile labels, dead units marked) and `block_spins.png` (grey map).

use std::path::PathBuf;

use vrg_plot::{
    image_grid, line_plot, panels, write_png, ColourMap, ImageGrid, LinePlot, Series, SeriesStyle,
};

fn training_curves(layer: usize, width: u32, height: u32) -> LinePlot {
    let epochs = 0..40;
    let f = |e: usize, off: f64| -60.0 + 25.0 * (-(e as f64) / 8.0).exp() + off;
    let train: Vec<_> = epochs
        .clone()
        .map(|e| (e as f64, f(e, 0.0) - 0.05 * e as f64))
        .collect();
    let held: Vec<_> = epochs
        .clone()
        .map(|e| (e as f64, f(e, 0.4) + 0.02 * e as f64))
        .collect();
    LinePlot {
        title: format!("Layer {layer}: free energy per epoch"),
        x_label: "epoch".into(),
        y_label: "mean free energy F(v) (nats)".into(),
        width,
        height,
        series: vec![
            Series {
                name: "training data".into(),
                points: train,
                ..Series::default()
            },
            Series {
                name: "held-out data".into(),
                points: held,
                style: SeriesStyle::LineAndPoints,
                ..Series::default()
            },
        ],
    }
}

fn ising_energy() -> LinePlot {
    // A smooth stand-in for the exact curve, and noisy "measurements".
    let exact =
        |t: f64| -2.0 * (1.0 / t).tanh() * (1.0 + 0.3 * (-(t - 2.27f64).powi(2) * 4.0).exp());
    let curve: Vec<_> = (0..=100)
        .map(|k| 1.0 + 3.0 * k as f64 / 100.0)
        .map(|t| (t, exact(t)))
        .collect();
    let temps: Vec<f64> = (0..13).map(|k| 1.0 + 0.25 * k as f64).collect();
    let measured: Vec<_> = temps
        .iter()
        .enumerate()
        .map(|(k, &t)| (t, exact(t) + 0.02 * ((k * 7 % 5) as f64 - 2.0)))
        .collect();
    let errors = temps
        .iter()
        .map(|t| 0.02 + 0.05 * (-(t - 2.27f64).powi(2) * 3.0).exp())
        .collect();
    LinePlot {
        title: "Synthetic data: an exact curve beside measurements".into(),
        x_label: "temperature T (J/k_B)".into(),
        y_label: "energy per spin E/N (J)".into(),
        width: 800,
        height: 560,
        series: vec![
            Series {
                name: "stand-in for an exact curve".into(),
                points: curve,
                ..Series::default()
            },
            Series {
                name: "stand-in measurements (mean ± s.e.)".into(),
                points: measured,
                y_errors: Some(errors),
                style: SeriesStyle::Points,
            },
        ],
    }
}

fn receptive_fields() -> ImageGrid {
    let (h, w) = (8, 8);
    let tiles: Vec<Vec<f64>> = (0..24)
        .map(|u| {
            let (cy, cx) = ((u * 3 % 8) as f64, (u * 5 % 8) as f64);
            let sign = if u % 3 == 0 { -1.0 } else { 1.0 };
            let amp = if u % 7 == 6 { 0.0 } else { 1.5 };
            (0..h * w)
                .map(|j| {
                    let (y, x) = ((j / w) as f64, (j % w) as f64);
                    let r2 = (y - cy).powi(2) + (x - cx).powi(2);
                    sign * amp * (-r2 / 4.0).exp() - 0.3 * sign * amp * (-r2 / 12.0).exp()
                })
                .collect()
        })
        .collect();
    let marked = (0..24).filter(|u| u % 7 == 6).collect();
    let tile_labels = Some(
        (0..24)
            .map(|u| format!("h{u} PR {:.1}", 3.0 + u as f64 * 0.4))
            .collect(),
    );
    ImageGrid {
        title: "Synthetic receptive fields (weights of 24 hidden units)".into(),
        tiles,
        tile_shape: (h, w),
        columns: 6,
        colour_map: ColourMap::Diverging,
        tile_labels,
        marked,
        marked_label: "dead unit".into(),
        colour_bar_label: "weight w_ij".into(),
        width: 900,
        height: 640,
    }
}

fn block_spins() -> ImageGrid {
    let l = 16;
    let tiles = (0..4)
        .map(|k| {
            (0..l * l)
                .map(|j| {
                    let (y, x) = (j / l, j % l);
                    if ((x >> (k + 1)) + (y >> (k + 1)) + k) % 2 == 0 {
                        1.0
                    } else {
                        -1.0
                    }
                })
                .collect()
        })
        .collect();
    ImageGrid {
        title: "Block spins, levels 0 to 3".into(),
        tiles,
        tile_shape: (l, l),
        columns: 4,
        colour_map: ColourMap::Grey,
        tile_labels: Some((0..4).map(|k| format!("level {k}")).collect()),
        marked: vec![],
        marked_label: String::new(),
        colour_bar_label: "spin".into(),
        width: 900,
        height: 320,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args_os()
            .nth(1)
            .ok_or("usage: plot_gallery OUT_DIR")?,
    );
    std::fs::create_dir_all(&dir)?;
    let figures = [
        (
            "training_curves.png",
            line_plot(&training_curves(1, 800, 520))?,
        ),
        ("ising_energy.png", line_plot(&ising_energy())?),
        (
            "dbn_panels.png",
            panels(
                &(1..=3)
                    .map(|l| training_curves(l, 520, 380))
                    .collect::<Vec<_>>(),
                2,
            )?,
        ),
        ("receptive_fields.png", image_grid(&receptive_fields())?),
        ("block_spins.png", image_grid(&block_spins())?),
    ];
    for (name, bytes) in figures {
        let path = dir.join(name);
        write_png(&path, &bytes)?;
        println!("{}", path.display());
    }
    Ok(())
}
