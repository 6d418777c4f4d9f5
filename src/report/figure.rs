//! The chart model and its one renderer.
//!
//! Every chart of `marketsim plot` is a [`Figure`]: a title, a grid of panels (line panels or
//! heatmaps) and one legend column on the right, so a legend never covers data. Building a
//! figure from CSV data is pure; [`Figure::render`] draws it with plotters into PNG or SVG
//! bytes. Text uses the DejaVu Sans font compiled into the binary (plotters' `ab_glyph`
//! feature), so no system font is needed and a PNG's bytes depend only on its data.
//!
//! ```text
//! ┌──────────────── title ───────────────────┬─────────┐
//! │ panel 1          │ panel 2               │ legend  │
//! │ panel 3          │ …                     │         │
//! └──────────────────┴───────────────────────┴─────────┘
//! ```
//!
//! Colours are the Okabe–Ito palette (distinguishable with every common colour-vision
//! deficiency); heatmaps use viridis.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::Once;

/// The Okabe–Ito palette, in the order series take it when they have no fixed colour.
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

/// Reference lines (equality diagonal, chance levels).
pub(crate) const GREY: RGBColor = RGBColor(0x88, 0x88, 0x88);

/// Font sizes in pixels, chosen for a 1400-pixel-wide image read at report size.
const TITLE_PX: u32 = 34;
const PANEL_TITLE_PX: u32 = 24;
const AXIS_PX: u32 = 22;
const TICK_PX: u32 = 19;
const LEGEND_PX: u32 = 20;
/// Width of the legend column.
const LEGEND_WIDTH: u32 = 420;
/// Height of one panel row, and of a figure's only row.
const ROW_HEIGHT: u32 = 500;
const SINGLE_ROW_HEIGHT: u32 = 720;
/// Height of the title band.
const TITLE_HEIGHT: u32 = 76;
/// Characters per legend line before wrapping.
const LEGEND_CHARS: usize = 30;
/// Width of an image.
pub(crate) const WIDTH: u32 = 1400;

const FONT: &str = "sans-serif";
static DEJAVU: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        if plotters::style::register_font(FONT, FontStyle::Normal, DEJAVU).is_err() {
            unreachable!("the embedded DejaVu Sans is a valid TrueType font");
        }
    });
}

/// How a line is stroked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dash {
    /// A solid line.
    Solid,
    /// A dashed line (reference values such as true quality).
    Dashed,
}

/// A line through `points` (x ascending).
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub colour: RGBColor,
    pub dash: Dash,
    /// Stroke width in pixels: [`LINE_PX`] by default, wider for lines drawn first under
    /// others that may coincide with them (see [`layered`]).
    pub width: u32,
    pub points: Vec<(f64, f64)>,
}

/// Default stroke width of a line, in pixels.
pub(crate) const LINE_PX: u32 = 4;

impl Line {
    /// A line of the default width.
    pub(crate) fn new(colour: RGBColor, dash: Dash, points: Vec<(f64, f64)>) -> Self {
        Self {
            colour,
            dash,
            width: LINE_PX,
            points,
        }
    }
}

/// Widens lines drawn earlier so that lines lying on top of each other (several types never
/// flagged, all at 1) stay visible as nested stripes: the last line keeps [`LINE_PX`].
pub(crate) fn layered(lines: &mut [Line]) {
    let n = lines.len() as u32;
    for (i, line) in lines.iter_mut().enumerate() {
        line.width = LINE_PX + 4 * (n - 1 - i as u32);
    }
}

/// A shaded band between `low` and `high` at each `x`.
#[derive(Debug, Clone)]
pub(crate) struct Band {
    pub colour: RGBColor,
    /// `(x, low, high)`, x ascending.
    pub points: Vec<(f64, f64, f64)>,
}

/// A point with a vertical interval (a series of one point, e.g. one sweep point).
#[derive(Debug, Clone)]
pub(crate) struct Marker {
    pub colour: RGBColor,
    pub x: f64,
    pub y: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// An axis: its description (with units) and range; `categories` names the integer
/// positions 0, 1, … of a categorical axis.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    pub label: String,
    pub range: (f64, f64),
    pub categories: Option<Vec<String>>,
}

impl Axis {
    /// A numeric axis over `range`.
    pub(crate) fn numeric(label: impl Into<String>, range: (f64, f64)) -> Self {
        Self {
            label: label.into(),
            range,
            categories: None,
        }
    }

