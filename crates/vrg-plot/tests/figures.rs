//! Every figure function produces a PNG of the requested size from small
//! inputs, and refuses bad inputs with a message naming what is wrong.

use proptest::prelude::*;
use vrg_plot::{
    image_grid, line_plot, panels, write_png, ColourMap, ImageGrid, LinePlot, PlotError, Series,
    SeriesStyle, DIVERGING_NEGATIVE, DIVERGING_POSITIVE, MAX_SIDE,
};

/// Decodes PNG bytes into (width, height, RGB pixels).
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a buffer size")];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn has_pixel(pixels: &[u8], (r, g, b): (u8, u8, u8)) -> bool {
    pixels.chunks_exact(3).any(|p| p == [r, g, b])
}

fn series(name: &str, n: usize) -> Series {
    Series {
        name: name.into(),
        points: (0..n).map(|i| (i as f64, (i as f64).sqrt())).collect(),
        ..Series::default()
    }
}

fn plot(width: u32, height: u32, series: Vec<Series>) -> LinePlot {
    LinePlot {
        title: "a title".into(),
        x_label: "epoch".into(),
        y_label: "error (bits)".into(),
        width,
        height,
        series,
    }
}

fn grid(tiles: Vec<Vec<f64>>, shape: (usize, usize)) -> ImageGrid {
    ImageGrid {
        title: "fields".into(),
        tiles,
        tile_shape: shape,
        columns: 3,
        colour_map: ColourMap::Diverging,
        tile_labels: None,
        marked: vec![],
        marked_label: String::new(),
        colour_bar_label: "weight".into(),
        width: 500,
        height: 300,
    }
}

fn invalid_message(r: Result<Vec<u8>, PlotError>) -> String {
    match r {
        Err(e @ PlotError::Invalid(_)) => e.to_string(),
        Err(e) => panic!("expected an invalid-input error, got {e}"),
        Ok(_) => panic!("expected an error, got a PNG"),
    }
}

#[test]
fn line_plot_is_a_png_of_the_requested_size() {
    let mut with_errors = series("measured", 6);
    with_errors.y_errors = Some(vec![0.1; 6]);
    with_errors.style = SeriesStyle::Points;
    let mut both = series("both", 4);
    both.style = SeriesStyle::LineAndPoints;
    let p = plot(640, 420, vec![series("exact", 20), with_errors, both]);
    let (w, h, pixels) = decode(&line_plot(&p).unwrap());
    assert_eq!((w, h), (640, 420));
    // The first series is drawn in the first palette colour.
    assert!(has_pixel(&pixels, (31, 119, 180)));
}

#[test]
fn degenerate_but_valid_inputs_draw() {
    // One point; all y equal; the smallest and a wide size.
    for p in [
        plot(64, 64, vec![series("one", 1)]),
        plot(
            300,
            200,
            vec![Series {
                name: "flat".into(),
                points: vec![(0.0, 5.0), (1.0, 5.0)],
                y_errors: Some(vec![0.0, 0.0]),
                style: SeriesStyle::LineAndPoints,
            }],
        ),
        plot(2000, 100, vec![series("a", 3), series("b", 3)]),
    ] {
        let (w, h, _) = decode(&line_plot(&p).unwrap());
        assert_eq!((w, h), (p.width, p.height));
    }
}

#[test]
fn panels_are_one_png_of_columns_by_rows_cells() {
    let plots: Vec<_> = (0..3)
        .map(|i| {
            plot(
                300 + 10 * i,
                200,
                vec![series("train", 10), series("held-out", 10)],
            )
        })
        .collect();
    let (w, h, _) = decode(&panels(&plots, 2).unwrap());
    assert_eq!((w, h), (2 * 320, 2 * 200));
    // More columns than plots: one row.
    let (w, h, _) = decode(&panels(&plots, 5).unwrap());
    assert_eq!((w, h), (3 * 320, 200));
}