    /// A numeric axis whose range covers `values` with a 5% margin (a unit range around a
    /// single value); `floor` clips the low end (e.g. 0 for shares).
    pub(crate) fn fitted(
        label: impl Into<String>,
        values: impl IntoIterator<Item = f64>,
        floor: Option<f64>,
    ) -> Self {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.into_iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        let pad = if hi > lo {
            (hi - lo) * 0.05
        } else {
            lo.abs().max(1.0) * 0.05
        };
        let mut range = (lo - pad, hi + pad);
        if let Some(f) = floor {
            range.0 = range.0.max(f);
        }
        Self::numeric(label, range)
    }

    /// The same axis widened around its centre to span at least `span` (so that a nearly
    /// constant series is not magnified into noise).
    pub(crate) fn with_min_span(mut self, span: f64) -> Self {
        let (lo, hi) = self.range;
        if hi - lo < span {
            let mid = (lo + hi) / 2.0;
            self.range = (mid - span / 2.0, mid + span / 2.0);
        }
        self
    }

    /// A categorical axis: positions 0..n labelled `names`.
    pub(crate) fn categorical(label: impl Into<String>, names: Vec<String>) -> Self {
        Self {
            label: label.into(),
            range: (-0.5, names.len() as f64 - 0.5),
            categories: Some(names),
        }
    }
}

/// A line panel: lines, bands and markers on two axes.
#[derive(Debug, Clone)]
pub(crate) struct LinePanel {
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub bands: Vec<Band>,
    pub lines: Vec<Line>,
    pub markers: Vec<Marker>,
}

/// A heatmap panel: `cells[row][col]` over categorical axes, each cell labelled with its value.
#[derive(Debug, Clone)]
pub(crate) struct HeatPanel {
    pub title: String,
    pub x_label: String,
    pub x: Vec<String>,
    pub y_label: String,
    pub y: Vec<String>,
    pub cells: Vec<Vec<Option<f64>>>,
    /// The values mapped to the two ends of the colour scale.
    pub scale: (f64, f64),
}

/// One series of a [`BarPanel`]: a bar per category, `(value, low, high)` (a whisker from
/// low to high where both are known; a NaN value draws no bar).
#[derive(Debug, Clone)]
pub(crate) struct BarSeries {
    pub colour: RGBColor,
    pub bars: Vec<(f64, Option<f64>, Option<f64>)>,
}

/// Horizontal bars: one row per category (the first at the top), one bar per series in it.
#[derive(Debug, Clone)]
pub(crate) struct BarPanel {
    pub title: String,
    /// Description of the value axis, with units.
    pub value_label: String,
    pub categories: Vec<String>,
    pub series: Vec<BarSeries>,
}

/// One panel of a figure.
#[derive(Debug, Clone)]
pub(crate) enum Panel {
    Lines(LinePanel),
    Heat(HeatPanel),
    Bars(BarPanel),
}

/// What a legend entry's swatch shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Swatch {
    Line(RGBColor, Dash),
    Band(RGBColor),
    Marker(RGBColor),
    /// The viridis colour scale of heatmaps (low to high).
    Viridis,
    /// A note without a swatch.
    Note,
}

/// One legend entry.
#[derive(Debug, Clone)]
pub(crate) struct LegendEntry {
    pub swatch: Swatch,
    pub label: String,
}

impl LegendEntry {
    pub(crate) fn new(swatch: Swatch, label: impl Into<String>) -> Self {
        Self {
            swatch,
            label: label.into(),
        }
    }
}

/// A chart: a file stem, a title, panels in a grid of `columns`, and a legend.
#[derive(Debug, Clone)]
pub(crate) struct Figure {
    /// File name without extension, e.g. `reputation`.
    pub name: String,
    pub title: String,
    /// One sentence saying what the chart shows (for `index.html`).
    pub caption: String,
    pub columns: usize,
    pub panels: Vec<Panel>,
    pub legend: Vec<LegendEntry>,
}