#[test]
fn image_grid_is_a_png_of_the_requested_size_with_the_colour_map_ends() {
    let mut g = grid(
        vec![
            vec![0.0, 1.0, -2.0, 0.5],
            vec![2.0, 0.0, 0.0, 0.0],
            vec![0.0; 4],
            vec![-1.0, 1.0, -1.0, 1.0],
        ],
        (2, 2),
    );
    g.tile_labels = Some((0..4).map(|i| format!("h{i}")).collect());
    g.marked = vec![2];
    g.marked_label = "dead unit".into();
    let (w, h, pixels) = decode(&image_grid(&g).unwrap());
    assert_eq!((w, h), (500, 300));
    // ±max|value| = ±2 are drawn in the two end colours.
    assert!(has_pixel(&pixels, DIVERGING_NEGATIVE));
    assert!(has_pixel(&pixels, DIVERGING_POSITIVE));

    g.colour_map = ColourMap::Grey;
    g.tile_labels = None;
    g.marked.clear();
    let (w, h, pixels) = decode(&image_grid(&g).unwrap());
    assert_eq!((w, h), (500, 300));
    assert!(has_pixel(&pixels, (0, 0, 0)));
}

#[test]
fn constant_grids_draw() {
    for map in [ColourMap::Diverging, ColourMap::Grey] {
        let mut g = grid(vec![vec![0.0; 9]], (3, 3));
        g.colour_map = map;
        assert!(image_grid(&g).is_ok());
    }
}

#[test]
fn empty_inputs_are_refused_clearly() {
    let msg = invalid_message(line_plot(&plot(300, 200, vec![])));
    assert!(msg.contains("no series"), "{msg}");
    let msg = invalid_message(line_plot(&plot(300, 200, vec![series("loss", 0)])));
    assert!(
        msg.contains("\"loss\"") && msg.contains("no points"),
        "{msg}"
    );
    let msg = invalid_message(panels(&[], 2));
    assert!(msg.contains("no plot"), "{msg}");
    let msg = invalid_message(panels(&[plot(300, 200, vec![series("a", 2)])], 0));
    assert!(msg.contains("columns"), "{msg}");
    let msg = invalid_message(image_grid(&grid(vec![], (2, 2))));
    assert!(msg.contains("no tiles"), "{msg}");
    let msg = invalid_message(image_grid(&grid(vec![vec![]], (0, 2))));
    assert!(msg.contains("tile shape"), "{msg}");
}

#[test]
fn non_finite_values_are_refused_naming_the_series_or_tile() {
    let mut s = series("held-out", 5);
    s.points[3].1 = f64::NAN;
    let msg = invalid_message(line_plot(&plot(300, 200, vec![series("train", 5), s])));
    assert!(
        msg.contains("series 1") && msg.contains("\"held-out\"") && msg.contains("point 3"),
        "{msg}"
    );
    let mut s = series("x", 2);
    s.points[0].0 = f64::INFINITY;
    assert!(invalid_message(line_plot(&plot(300, 200, vec![s]))).contains("finite"));
    let mut s = series("e", 2);
    s.y_errors = Some(vec![0.1, f64::NAN]);
    let msg = invalid_message(line_plot(&plot(300, 200, vec![s])));
    assert!(msg.contains("error bar 1"), "{msg}");

    let msg = invalid_message(image_grid(&grid(
        vec![vec![0.0; 4], vec![0.0, 0.0, f64::NEG_INFINITY, 0.0]],
        (2, 2),
    )));
    assert!(
        msg.contains("tile 1") && msg.contains("row 1, column 0"),
        "{msg}"
    );
}

#[test]
fn mismatched_lengths_and_bad_indices_are_refused() {
    let mut s = series("measured", 3);
    s.y_errors = Some(vec![0.1; 2]);
    let msg = invalid_message(line_plot(&plot(300, 200, vec![s])));
    assert!(msg.contains("3 points but 2 error bars"), "{msg}");
    let mut s = series("measured", 2);
    s.y_errors = Some(vec![0.1, -0.1]);
    assert!(invalid_message(line_plot(&plot(300, 200, vec![s]))).contains("non-negative"));

    let msg = invalid_message(image_grid(&grid(vec![vec![0.0; 4], vec![0.0; 3]], (2, 2))));
    assert!(msg.contains("tile 1 has 3 values"), "{msg}");
    let mut g = grid(vec![vec![0.0; 4]; 2], (2, 2));
    g.tile_labels = Some(vec!["only one".into()]);
    assert!(invalid_message(image_grid(&g)).contains("1 tile labels for 2 tiles"));
    let mut g = grid(vec![vec![0.0; 4]; 2], (2, 2));
    g.marked = vec![2];
    assert!(invalid_message(image_grid(&g)).contains("marked tile 2"));
}