type DrawResult<T = ()> = Result<T, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Figure {
    /// Image size in pixels: [`WIDTH`] wide, one [`ROW_HEIGHT`] per row of panels.
    pub(crate) fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(self.columns.max(1)).max(1) as u32;
        let plots = if rows == 1 {
            SINGLE_ROW_HEIGHT
        } else {
            rows * ROW_HEIGHT
        };
        (WIDTH, TITLE_HEIGHT + plots.max(legend_height(&self.legend)))
    }

    /// The figure as a PNG (8-bit RGB).
    pub(crate) fn png(&self) -> DrawResult<Vec<u8>> {
        register_font();
        let (w, h) = self.size();
        let mut pixels = vec![0u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(err)?;
        }
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // Charts are flat colour: the slower setting saves about a fifth of the bytes.
        encoder.set_compression(png::Compression::High);
        let mut writer = encoder.write_header().map_err(err)?;
        writer.write_image_data(&pixels).map_err(err)?;
        writer.finish().map_err(err)?;
        Ok(bytes)
    }

    /// The figure as SVG text.
    pub(crate) fn svg(&self) -> DrawResult<Vec<u8>> {
        register_font();
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, self.size()).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(err)?;
        }
        Ok(text.into_bytes())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        root.fill(&WHITE).map_err(err)?;
        let (title, body) = root.split_vertically(TITLE_HEIGHT);
        let (w, _) = title.dim_in_pixel();
        let style = (FONT, TITLE_PX)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Center));
        title
            .draw_text(&self.title, &style, (w as i32 / 2, TITLE_HEIGHT as i32 / 2))
            .map_err(err)?;
        let (w, _) = body.dim_in_pixel();
        let (plots, legend) = body.split_horizontally(w - LEGEND_WIDTH);
        let columns = self.columns.max(1);
        let rows = self.panels.len().div_ceil(columns).max(1);
        for (panel, area) in self
            .panels
            .iter()
            .zip(plots.split_evenly((rows, columns)).iter())
        {
            match panel {
                Panel::Lines(p) => draw_lines(area, p)?,
                Panel::Heat(p) => draw_heat(area, p)?,
                Panel::Bars(p) => draw_bars(area, p)?,
            }
        }
        draw_legend(&legend, &self.legend)
    }
}

fn stroke(colour: RGBColor, width: u32) -> ShapeStyle {
    ShapeStyle {
        color: colour.to_rgba(),
        filled: false,
        stroke_width: width,
    }
}

/// A tick formatter for a numeric or categorical axis.
fn tick_label(axis: &Axis, v: f64) -> String {
    match &axis.categories {
        Some(names) => {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                names[i as usize].clone()
            } else {
                String::new()
            }
        }
        None => {
            let span = (axis.range.1 - axis.range.0).abs();
            if span >= 50.0 {
                format!("{v:.0}")
            } else if span >= 5.0 {
                format!("{v:.1}")
            } else if span >= 0.05 {
                format!("{v:.2}")
            } else {
                format!("{v:.4}")
            }
        }
    }
}

fn draw_lines<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &LinePanel) -> DrawResult {
    let (x0, x1) = p.x.range;
    let (y0, y1) = p.y.range;
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FONT, PANEL_TITLE_PX))
        .margin(14)
        .x_label_area_size(64)
        .y_label_area_size(84)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let x_labels = match &p.x.categories {
        // Key points at every half step include every integer position.
        Some(names) => names.len() * 2 + 1,
        None => 8,
    };
    let fx = |v: &f64| tick_label(&p.x, *v);
    let fy = |v: &f64| tick_label(&p.y, *v);
    chart
        .configure_mesh()
        .x_desc(&p.x.label)
        .y_desc(&p.y.label)
        .axis_desc_style((FONT, AXIS_PX))
        .label_style((FONT, TICK_PX))
        .x_labels(x_labels)
        .y_labels(7)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(0xE4, 0xE4, 0xE4))
        .draw()
        .map_err(err)?;
    for band in &p.bands {
        let mut outline: Vec<(f64, f64)> = band.points.iter().map(|&(x, lo, _)| (x, lo)).collect();
        outline.extend(band.points.iter().rev().map(|&(x, _, hi)| (x, hi)));
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline,
                band.colour.mix(0.22).filled(),
            )))
            .map_err(err)?;
    }
    for line in &p.lines {
        let style = stroke(line.colour, line.width);
        match line.dash {
            Dash::Solid => chart
                .draw_series(LineSeries::new(line.points.iter().copied(), style))
                .map(|_| ()),
            Dash::Dashed => chart
                .draw_series(DashedLineSeries::new(
                    line.points.iter().copied(),
                    16,
                    10,
                    style,
                ))
                .map(|_| ()),
        }
        .map_err(err)?;
    }
    for m in &p.markers {
        if let (Some(lo), Some(hi)) = (m.low, m.high) {
            let dx = (x1 - x0) * 0.008;
            let bars = [
                vec![(m.x, lo), (m.x, hi)],
                vec![(m.x - dx, lo), (m.x + dx, lo)],
                vec![(m.x - dx, hi), (m.x + dx, hi)],
            ];
            chart
                .draw_series(
                    bars.into_iter()
                        .map(|b| PathElement::new(b, stroke(m.colour, 3))),
                )
                .map_err(err)?;
        }
        chart
            .draw_series(std::iter::once(Circle::new(
                (m.x, m.y),
                8,
                m.colour.filled(),
            )))
            .map_err(err)?;
    }
    Ok(())
}

fn draw_bars<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &BarPanel) -> DrawResult {
    let n = p.categories.len();
    let known = p.series.iter().flat_map(|s| {
        s.bars
            .iter()
            .flat_map(|&(v, lo, hi)| [Some(v), lo, hi])
            .flatten()
    });
    let x = Axis::fitted(&p.value_label, known.chain([0.0]), Some(0.0)).with_min_span(0.01);
    // Category i sits at y = n − 1 − i, so the first is at the top.
    let y = Axis::categorical("", p.categories.iter().rev().cloned().collect::<Vec<_>>());
    let (x0, x1) = x.range;
    let (y0, y1) = y.range;
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FONT, PANEL_TITLE_PX))
        .margin(14)
        .x_label_area_size(64)
        .y_label_area_size(300)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    let fx = |v: &f64| tick_label(&x, *v);
    let fy = |v: &f64| tick_label(&y, *v);
    chart
        .configure_mesh()
        .x_desc(&x.label)
        .axis_desc_style((FONT, AXIS_PX))
        .label_style((FONT, TICK_PX))
        .x_labels(4)
        .y_labels(n * 2 + 1)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(0xE4, 0xE4, 0xE4))
        .draw()
        .map_err(err)?;
    let k = p.series.len().max(1) as f64;
    let height = 0.8 / k;
    for (s, series) in p.series.iter().enumerate() {
        for (i, &(v, lo, hi)) in series.bars.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            let top = (n - 1 - i) as f64 + 0.4 - s as f64 * height;
            let (b, t) = (top - height * 0.9, top);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, b), (v, t)],
                    series.colour.filled(),
                )))
                .map_err(err)?;
            if let (Some(lo), Some(hi)) = (lo, hi) {
                let mid = (b + t) / 2.0;
                let dy = height * 0.3;
                let whiskers = [
                    vec![(lo, mid), (hi, mid)],
                    vec![(lo, mid - dy), (lo, mid + dy)],
                    vec![(hi, mid - dy), (hi, mid + dy)],
                ];
                chart
                    .draw_series(
                        whiskers
                            .into_iter()
                            .map(|w| PathElement::new(w, stroke(BLACK, 2))),
                    )
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// Viridis at `t` ∈ [0, 1], interpolated between nine anchors of the matplotlib map.
pub(crate) fn viridis(t: f64) -> RGBColor {
    const ANCHORS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = t * (ANCHORS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(ANCHORS.len() - 2);
    let f = pos - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Formats a cell value with three significant decimals for shares, fewer for large values.
fn short_number(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn draw_heat<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &HeatPanel) -> DrawResult {
    let (lo, hi) = p.scale;
    let (nx, ny) = (p.x.len(), p.y.len());
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FONT, PANEL_TITLE_PX))
        .margin(14)
        .x_label_area_size(64)
        .y_label_area_size(84)
        .build_cartesian_2d(-0.5..nx as f64 - 0.5, -0.5..ny as f64 - 0.5)
        .map_err(err)?;
    let x_axis = Axis::categorical(p.x_label.clone(), p.x.clone());
    let y_axis = Axis::categorical(p.y_label.clone(), p.y.clone());
    let fx = |v: &f64| tick_label(&x_axis, *v);
    let fy = |v: &f64| tick_label(&y_axis, *v);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(&p.x_label)
        .y_desc(&p.y_label)
        .axis_desc_style((FONT, AXIS_PX))
        .label_style((FONT, TICK_PX))
        .x_labels(nx * 2 + 1)
        .y_labels(ny * 2 + 1)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .draw()
        .map_err(err)?;
    for (row, cells) in p.cells.iter().enumerate() {
        for (col, cell) in cells.iter().enumerate() {
            let (x, y) = (col as f64, row as f64);
            let Some(v) = *cell else {
                continue;
            };
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            let colour = viridis(t);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    colour.filled(),
                )))
                .map_err(err)?;
            // Dark text on the light (yellow-green) end of viridis, white on the dark end.
            let ink = if t > 0.6 { BLACK } else { WHITE };
            let style = (FONT, TICK_PX)
                .into_font()
                .color(&ink)
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(std::iter::once(Text::new(short_number(v), (x, y), style)))
                .map_err(err)?;
        }
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> DrawResult {
    let swatch_w = 60;
    let line_h = LEGEND_LINE as i32;
    let mut y = LEGEND_TOP as i32;
    let text = (FONT, LEGEND_PX).into_font().color(&BLACK);
    for e in entries {
        // Long labels wrap at about 30 characters.
        let lines = wrap(&e.label, LEGEND_CHARS);
        let mid = y + LEGEND_PX as i32 / 2;
        match e.swatch {
            Swatch::Line(c, Dash::Solid) => area
                .draw(&PathElement::new(
                    vec![(10, mid), (10 + swatch_w, mid)],
                    stroke(c, 4),
                ))
                .map_err(err)?,
            Swatch::Line(c, Dash::Dashed) => {
                for s in [0, 24, 48] {
                    area.draw(&PathElement::new(
                        vec![(10 + s, mid), (10 + (s + 14).min(swatch_w), mid)],
                        stroke(c, 4),
                    ))
                    .map_err(err)?;
                }
            }
            Swatch::Band(c) => area
                .draw(&Rectangle::new(
                    [(10, mid - 12), (10 + swatch_w, mid + 12)],
                    c.mix(0.22).filled(),
                ))
                .map_err(err)?,
            Swatch::Marker(c) => area
                .draw(&Circle::new((10 + swatch_w / 2, mid), 8, c.filled()))
                .map_err(err)?,
            Swatch::Viridis => {
                for i in 0..swatch_w {
                    let c = viridis(f64::from(i) / f64::from(swatch_w - 1));
                    area.draw(&Rectangle::new(
                        [(10 + i, mid - 12), (11 + i, mid + 12)],
                        c.filled(),
                    ))
                    .map_err(err)?;
                }
            }
            Swatch::Note => {}
        }
        let x = if e.swatch == Swatch::Note {
            10
        } else {
            20 + swatch_w
        };
        for (k, l) in lines.iter().enumerate() {
            area.draw_text(l, &text, (x, y + k as i32 * line_h))
                .map_err(err)?;
        }
        y += lines.len() as i32 * line_h + line_h / 2;
    }
    Ok(())
}