#[test]
fn sizes_are_checked_before_allocating() {
    let msg = invalid_message(line_plot(&plot(MAX_SIDE + 1, 200, vec![series("a", 2)])));
    assert!(
        msg.contains("width") && msg.contains(&MAX_SIDE.to_string()),
        "{msg}"
    );
    assert!(invalid_message(line_plot(&plot(300, 0, vec![series("a", 2)]))).contains("height"));
    let wide = plot(5000, 200, vec![series("a", 2)]);
    let msg = invalid_message(panels(&[wide.clone(), wide], 2));
    assert!(msg.contains("10000"), "{msg}");
    let mut g = grid(vec![vec![0.0; 4]], (2, 2));
    g.height = u32::MAX;
    assert!(invalid_message(image_grid(&g)).contains("height"));
    // Tiles that cannot get a pixel per value.
    let g = grid(vec![vec![0.0; 1000 * 1000]], (1000, 1000));
    assert!(invalid_message(image_grid(&g)).contains("do not fit"));
}

#[test]
fn write_png_writes_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fig.png");
    let bytes = line_plot(&plot(200, 150, vec![series("a", 3)])).unwrap();
    write_png(&path, &bytes).unwrap();
    let (w, h, _) = decode(&std::fs::read(&path).unwrap());
    assert_eq!((w, h), (200, 150));
}

/// Mostly ordinary numbers, sometimes any f64 (huge, tiny, infinite, NaN).
fn number() -> impl Strategy<Value = f64> {
    prop_oneof![3 => -1e6f64..1e6, 1 => prop::num::f64::ANY]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Arbitrary small inputs give a PNG or an error, never a panic.
    #[test]
    fn arbitrary_small_inputs_never_panic(
        points in prop::collection::vec((number(), number()), 0..8),
        values in prop::collection::vec(number(), 0..20),
        width in 0u32..400,
        height in 0u32..400,
        columns in 0usize..5,
        h in 0usize..4,
    ) {
        let p = plot(width, height, vec![Series { name: "s".into(), points, ..Series::default() }]);
        let _ = line_plot(&p);
        let _ = panels(&[p.clone(), p], columns);
        let w = values.len().checked_div(h).unwrap_or(1);
        let mut g = grid(vec![values], (h, w));
        g.columns = columns;
        g.width = width;
        g.height = height;
        let _ = image_grid(&g);
    }
}

#[test]
fn values_too_large_for_axis_arithmetic_are_refused() {
    for pts in [
        vec![(-1e308, -1e308), (1e308, 1e308)],
        vec![(0.0, f64::MAX), (1.0, f64::MIN)],
    ] {
        let s = Series {
            name: "huge".into(),
            points: pts,
            ..Series::default()
        };
        let msg = invalid_message(line_plot(&plot(300, 200, vec![s])));
        assert!(msg.contains("\"huge\"") && msg.contains("1e100"), "{msg}");
    }
    let mut s = series("e", 2);
    s.y_errors = Some(vec![0.0, 1e200]);
    assert!(invalid_message(line_plot(&plot(300, 200, vec![s]))).contains("1e100"));
    let g = grid(vec![vec![0.0, 1.0], vec![f64::MAX, f64::MIN]], (1, 2));
    let msg = invalid_message(image_grid(&g));
    assert!(msg.contains("tile 1") && msg.contains("1e100"), "{msg}");
}

#[test]
fn tiny_and_large_spans_draw() {
    for pts in [
        vec![(1.0, 1.0), (1.0 + 1e-15, 1.0 + 1e-15)],
        vec![(1e-300, 0.0), (2e-300, 1e-300)],
        vec![(-1e100, 0.0), (1e100, -1e100)],
        vec![(1e6, 0.0), (1e6 + 1e-9, 1.0)],
    ] {
        let s = Series {
            name: "x".into(),
            points: pts,
            y_errors: Some(vec![0.0, 1e100]),
            style: SeriesStyle::LineAndPoints,
        };
        assert!(line_plot(&plot(300, 200, vec![s])).is_ok());
    }
    let g = grid(vec![vec![1e100, -1e100, 0.0, 1e-300]], (2, 2));
    assert!(image_grid(&g).is_ok());
}