/// Line height of legend text, and the legend's top margin.
const LEGEND_LINE: u32 = LEGEND_PX * 3 / 2;
const LEGEND_TOP: u32 = 60;

/// Pixels the legend needs.
fn legend_height(entries: &[LegendEntry]) -> u32 {
    let lines: u32 = entries
        .iter()
        .map(|e| wrap(&e.label, LEGEND_CHARS).len() as u32 * LEGEND_LINE + LEGEND_LINE / 2)
        .sum();
    LEGEND_TOP + lines + LEGEND_LINE
}

/// Splits `text` into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    lines.push(current);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_and_width() {
        assert_eq!(
            wrap("honest R ± EWMA floor σ√((1−λ)/(1+λ))", 12),
            vec!["honest R ±", "EWMA floor", "σ√((1−λ)/(1+λ))"]
        );
        assert_eq!(wrap("short", 30), vec!["short"]);
    }

    #[test]
    fn viridis_ends_and_clamping() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(2.0), viridis(1.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
    }

    #[test]
    fn categorical_ticks_only_at_integer_positions() {
        let a = Axis::categorical("ranking", vec!["reputation".into(), "trust".into()]);
        assert_eq!(a.range, (-0.5, 1.5));
        assert_eq!(tick_label(&a, 1.0), "trust");
        assert_eq!(tick_label(&a, 0.5), "");
        assert_eq!(tick_label(&a, 2.0), "");
    }

    #[test]
    fn fitted_axis_pads_and_floors() {
        let a = Axis::fitted("y", [0.0, 1.0], Some(0.0));
        assert_eq!(a.range, (0.0, 1.05));
        let single = Axis::fitted("y", [3.0], None);
        assert!(single.range.0 < 3.0 && single.range.1 > 3.0);
        let widened = Axis::fitted("y", [0.5, 0.5001], None).with_min_span(0.1);
        assert!(
            (widened.range.0 - 0.45005).abs() < 1e-9 && (widened.range.1 - 0.55005).abs() < 1e-9
        );
        let empty = Axis::fitted("y", [f64::NAN], None);
        assert!(empty.range.0 < 0.0 && empty.range.1 > 1.0);
    }
}
